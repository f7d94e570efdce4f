"""`make load`: a bounded load test — gunicorn with production settings on loopback, locust
headless for a fixed time, the mix of benchmarks/locustfile.py — and its figures.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/anjian_bench make load   # after make bench
    LOAD_ARGS="--users 40 --seconds 120" …

Against the bench database it signs in as bench_office and the bench inspectors, giving them a
password first (the seed creates them without one); against any other database it uses the
demo logins (office, fire1, fire2, safety1, safety2, build1, password anjian-demo). Prints
req/s, p50/p95/p99 and the 5xx count, and writes benchmarks/results/load.json (with locust's CSV files).
"""

import argparse
import csv
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCUST = ROOT / ".venv-load" / "bin" / "locust"
DEMO = ("office", ["fire1", "fire2", "safety1", "safety2", "build1"], "anjian-demo")


def _accounts(database_url: str) -> tuple[str, list[str], str]:
    if "bench" not in database_url:
        return DEMO
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anjian.settings")
    os.environ.setdefault("DEBUG", "1")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from units.models import User

    password = "load-" + secrets.token_urlsafe(12)
    people = list(User.objects.filter(username__startswith="bench_", is_active=True))
    for person in people:
        person.set_password(password)
        person.must_change_password = False
    User.objects.bulk_update(people, ["password", "must_change_password"])
    inspectors = [p.username for p in people if p.role == User.Role.INSPECTOR]
    return "bench_office", inspectors, password


def _wait_healthy(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"gunicorn did not answer {url}/healthz")


def _summary(stats_csv: Path, seconds: int) -> dict:
    with open(stats_csv, newline="") as handle:
        rows = list(csv.DictReader(handle))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    by_name = {
        r["Name"]: {
            "requests": int(r["Request Count"]),
            "failures": int(r["Failure Count"]),
            "p50_ms": float(r["50%"] or 0),
            "p95_ms": float(r["95%"] or 0),
        }
        for r in rows
        if r["Name"] != "Aggregated"
    }
    return {
        "seconds": seconds,
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "req_per_s": round(float(total["Requests/s"]), 1),
        "p50_ms": float(total["50%"] or 0),
        "p95_ms": float(total["95%"] or 0),
        "p99_ms": float(total["99%"] or 0),
        "by_name": by_name,
    }


def _server_errors(failures_csv: Path) -> int:
    if not failures_csv.exists():
        return 0
    with open(failures_csv, newline="") as handle:
        return sum(
            int(r["Occurrences"])
            for r in csv.DictReader(handle)
            if "50" in r["Error"] or "Server Error" in r["Error"]
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--port", type=int, default=8877)
    args = parser.parse_args()
    if not LOCUST.exists():
        raise SystemExit("locust is missing: run `make load` (it creates .venv-load)")
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        raise SystemExit("make load needs DATABASE_URL naming a PostgreSQL database")
    office, inspectors, password = _accounts(database_url)
    host = f"http://127.0.0.1:{args.port}"
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_HTTPS": "0",
        "ANJIAN_ENV_FILE": "",
        # As in the image: hashed, compressed static files served by WhiteNoise.
        "STATIC_ROOT": str(ROOT / "benchmarks" / "results" / "static"),
    }
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "anjian.wsgi",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{args.port}",
            "--access-logfile",
            "-" if os.environ.get("LOAD_ACCESS_LOG") else "/dev/null",
        ],
        cwd=ROOT,
        env=env,
    )
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    prefix = out / "load"
    try:
        _wait_healthy(host)
        subprocess.run(
            [
                str(LOCUST),
                "-f",
                str(ROOT / "benchmarks" / "locustfile.py"),
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(max(1, args.users // 5)),
                "--run-time",
                f"{args.seconds}s",
                "--host",
                host,
                "--csv",
                str(prefix),
                "--only-summary",
            ],
            env={
                **os.environ,
                "LOAD_OFFICE": office,
                "LOAD_INSPECTORS": ",".join(inspectors),
                "LOAD_PASSWORD": password,
            },
            check=False,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    result = _summary(Path(f"{prefix}_stats.csv"), args.seconds)
    result["server_errors"] = _server_errors(Path(f"{prefix}_failures.csv"))
    result.update(users=args.users, gunicorn_workers=args.workers, load_average=os.getloadavg())
    (out / "load.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(
        f"{result['requests']} requests in {args.seconds} s: {result['req_per_s']} req/s, "
        f"p50 {result['p50_ms']:.0f} ms, p95 {result['p95_ms']:.0f} ms, "
        f"p99 {result['p99_ms']:.0f} ms, {result['failures']} failures "
        f"({result['server_errors']} server errors), load average "
        f"{result['load_average'][0]:.1f}"
    )


if __name__ == "__main__":
    main()
