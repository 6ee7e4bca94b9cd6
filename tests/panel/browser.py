"""The panel in Debian's Chromium, driven by Playwright: one way to start it, and where screenshots go."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playwright.async_api import Browser, Page, async_playwright

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
# No sandbox (containers), no GPU (Xvfb-less CI), nothing reaching out to the network.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@asynccontextmanager
async def chromium_page(locale: str, width: int = 1280, height: int = 800) -> AsyncIterator[Page]:
    """A fresh browser's page, its language and window set."""
    async with chromium() as browser:
        context = await browser.new_context(viewport={"width": width, "height": height}, locale=locale)
        yield await context.new_page()


async def shot(page: Page, name: str) -> None:
    """A full-page screenshot, test-artifacts/screenshots/{name}.png, to be looked at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


AXE = Path(__file__).with_name("node_modules") / "axe-core" / "axe.min.js"


async def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now."""
    # Evaluated through the DevTools protocol: the page's CSP rightly refuses an injected <script>.
    await page.evaluate(AXE.read_text())
    result = await page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in result["violations"]
            if v["impact"] in ("serious", "critical")]
