#!/usr/bin/env python3
"""Drives headless Chromium over the pages people see, at 1280x800 and 390x844, light and dark:
the branded claim page, delete with confirmation, a claim to its success page and the return link,
and the /admin dashboard. Fails on any browser console error or CSP violation.

Usage: pages_flow.py BASE_URL API_KEY SCREENSHOT_DIR ADMIN_PASSWORD BRAND_NAME RETURN_URL
Prints one JSON line {"deleted": [...], "deletedProjects": [...], "claimed": [...]} and exits 0 on success.
"""
import base64
import json
import sys
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait
from waits import h1_has

SIZES = [(1280, 800), (390, 844)]


def api(base, key, method, path, body=None, extra=None):
    headers = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
    headers.update(extra or {})
    request = urllib.request.Request(base + path, method=method, data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.load(response)


def provision(base, key, name, tag):
    status, body = api(base, key, "POST", "/v1/databases",
                       json.dumps({"name": name, "region": "eu-central-1"}).encode(), {"Idempotency-Key": tag})
    assert status == 201, status
    return body


def admin_status(base, authorization):
    request = urllib.request.Request(base + "/admin", headers={"Authorization": authorization} if authorization else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


class Run:
    def __init__(self, shots):
        self.shots = shots
        self.problems = []
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--hide-scrollbars"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.wait = WebDriverWait(self.driver, 20)

    def size(self, width, height):
        # The viewport itself (not the window) gets the size, as a phone's would.
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})

    def scheme(self, dark):
        self.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
            "features": [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]})

    def check_console(self, where):
        for entry in self.driver.get_log("browser"):
            message = entry.get("message", "")
            if entry.get("level") == "SEVERE" or "Content Security Policy" in message or "Refused to" in message:
                self.problems.append(f"{where}: {entry.get('level')} {message}")

    def shot(self, name):
        """The whole page, not only the viewport."""
        metrics = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        content = metrics.get("cssContentSize") or metrics["contentSize"]
        width = metrics.get("cssLayoutViewport", metrics["layoutViewport"])["clientWidth"]
        data = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": content["height"], "scale": 1}})
        with open(f"{self.shots}/{name}.png", "wb") as handle:
            handle.write(base64.b64decode(data["data"]))

    def accessible(self, where):
        """The basics a screen reader needs: a language, one h1, headings without skipped levels,
        a label for every visible form control, alt text on every image, a title on every chart."""
        found = self.driver.execute_script("""
            const problems = [];
            if (!document.documentElement.lang) problems.push('no lang');
            if (document.querySelectorAll('h1').length !== 1) problems.push('h1 count ' + document.querySelectorAll('h1').length);
            let last = 1;
            for (const h of document.querySelectorAll('h1,h2,h3,h4')) {
                const level = +h.tagName[1];
                if (level > last + 1) problems.push('heading jumps to ' + h.tagName + ': ' + h.textContent);
                last = level;
            }
            for (const c of document.querySelectorAll('input:not([type=hidden]),select,textarea')) {
                if (!c.id || !document.querySelector('label[for="' + c.id + '"]')) problems.push('unlabelled ' + (c.name || c.type));
            }
            for (const img of document.querySelectorAll('img')) if (!img.hasAttribute('alt')) problems.push('img without alt');
            for (const svg of document.querySelectorAll('svg')) {
                if (svg.getAttribute('role') !== 'img' || !svg.querySelector('title')) problems.push('svg without role/title');
            }
            return problems;""")
        self.problems += [f"{where}: {problem}" for problem in found]

    def no_horizontal_scroll(self, where):
        overflow = self.driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 1:
            self.problems.append(f"{where}: page scrolls sideways by {overflow}px")


def main():
    base, key, shots, password, brand, return_url = sys.argv[1:7]
    run = Run(shots)
    driver, wait = run.driver, run.wait
    result = {"deleted": [], "deletedProjects": [], "claimed": []}
    good = "Basic " + base64.b64encode(f"admin:{password}".encode()).decode()
    wrong = "Basic " + base64.b64encode(b"admin:not-the-password").decode()
    assert admin_status(base, None) == 401
    assert admin_status(base, wrong) == 401
    try:
        for width, height in SIZES:
            tag = f"{width}x{height}"
            run.size(width, height)
            run.scheme(dark=False)
            # 1. The branded claim page, then delete with confirmation.
            doomed = provision(base, key, f"delete-me-{width}", f"pages-del-{tag}")
            driver.get(doomed["claimUrl"])
            assert driver.find_element(By.TAG_NAME, "h1").text == "Claim your database"
            lead = driver.find_element(By.CSS_SELECTOR, "p.lead").text
            assert lead == f"Created for you by {brand}.", lead
            assert "Europe (Frankfurt)" in driver.page_source
            logo = driver.find_element(By.CSS_SELECTOR, "header.brand img")
            assert driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", logo), "logo not loaded"
            run.check_console(f"claim page {tag}")
            run.accessible(f"claim page {tag}")
            run.no_horizontal_scroll(f"claim page {tag}")
            run.shot(f"{tag}-1-claim")
            driver.find_element(By.LINK_TEXT, "Delete this database").click()
            wait.until(h1_has("Delete this database?"))
            run.check_console(f"confirm page {tag}")
            run.accessible(f"confirm page {tag}")
            run.shot(f"{tag}-2-confirm-delete")
            driver.find_element(By.CSS_SELECTOR, "button.danger").click()
            wait.until(h1_has("The database was deleted"))
            back = driver.find_element(By.PARTIAL_LINK_TEXT, f"Back to {brand}").get_attribute("href")
            assert back == return_url, back
            run.check_console(f"deleted page {tag}")
            run.shot(f"{tag}-3-deleted")
            status, body = api(base, key, "GET", f"/v1/databases/{doomed['id']}")
            assert body["status"] == "deleted" and body["deletedBy"] == "user", body
            result["deleted"].append(doomed["id"])
            result["deletedProjects"].append(doomed["projectId"])
            # 2. A claim to the success page, with the way back beside the Console link.
            kept = provision(base, key, f"keep-me-{width}", f"pages-claim-{tag}")
            driver.get(kept["claimUrl"])
            driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
            wait.until(EC.element_to_be_clickable((By.ID, "approve")))
            run.shot(f"{tag}-4-consent")
            driver.find_element(By.ID, "approve").click()
            wait.until(h1_has("Your database is yours"))
            back = driver.find_element(By.PARTIAL_LINK_TEXT, f"Back to {brand}").get_attribute("href")
            assert back == return_url, back
            assert driver.find_element(By.PARTIAL_LINK_TEXT, "Prisma Console").is_displayed()
            run.check_console(f"success page {tag}")
            run.accessible(f"success page {tag}")
            run.no_horizontal_scroll(f"success page {tag}")
            run.shot(f"{tag}-5-claimed")
            result["claimed"].append(kept["id"])
            # 3. The dashboard, light and dark: signed in with the login form at the first size,
            #    with HTTP Basic at the second (after signing out).
            if (width, height) == SIZES[0]:
                driver.get(base + "/admin/login")
                run.accessible(f"login {tag}")
                run.shot(f"{tag}-6-login")
                driver.find_element(By.ID, "password").send_keys(password)
                driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
                wait.until(h1_has("Fleet"))
                run.check_console(f"login {tag}")
            else:
                driver.get(base + "/admin")
                driver.find_element(By.XPATH, "//button[text()='Sign out']").click()
                wait.until(h1_has("Signed out"))
                run.check_console(f"sign out {tag}")
                driver.execute_cdp_cmd("Network.enable", {})
                driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Authorization": good}})
            for dark in (False, True):
                run.scheme(dark)
                driver.get(base + "/admin")
                assert driver.find_element(By.TAG_NAME, "h1").text == "Fleet"
                charts = driver.find_elements(By.CSS_SELECTOR, "svg.chart")
                assert len(charts) == 2, len(charts)
                counts = driver.find_element(By.CSS_SELECTOR, "dl.counts").text
                assert "Deleted" in counts and "Claimed" in counts, counts
                assert password not in driver.page_source
                run.check_console(f"admin {tag} dark={dark}")
                run.accessible(f"admin {tag} dark={dark}")
                run.no_horizontal_scroll(f"admin {tag} dark={dark}")
                run.shot(f"{tag}-6-admin-{'dark' if dark else 'light'}")
            driver.find_element(By.LINK_TEXT, f"keep-me-{width}").click()
            wait.until(h1_has(f"keep-me-{width}"))
            assert "database.claimed" in driver.page_source
            run.check_console(f"timeline {tag}")
            run.accessible(f"timeline {tag}")
            run.shot(f"{tag}-7-timeline-dark")
            driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {}})
            # 4. The claim page in dark mode.
            run.scheme(dark=True)
            dark_db = provision(base, key, f"dark-{width}", f"pages-dark-{tag}")
            driver.get(dark_db["claimUrl"])
            run.check_console(f"claim page dark {tag}")
            run.shot(f"{tag}-8-claim-dark")
        assert not run.problems, "\n".join(run.problems)
        print(json.dumps(result))
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
