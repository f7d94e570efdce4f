"""Backups that can be proven restorable: `make backup` / `make restore` (README, 备份与恢复).

A backup is a directory holding
- db.dump: `pg_dump -Fc` of the whole database (schema, data, triggers of the audit trail);
- media.tar.gz: every uploaded file under MEDIA_ROOT (photos, bulletins, kept import files) —
  empty when media live in an S3/MinIO bucket, which is backed up by the bucket's own means
  (versioning, replication, `mc mirror`), not copied through a web host;
- manifest.json: the row count of every table and the SHA-256 of every media file and of both
  archives.
The counts are taken inside the very snapshot pg_dump dumps (pg_export_snapshot), so a backup
made while people work still matches its manifest exactly. A restore goes into an empty database
and an empty media directory only, checks both archives against the manifest first, and after
loading compares every table's row count and every file's hash: a restore that does not match
its manifest fails loudly.
"""

import datetime
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

import psycopg2
from psycopg2 import sql

MANIFEST = "manifest.json"
DUMP = "db.dump"
MEDIA = "media.tar.gz"
CHUNK = 1024 * 1024


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class Target:
    """A PostgreSQL database named by a postgres:// URL, as libpq's tools want it."""

    url: str

    @property
    def parts(self):
        return urlparse(self.url)

    @property
    def name(self) -> str:
        return unquote(self.parts.path.lstrip("/"))

    def env(self) -> dict:
        env = dict(os.environ)
        p = self.parts
        env.update(
            PGHOST=p.hostname or "localhost",
            PGPORT=str(p.port or 5432),
            PGUSER=unquote(p.username or ""),
            PGDATABASE=self.name,
        )
        if p.password:
            env["PGPASSWORD"] = unquote(p.password)
        return env

    def connect(self):
        p = self.parts
        return psycopg2.connect(
            host=p.hostname or "localhost",
            port=p.port or 5432,
            user=unquote(p.username or "") or None,
            password=unquote(p.password) if p.password else None,
            dbname=self.name,
        )


def url_of(settings_dict: dict) -> str:
    """The postgres:// URL of a Django database (its NAME as in use: a test run's own)."""
    user = quote(settings_dict.get("USER") or "")
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{quote(password)}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "localhost"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{quote(settings_dict['NAME'])}"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _tables(cursor) -> list[str]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    return [row[0] for row in cursor.fetchall()]


def row_counts(cursor) -> dict[str, int]:
    counts = {}
    for table in _tables(cursor):
        cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
        counts[table] = cursor.fetchone()[0]
    return counts


def media_hashes(root: Path) -> dict[str, str]:
    if not root.is_dir():
        return {}
    return {
        path.relative_to(root).as_posix(): sha256_file(path)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _run(command: list[str], env: dict) -> None:
    try:
        subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    except FileNotFoundError:
        raise BackupError(
            f"找不到 {command[0]}：请安装 postgresql-client（版本与数据库一致）"
        ) from None
    except subprocess.CalledProcessError as exc:
        raise BackupError(f"{command[0]} 失败：{exc.stderr.strip()[-2000:]}") from None


def backup(*, database_url: str, media_root: Path | None, dest: Path) -> Path:
    """Writes a new backup directory under `dest` and returns it; `media_root` None: the media
    are in an object-store bucket and not part of this backup (the manifest says so)."""
    target = Target(database_url)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path(dest) / f"anjian-{stamp}"
    out.mkdir(parents=True, exist_ok=False)
    connection = target.connect()
    try:
        connection.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = row_counts(cursor)
            # pg_dump reads the same snapshot while this transaction holds it open.
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={out / DUMP}",
                ],
                target.env(),
            )
            cursor.execute("SHOW server_version")
            server_version = cursor.fetchone()[0]
    finally:
        connection.rollback()
        connection.close()
    files = {}
    with tarfile.open(out / MEDIA, "w:gz") as archive:
        if media_root is not None and Path(media_root).is_dir():
            media_root = Path(media_root)
            for path in sorted(media_root.rglob("*")):
                if path.is_file():
                    name = path.relative_to(media_root).as_posix()
                    files[name] = sha256_file(path)
                    archive.add(path, arcname=name, recursive=False)
    manifest = {
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
        "database": target.name,
        "server_version": server_version,
        "tables": counts,
        "media": files,
        "media_storage": "filesystem" if media_root is not None else "bucket",
        "archives": {DUMP: sha256_file(out / DUMP), MEDIA: sha256_file(out / MEDIA)},
    }
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")
    return out


def read_manifest(source: Path) -> dict:
    try:
        return json.loads((Path(source) / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"备份目录 {source} 中没有可读的 {MANIFEST}：{exc}") from None


def compare(manifest: dict, *, counts: dict[str, int], files: dict[str, str]) -> list[str]:
    """What differs between a manifest and a database/media directory, in words."""
    problems = []
    for table in sorted(set(manifest["tables"]) | set(counts)):
        want, got = manifest["tables"].get(table), counts.get(table)
        if want != got:
            problems.append(f"表 {table}：备份 {want} 行，恢复后 {got} 行")
    for name in sorted(set(manifest["media"]) | set(files)):
        if manifest["media"].get(name) != files.get(name):
            problems.append(f"文件 {name}：哈希不一致或缺失")
    return problems


def restore(*, source: Path, database_url: str, media_root: Path) -> dict:
    """Restores `source` into an empty database and an empty (or absent) media directory, then
    proves it: returns the manifest once every count and hash matches, raises otherwise."""
    source, media_root = Path(source), Path(media_root)
    manifest = read_manifest(source)
    for name, digest in manifest["archives"].items():
        if not (source / name).is_file() or sha256_file(source / name) != digest:
            raise BackupError(f"{name} 与清单的哈希不一致：备份已损坏或不完整")
    target = Target(database_url)
    connection = target.connect()
    try:
        with connection.cursor() as cursor:
            if _tables(cursor):
                raise BackupError(f"数据库 {target.name} 不是空库：只能恢复到新建的空数据库")
    finally:
        connection.close()
    if media_root.exists() and any(media_root.iterdir()):
        raise BackupError(f"媒体目录 {media_root} 不是空目录：请指定新的空目录")
    _run(
        [
            "pg_restore",
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={target.name}",
            str(source / DUMP),
        ],
        target.env(),
    )
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(source / MEDIA, "r:gz") as archive:
        archive.extractall(media_root, filter="data")
    connection = target.connect()
    try:
        with connection.cursor() as cursor:
            counts = row_counts(cursor)
    finally:
        connection.close()
    problems = compare(manifest, counts=counts, files=media_hashes(media_root))
    if problems:
        raise BackupError("恢复结果与备份清单不一致：\n" + "\n".join(problems))
    return manifest


def prune(dest: Path, keep: int) -> list[Path]:
    """Removes all but the newest `keep` backups under `dest` (a schedule keeps a window)."""
    backups = sorted(p for p in Path(dest).glob("anjian-*") if (p / MANIFEST).is_file())
    removed = backups[:-keep] if keep > 0 else []
    for path in removed:
        shutil.rmtree(path)
    return removed
