#!/usr/bin/env python3
"""Drives headless Chromium through the whole claim: provision (partner API) → claim page →
"Sign in to Prisma and claim" → the Prisma (emulator) consent page → Approve → success page.

Usage: claim_flow.py BASE_URL API_KEY SCREENSHOT_DIR
Prints one JSON line {"databaseId": …, "projectId": …, "consoleUrl": …} and exits 0 on success.
"""
import json
import sys
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait
from waits import h1_has


def provision(base, key):
    request = urllib.request.Request(
        base + "/v1/databases", method="POST", data=b'{"name":"browser-test","region":"eu-central-1"}',
        headers={"Authorization": "Bearer " + key, "Content-Type": "application/json", "Idempotency-Key": "browser-1"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201, response.status
        return json.load(response)


def main():
    base, key, shots = sys.argv[1], sys.argv[2], sys.argv[3]
    database = provision(base, key)
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1000,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    wait = WebDriverWait(driver, 20)
    try:
        driver.get(database["claimUrl"])
        heading = driver.find_element(By.TAG_NAME, "h1").text
        assert heading == "Claim your database", heading
        assert "browser-test" in driver.page_source
        driver.save_screenshot(shots + "/1-claim-page.png")
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        wait.until(EC.element_to_be_clickable((By.ID, "approve")))
        assert "/authorize" in driver.current_url, driver.current_url
        driver.save_screenshot(shots + "/2-consent.png")
        driver.find_element(By.ID, "approve").click()
        wait.until(h1_has("Your database is yours"))
        assert "/oauth/callback" in driver.current_url, driver.current_url
        driver.save_screenshot(shots + "/3-claimed.png")
        console = driver.find_element(By.PARTIAL_LINK_TEXT, "Prisma Console").get_attribute("href")
        # The callback page must not leak its URL (code, state) to the next site.
        policy = driver.execute_script("return document.referrer === '' && document.querySelector('meta[name=referrer]').content")
        assert policy == "no-referrer", policy
        print(json.dumps({"databaseId": database["id"], "projectId": database["projectId"], "consoleUrl": console}))
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
