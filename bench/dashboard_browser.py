"""The overview's first contentful paint in Debian's headless Chromium (never a downloaded browser)."""
from __future__ import annotations

from playwright.sync_api import sync_playwright

from bench.dashboard_console import Console

CHROMIUM = {"executable_path": "/usr/bin/chromium", "args": ["--no-sandbox", "--disable-background-networking"]}
FCP = "performance.getEntriesByName('first-contentful-paint').map(e => e.startTime)"


def first_paints(console: Console, path: str, *, loads: int) -> list[float]:
    """Milliseconds from navigation to first contentful paint of ``path`` for ``loads`` loads after logging in
    through the form; the first one fetches the static files, the others find them in the browser's cache."""
    with sync_playwright() as p:
        browser = p.chromium.launch(**CHROMIUM)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(30_000)
            page.goto(f"{console.url}/login")
            page.fill("input[name=name]", console.admin)
            page.fill("input[name=password]", console.password)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            paints = []
            for _ in range(loads):
                page.goto(f"{console.url}{path}", wait_until="load")
                # a function, not an expression: Playwright evals an expression, which the page's CSP refuses
                page.wait_for_function(f"() => {FCP}.length > 0")
                paints.append(page.evaluate(FCP)[0])
            return paints
        finally:
            browser.close()
