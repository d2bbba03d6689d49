"""Waits shared by the browser flows."""

from selenium.common.exceptions import WebDriverException


def h1_has(text):
    """A wait condition: the page's first h1 contains `text`.

    Read in one script rather than with Selenium's `text_to_be_present_in_element`, which finds
    the element in one command and reads its text in the next: when the page navigates in
    between (a form's redirect), the second command fails with "Node with given id does not
    belong to the document" instead of waiting for the new page. An error while the page is
    changing means "not yet"; the wait's timeout still fails a page that never shows `text`.
    """

    def condition(driver):
        try:
            return driver.execute_script(
                "const h = document.querySelector('h1');"
                " return h !== null && h.textContent.includes(arguments[0]);",
                text,
            )
        except WebDriverException:
            return False

    return condition
