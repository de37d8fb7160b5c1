"""A real headless browser for the tests of the HTML pages (run's and diff's --format html).

Debian's `chromium`, driven by selenium through Debian's `chromium-driver` (`make chromium`
installs both). Why selenium over raw DevTools: it is the W3C WebDriver client the browsers'
own projects keep, it reads the DOM, takes screenshots and, with goog:loggingPrefs, returns the
browser's console log (what "loads without console errors" needs), all in a few calls. The
driver is the distribution's, built with the browser, and given by path: Selenium Manager
never runs, so nothing is downloaded. Outside CI a missing browser skips with the reason; with
`CI` set it fails (as tests/test_install.py's _unavailable), since CI must test the page."""

from __future__ import annotations

import io
import os
import shutil
from contextlib import contextmanager

import pytest

WIDTH, HEIGHT = 1280, 1000


def unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI (`CI` is set) must test the HTML pages in a real browser", pytrace=False)
    pytest.skip(f"{reason} (with `CI` set this fails instead)")


@contextmanager
def chromium():
    """A headless Chromium driven by selenium, quit on leaving (a test module's fixture wraps it)."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        unavailable("selenium is not installed: pip install -e '.[dev]'")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        unavailable("Chromium or its driver is not installed: `make chromium` (Debian's chromium, chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 f"--window-size={WIDTH},{HEIGHT}", "--disable-extensions", "--no-first-run"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def open_page(driver, path) -> list[dict]:
    """Load a file and return what its console said while loading (each entry once)."""
    driver.get_log("browser")  # what an earlier page said is not this one's
    driver.get(path.resolve().as_uri())
    state = driver.execute_script("return document.readyState")
    assert state == "complete", state
    return driver.get_log("browser")


def console_errors(log: list[dict]) -> list[dict]:
    """Errors and warnings: a blocked script (the page's policy forbids all) is an error."""
    return [entry for entry in log if entry["level"] in ("SEVERE", "WARNING")]


def screenshot_colours(driver) -> tuple[int, float]:
    """The screenshot decoded: (distinct colours, fraction of pixels that are not white)."""
    from PIL import Image

    image = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")
    colours = image.getcolors(maxcolors=image.width * image.height)
    white = sum(count for count, rgb in colours if rgb == (255, 255, 255))
    return len(colours), 1 - white / (image.width * image.height)
