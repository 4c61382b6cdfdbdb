"""The studio page in real Chromium, on a desktop and as a phone: no serious or critical axe-core violation
(axe-core vendored in tests/assets, never fetched), no sideways scrolling at 390 px, every control at least
24x24 CSS px (WCAG 2.2 target size) and labelled, and the whole page usable from the keyboard."""

import json
import os
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from musicae.studio.server import create_app  # noqa: E402
from tests.test_studio import chromium, serving  # noqa: E402

AXE = Path(__file__).parent / "assets" / "axe-core" / "axe.min.js"


def scan(driver) -> list[dict]:
    driver.execute_script(AXE.read_text())
    found = driver.execute_async_script(
        "const done = arguments[0]; axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa', "
        "'best-practice']}).then(r => done(JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, "
        "nodes: v.nodes.map(n => n.target.join(' '))})))));")
    return [v for v in json.loads(found) if v["impact"] in ("serious", "critical")]


def small_targets(driver) -> list[str]:
    return driver.execute_script(
        "return [...document.querySelectorAll('button, select, input, a[href]')].filter(e => e.offsetParent !== null)"
        ".filter(e => { const r = e.getBoundingClientRect(); return r.width < 24 || r.height < 24; })"
        ".map(e => e.id || e.getAttribute('data-testid') || e.outerHTML.slice(0, 60));")


@pytest.mark.parametrize("width, height", [(1400, 1000), (390, 844)])
def test_the_page_passes_axe_fits_a_phone_and_has_big_enough_targets(width, height, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with serving(create_app()) as url:
        driver = chromium()
        try:
            driver.set_window_size(width, height)
            if width < 600:  # a phone: its viewport, pixel ratio and touch
                driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                    "width": width, "height": height, "deviceScaleFactor": 3, "mobile": True})
            driver.get(url + "/")
            wait = WebDriverWait(driver, 60)
            wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid="sample"]').is_enabled())
            driver.find_element(By.CSS_SELECTOR, '[data-testid="sample"]').click()  # results on the page too
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid="samples"] [data-testid="play"]'))
            assert scan(driver) == []
            assert driver.execute_script("return document.documentElement.scrollWidth") <= width
            assert small_targets(driver) == []
            # the README's phone picture: MUSICAE_WRITE_DOCS=1 python -m pytest tests/test_studio_accessibility.py
            docs = Path(__file__).parent.parent / "docs" if os.environ.get("MUSICAE_WRITE_DOCS") else tmp_path
            if width < 600:
                driver.save_screenshot(str(docs / "studio_phone.png"))
        finally:
            driver.quit()


def test_every_control_can_be_reached_and_used_from_the_keyboard():
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    with serving(create_app()) as url:
        driver = chromium()
        try:
            driver.get(url + "/")
            wait = WebDriverWait(driver, 60)
            wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid="sample"]').is_enabled())
            reached = set()
            body = driver.find_element(By.TAG_NAME, "body")
            for _ in range(80):
                body.send_keys(Keys.TAB)
                active = driver.switch_to.active_element
                reached.add(active.get_attribute("data-testid") or active.get_attribute("id"))
            for control in ("model", "interpolate", "mix", "pad", "sample", "stop", "tempo"):
                assert control in reached, control
            sample = driver.find_element(By.CSS_SELECTOR, '[data-testid="sample"]')
            sample.send_keys(Keys.ENTER)  # a button works from the keyboard
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid="samples"] [data-testid="play"]'))
        finally:
            driver.quit()
