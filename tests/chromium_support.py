"""Debian's Chromium through Playwright for a test module's `browser` fixture (tests/browser_support.py has the
rest of what the real-browser tests share)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.browser_support import launch


@contextmanager
def running_chromium(extra_args: list[str] = ()) -> Iterator:
    """A Chromium started with CHROMIUM_ARGS and `extra_args` (a file's host-resolver rule), closed afterwards."""
    from playwright import sync_api

    with sync_api.sync_playwright() as playwright:
        browser = launch(playwright, extra_args)
        try:
            yield browser
        finally:
            browser.close()
