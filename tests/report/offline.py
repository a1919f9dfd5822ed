"""What "opens offline" means for an HTML file, checked two ways: by reading and in Chromium."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"

#: places in HTML and CSS where a URL is fetched rather than merely mentioned
FETCHING = re.compile(
    r"""(?:\b(?:src|href|srcset|data|poster|action)\s*=\s*["']?\s*(?:https?:)?//)"""
    r"""|(?:url\(\s*["']?\s*(?:https?:)?//)|(?:@import\s+["']?(?:https?:)?//)"""
    r"""|(?:import\s*\(\s*["'](?:https?:)?//)""",
    re.IGNORECASE)


def fetched_urls(html: str) -> list[str]:
    return [match.group(0) for match in FETCHING.finditer(html)]


def browser_requests(page: Path) -> list[str]:
    """Every request Chromium makes while loading `page` that is not the file itself or data."""
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=["--disable-gpu"])
        try:
            tab = browser.new_page()
            tab.on("request", lambda request: requests.append(request.url))
            tab.goto(page.as_uri(), wait_until="load")
        finally:
            browser.close()
    return [url for url in requests if not url.startswith(("file:", "data:"))]


def have_chromium() -> bool:
    return Path(CHROMIUM).exists() or shutil.which("chromium") is not None
