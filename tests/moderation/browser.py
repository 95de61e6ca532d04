"""Playwright driving Debian's Chromium (never a browser Playwright downloads itself)."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connections

from tests.conftest import PROJECT_DIR

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# CI keeps these as artifacts (gitignored, like everything under var/).
SCREENSHOTS = PROJECT_DIR / "var" / "browser"


@contextmanager
def chromium_page(base_url: str) -> Iterator[object]:
    """A fresh browser context at 1440x900 on `base_url`; closed afterwards."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install -y chromium` (.ci/run does it)")
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                base_url=base_url, viewport={"width": 1440, "height": 900}
            )
            context.set_default_timeout(15_000)
            yield context.new_page()
        finally:
            browser.close()
            # The test's ORM calls inside this block ran in Playwright's event-loop context,
            # where Django keeps separate connections: close them here, or the test database
            # cannot be dropped at the end of the session.
            connections.close_all()


def shot(page: object, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]
