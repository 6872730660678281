#!/usr/bin/env python
"""Screenshots of every screen from a running demo, for docs/screenshots/.

    make run                                   # in one terminal
    .venv/bin/python tools/screenshots.py      # in another

It works on the demo office «korocha» (open around the clock): issues a few
tickets, opens counters and calls clients so that the screens show a live
queue. Only loopback addresses are used.
"""

import argparse
from datetime import date
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PASSWORD = "demo-pass-2024"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip


def login(page, base, username):
    page.goto(f"{base}/login/")
    page.get_by_label("Имя пользователя").fill(username)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(f"{base}/")


def prepare(base) -> dict:
    api = httpx.Client(base_url=base, timeout=20)
    token = api.post("/api/v1/auth/token/", json={"username": "operator-korocha", "password": PASSWORD}).json()["token"]
    auth = {"Authorization": f"Token {token}"}
    office = api.get("/api/v1/offices/korocha/").json()
    # The demo kiosk is open: its page makes this client a kiosk, so the
    # tickets below are not limited like remote ones.
    api.get("/kiosk/korocha/")
    for counter in office["counters"]:
        api.post(f"/api/v1/counters/{counter['id']}/state/", json={"state": "open"}, headers=auth)
    tickets = [
        api.post("/api/v1/offices/korocha/tickets/", json={"service": s}).json() for s in ["fl", "ul", "cash"] * 4
    ]
    for counter in office["counters"]:
        api.post(f"/api/v1/counters/{counter['id']}/call-next/", headers=auth)
    return {"counter": office["counters"][0]["id"], "tracked": tickets[-3]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--only", nargs="*", help="names of screenshots to take")
    args = parser.parse_args()
    base = args.url.rstrip("/")
    OUT.mkdir(parents=True, exist_ok=True)
    state = prepare(base)
    wanted = set(args.only or [])

    def shot(page, name):
        if wanted and name not in wanted:
            return
        page.wait_for_timeout(1200)
        page.screenshot(path=str(OUT / f"{name}.png"), full_page=name.startswith(("report", "monitor", "admin")))
        print(OUT / f"{name}.png")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        tv = browser.new_page(viewport={"width": 1920, "height": 1080})
        tv.goto(f"{base}/display/korocha/?voice=0&chime=0")
        shot(tv, "display")
        # Under the browser's default policy, as a TV started without tv.sh's flags.
        quiet = browser.new_page(viewport={"width": 1920, "height": 1080})
        quiet.goto(f"{base}/display/korocha/")
        shot(quiet, "display-sound-blocked")

        kiosk = browser.new_page(viewport={"width": 1080, "height": 1920})
        kiosk.add_init_script("window.print = () => {};")
        kiosk.goto(f"{base}/kiosk/korocha/")
        shot(kiosk, "kiosk")
        kiosk.locator('button[data-service="fl"]').click()
        kiosk.locator("#ticket").wait_for()
        shot(kiosk, "kiosk-ticket")
        kiosk.emulate_media(media="print")
        kiosk.set_viewport_size({"width": 302, "height": 400})  # 80 mm at 96 dpi
        if not wanted or "printed-ticket" in wanted:
            kiosk.wait_for_timeout(500)
            kiosk.screenshot(path=str(OUT / "printed-ticket.png"), full_page=True)

        phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2)
        phone.goto(f"{base}/t/{state['tracked']['token']}/")
        shot(phone, "tracking")

        staff = browser.new_context(viewport={"width": 1366, "height": 768})  # the usual counter monitor
        desk = staff.new_page()
        login(desk, base, "operator-korocha")
        desk.goto(f"{base}/operator/{state['counter']}/")
        desk.locator("#operator[data-connected='1']").wait_for()
        start = desk.get_by_role("button", name="Начать обслуживание")
        if start.is_enabled():
            start.click()
        shot(desk, "operator")

        boss = browser.new_context(viewport={"width": 1366, "height": 768})
        monitor = boss.new_page()
        login(monitor, base, "manager")
        monitor.goto(f"{base}/monitor/")
        shot(monitor, "monitor")

        local = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
        login(local, base, "manager-korocha")
        local.goto(f"{base}/admin/offices/office/")  # manager-korocha sees only korocha
        local.locator("#result_list tbody th a").first.click()
        local.wait_for_load_state()
        shot(local, "admin")
        year = date.today().year
        for name, path in [
            ("reports", f"/reports/?year={year - 1}"),
            ("report-disclosure", f"/reports/disclosure/{year}/"),
            ("forecast", "/reports/forecast/?office=korocha"),
        ]:
            if wanted and name not in wanted:
                continue
            response = monitor.goto(base + path)
            if response and response.ok:
                shot(monitor, name)
        if not wanted or "load" in wanted:
            visitor = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2).new_page()
            visitor.goto(f"{base}/load/korocha/")
            visitor.get_by_text("Лучшее время для визита").wait_for()
            shot(visitor, "load")
        browser.close()


if __name__ == "__main__":
    main()
