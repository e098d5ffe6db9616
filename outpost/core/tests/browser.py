"""Headless Chromium for the few walks that need a real browser.

Loaded as a pytest plugin from ``conftest.py``: every browser test gets the
``browser`` and ``page`` fixtures, and ``sign_in`` passes both factors as a
person would. Debian's chromium is used; Playwright's own download is not.
"""

import os
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from outpost.accounts.tests.factories import code_for, make_device
from outpost.orgs.models import User

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "correct horse battery"  # make_staff's password


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not os.path.exists(executable):
        reason = f"Chromium not found at {executable}; set CHROMIUM_PATH"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def sign_in(page: Page, server_url: str, user: User) -> None:
    """Sign in with the password and a code from a new authenticator app."""
    authenticator = make_device(user)
    page.goto(f"{server_url}/accounts/login/")
    page.locator("#id_username").fill(user.get_username())
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    expect(page).to_have_url(re.compile(r"/account/two-factor/"))
    page.locator("#id_code").fill(code_for(authenticator))
    page.locator("#id_code").press("Enter")
    expect(page).not_to_have_url(re.compile(r"/account/two-factor/"))
