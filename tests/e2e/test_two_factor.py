"""A new coordinator sets up two-factor sign-in in a real browser, as from a phone: reads the key off the
page, types the code an authenticator app would show, keeps the backup codes, and later signs in with one."""

import re
from base64 import b32decode
from io import StringIO

import pytest
from django.core.management import call_command
from django_otp.oath import TOTP

from cases.models import Membership, Program
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "demo-pass-2026"


@pytest.fixture
def new_coordinator(db):
    call_command("seed_demo", "--cases", "3", "--password", PASSWORD, stdout=StringIO())
    user = UserFactory(username="newcoord", first_name="Noor", last_name="Haddad")
    user.set_password(PASSWORD)
    user.save()
    Membership.objects.create(user=user, program=Program.objects.get(), role="coordinator")
    return user


def password_step(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_new_coordinator_sets_up_an_authenticator_app_and_later_uses_a_backup_code(page, new_coordinator, screenshot):
    password_step(page, "newcoord")
    page.get_by_role("heading", name="Set up two-factor sign-in").wait_for()
    assert page.get_by_role("navigation", name="Main").count() == 0  # nothing else is reachable yet
    assert page.get_by_role("img", name=re.compile("QR code")).locator("svg").count() == 1
    screenshot("1-set-up")

    # Trying to go around it leads back to it.
    page.goto("/cases/")
    page.get_by_role("heading", name="Set up two-factor sign-in").wait_for()

    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    totp = TOTP(b32decode(secret))
    wrong = f"{(totp.token() + 1) % 1_000_000:06d}"
    page.get_by_label("6-digit code").fill(wrong)
    page.get_by_role("button", name="Confirm and turn on").click()
    assert "That code is not right" in page.get_by_role("alert").inner_text()
    screenshot("2-wrong-code")

    page.wait_for_timeout(1100)  # the wait after one wrong code
    page.get_by_label("6-digit code").fill(f"{totp.token():06d}")
    page.get_by_role("button", name="Confirm and turn on").click()
    page.get_by_role("heading", name="Backup codes").wait_for()
    codes = page.locator(".backup-codes code").all_inner_texts()
    assert len(codes) == 10
    screenshot("3-backup-codes")
    page.get_by_role("link", name="I have kept them: continue").click()
    page.get_by_role("heading", name="Caseload").wait_for()

    page.get_by_role("link", name="Two-factor").click()
    assert "On." in page.locator("main").inner_text()
    screenshot("4-security-page")
    page.get_by_role("button", name="Sign out").click()

    password_step(page, "newcoord")
    page.get_by_role("heading", name="Enter your code").wait_for()
    screenshot("5-code-page")
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    page.get_by_role("heading", name="Caseload").wait_for()
    assert "You used a backup code; 9 left." in page.locator(".messages").inner_text()
