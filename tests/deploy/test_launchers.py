"""deploy/kiosk.sh and deploy/tv.sh: the Chromium flags each passes (read from their dry run), and a hall
display started with tv.sh's flags speaks without anyone tapping it.

Silent printing (--kiosk-printing) cannot be tested headless: only the flag is checked here."""

import os
import subprocess
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from playwright.sync_api import expect

from offices.models import Membership
from tests.helpers import CHROMIUM_ARGS, add_counter, add_services, make_office, make_user, token_client, wait_for

DEPLOY = Path(settings.BASE_DIR) / "deploy"
KIOSK_URL = "https://queue.example.ru/kiosk/belgorod/"
DISPLAY_URL = "https://queue.example.ru/display/belgorod/"


def dry_run(script: str, *args: str, **env) -> list[str]:
    result = subprocess.run(
        ["sh", str(DEPLOY / script), *args],
        env={**os.environ, "DRY_RUN": "1", "PROFILE_DIR": "/var/lib/queue-kiosk", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.splitlines()


def test_the_kiosk_script_starts_a_printing_kiosk_that_keeps_its_pairing():
    command = dry_run("kiosk.sh", KIOSK_URL)
    assert command[0] == "chromium" and command[-1] == KIOSK_URL
    flags = set(command[1:-1])
    assert {"--kiosk", "--kiosk-printing", "--no-first-run", "--disable-background-networking"} <= flags
    # The pairing cookie lives in the profile: by default it is kept.
    assert "--user-data-dir=/var/lib/queue-kiosk" in flags
    assert not any(flag.startswith("--autoplay-policy") for flag in flags)


def test_the_kiosk_script_takes_its_address_from_the_environment_and_a_fresh_profile_on_request():
    command = dry_run("kiosk.sh", KIOSK_URL=KIOSK_URL, FRESH_PROFILE="1", CHROMIUM="/usr/bin/chromium")
    assert command[0] == "/usr/bin/chromium" and command[-1] == KIOSK_URL
    profile = next(flag for flag in command if flag.startswith("--user-data-dir="))
    assert profile != "--user-data-dir=/var/lib/queue-kiosk" and "queue-kiosk." in profile


def test_the_tv_script_starts_a_display_allowed_to_speak_unasked():
    command = dry_run("tv.sh", DISPLAY_URL)
    assert command[0] == "chromium" and command[-1] == DISPLAY_URL
    flags = set(command[1:-1])
    assert {"--kiosk", "--autoplay-policy=no-user-gesture-required", "--no-first-run"} <= flags
    assert "--disable-background-networking" in flags and "--kiosk-printing" not in flags


@pytest.mark.parametrize("script", ["kiosk.sh", "tv.sh"])
def test_a_launcher_without_an_address_says_how_to_use_it(script):
    env = {k: v for k, v in os.environ.items() if k not in ("KIOSK_URL", "DISPLAY_URL")}
    result = subprocess.run(["sh", str(DEPLOY / script)], env={**env, "DRY_RUN": "1"}, capture_output=True, text=True)
    assert result.returncode == 2 and result.stderr.startswith("usage:")


def tv_args() -> list[str]:
    """tv.sh's flags for a test browser: Playwright owns the profile and the address."""
    flags = dry_run("tv.sh", DISPLAY_URL)[1:-1]
    return [flag for flag in flags if not flag.startswith("--user-data-dir=")]


@pytest.mark.browser
def test_a_display_started_with_the_tv_flags_speaks_without_a_tap(
    browser_type_launch_args, browser_type, allow_orm_in_browser_tests, daphne, django_user_model
):
    # browser_type_launch_args first: it creates the test database before Playwright's event loop starts.
    office = make_office("tvflags")
    services = add_services(office)
    counter = add_counter(office, "5", [services["fl"]])
    operator = make_user(django_user_model, "tvflags-op", office=office, role=Membership.Role.OPERATOR)
    auth = {"Authorization": token_client(operator)._credentials["HTTP_AUTHORIZATION"]}
    server = daphne()
    # TV_ARGS: the test browser's usual flags plus the launcher's, only for this test.
    TV_ARGS = [*CHROMIUM_ARGS, *tv_args()]
    browser = browser_type.launch(**{**browser_type_launch_args, "args": TV_ARGS})
    try:
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        page.goto(f"{server.url}/display/tvflags/")
        expect(page.locator("#display")).to_have_attribute("data-connected", "1")
        # Allowed from the start, before any activation: no banner asks for a tap.
        assert page.evaluate("window.announcer.stateAtStart") == "running"
        expect(page.locator("#enable-sound")).to_be_hidden()
        api = httpx.Client(base_url=server.url, headers=auth, timeout=10)
        api.post("/api/v1/offices/tvflags/tickets/", json={"service": "fl"})
        api.post(f"/api/v1/counters/{counter.pk}/call-next/")
        wait_for(page, "window.announcer.log.length === 1 && window.announcer.log[0].state === 'done'", 15000)
        item = page.evaluate("window.announcer.log[0]")
        assert item["text"] == "Талон А один, пройдите к окну пять"
        assert item["audio"] == "running" and page.evaluate("window.announcer.refused") == 0
    finally:
        browser.close()
