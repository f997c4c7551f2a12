"""Each demo role signs in through a real browser and sees the navigation that fits it."""

from io import StringIO

import pytest
from django.core.management import call_command

from tests.two_factor import enter_code_if_asked

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--cases", "12", "--password", "demo-pass-2026", stdout=StringIO())


def sign_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("demo-pass-2026")
    page.get_by_role("button", name="Sign in").click()
    enter_code_if_asked(page, username)  # coordinators and admins: the code from their authenticator app


@pytest.mark.parametrize(
    ("username", "nav_link", "heading", "role_badge"),
    [
        ("coordinator", "Caseload", "Caseload", "Coordinator"),
        ("mediator", "My cases", "My cases", "Mediator"),
        ("admin", "Admin", "Caseload", "Admin"),
    ],
)
def test_role_signs_in_and_sees_its_navigation(page, demo, screenshot, username, nav_link, heading, role_badge):
    sign_in(page, username)
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name=nav_link).wait_for()
    assert page.get_by_role("heading", level=1).inner_text() == heading
    assert page.locator(".account__role").inner_text() == role_badge
    rows = page.locator("table.table tbody tr")
    assert rows.count() > 0
    screenshot("signed-in")
    if username == "mediator":
        assert nav.get_by_role("link", name="Admin").count() == 0
        # a mediator sees only the cases assigned to them
        assert rows.count() < 12

    rows.first.get_by_role("link").first.click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Case ")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()


def test_sign_in_works_from_the_keyboard_and_explains_a_wrong_password(page, demo):
    page.goto("/accounts/login/")
    # Focus starts in the form (autofocus applies once the page has loaded).
    page.wait_for_function("document.activeElement && document.activeElement.name === 'username'")
    page.keyboard.type("coordinator")
    page.keyboard.press("Tab")
    page.keyboard.type("not-the-password")
    page.keyboard.press("Enter")
    assert "Please enter a correct username and password" in page.get_by_role("alert").inner_text()


def test_skip_link_moves_focus_to_the_main_content(page, demo):
    sign_in(page, "coordinator")
    page.get_by_role("heading", name="Caseload").wait_for()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
