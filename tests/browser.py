"""The studio page in real Chromium for a test: served on a free port, loaded, ready (its action buttons enabled),
and checked for script errors when the test is done."""

import contextlib


@contextlib.contextmanager
def studio_page(app, size: tuple[int, int] | None = None, phone: bool = False):
    """(driver, wait, By) on the studio page of `app`, once the page is ready; no severe console line (a
    network 4xx the test asked for aside) may be left when the block ends."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.test_studio import chromium, serving

    with serving(app) as url:
        driver = chromium()
        try:
            if size:
                driver.set_window_size(*size)
            if phone:  # a phone's viewport, pixel ratio and touch
                driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                    "width": size[0], "height": size[1], "deviceScaleFactor": 3, "mobile": True})
            driver.get(url + "/")
            wait = WebDriverWait(driver, 60)
            wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "button.action").is_enabled())
            yield driver, wait, By
            severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and e["source"] != "network"]
            assert not severe, severe
        finally:
            driver.quit()


def sample_rolls(driver, wait, By) -> None:
    """Press "Sample" and wait for its rolls."""
    driver.find_element(By.CSS_SELECTOR, '[data-testid="sample"]').click()
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-testid="samples"] [data-testid="play"]'))
