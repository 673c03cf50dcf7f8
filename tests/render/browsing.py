"""What the browser tests share: a Chromium driven by Playwright, offline.

Whatever Chromium is present is used: a distribution's on the PATH (Debian's, which
.ci/run installs) or one that `python -m playwright install chromium` downloaded. With
neither, the tests skip with one line that says how to get one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


def find_chromium() -> Path | None:
    """A Chromium on the PATH, else Playwright's own; None when there is neither."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return Path(found)
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            bundled = Path(playwright.chromium.executable_path)
    except Exception:  # noqa: BLE001 - no Playwright driver at all is also "no browser"
        return None
    return bundled if bundled.is_file() else None


CHROMIUM = find_chromium()
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
LOCAL_SCHEMES = ("file:", "data:", "about:")

MARKS = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium: apt-get install chromium, or python -m playwright install chromium"),
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
