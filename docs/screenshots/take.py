"""Retake the README screenshots from a running demo (`make run`, demo logins).

PORT=8123 make run &
.venv/bin/python docs/screenshots/take.py http://127.0.0.1:8123
"""

import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

HERE = Path(__file__).resolve().parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
DESKTOP = {"viewport": {"width": 1366, "height": 800}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}


def login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "anjian-demo")
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()


def main(base: str) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for kind, options, user in [("desktop", DESKTOP, "office"), ("phone", PHONE, "fire1")]:
            context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **options)
            page = context.new_page()
            page.goto(f"{base}/accounts/login/")
            page.screenshot(path=str(HERE / f"login-{kind}.png"))
            login(page, base, user)
            page.screenshot(path=str(HERE / f"home-{kind}.png"))
            page.goto(f"{base}/units/")
            page.screenshot(path=str(HERE / f"units-{kind}.png"))
            context.close()
        dashboard(browser, base)
        browser.close()


def dashboard(browser, base: str) -> None:
    """The leader's dashboard: the desktop's cards and first charts, the phone's cards and
    one chart with its table."""
    for kind, options in [("desktop", DESKTOP), ("phone", PHONE)]:
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **options)
        page = context.new_page()
        login(page, base, "leader")
        page.goto(f"{base}/dashboard/")
        if kind == "desktop":
            page.screenshot(
                path=str(HERE / "dashboard-desktop.png"),
                clip={"x": 0, "y": 0, "width": 1366, "height": 1500},
                full_page=True,
            )
        else:
            page.screenshot(path=str(HERE / "dashboard-phone.png"))
            page.locator('[data-testid="chart-overdue-departments"]').screenshot(
                path=str(HERE / "dashboard-phone-chart.png")
            )
        context.close()


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8000")
