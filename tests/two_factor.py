"""Helpers for two-factor sign-in in tests: an authenticator app for a user, and the codes it shows."""

import time

from django_otp.plugins.otp_totp.models import TOTPDevice

from vom.users.selectors import authenticator_for, next_totp_code, two_factor_required
from vom.users.services import client_session_verify


def give_authenticator(user) -> TOTPDevice:
    """The user's confirmed authenticator app (made with a random key if they have none)."""
    return authenticator_for(user) or TOTPDevice.objects.create(user=user, name="Test phone", confirmed=True)


def code_for(device: TOTPDevice) -> str:
    """The code the phone shows now, computed from the device's key as an authenticator app does (waiting
    for the next time step when this one's code was already used)."""
    device.refresh_from_db()
    code, wait = next_totp_code(device)
    if wait:
        time.sleep(wait)
        code, _ = next_totp_code(device)
    return code


def verify_session(client, user) -> None:
    """Mark the client's session as having passed the second factor, as entering a code does, for users who
    owe one. Reads the user afresh, so the roles cached on the caller's object stay untouched."""
    fresh = type(user).objects.get(pk=user.pk)
    if two_factor_required(fresh):
        give_authenticator(fresh)
    client_session_verify(client=client, user=fresh)


def sign_in(client, username: str, password: str, *, follow: bool = False):
    """Sign in through the real forms: the password, then a code from the user's authenticator app when
    the code page asks for one. Returns the last response."""
    response = client.post("/accounts/login/", {"username": username, "password": password})
    if response.status_code != 302:
        return response
    landing = client.get(response["Location"])
    if landing.status_code == 302 and landing["Location"].startswith("/accounts/two-factor/code/"):
        from django.contrib.auth import get_user_model

        device = authenticator_for(get_user_model().objects.get(username=username))
        return client.post(landing["Location"], {"code": code_for(device)}, follow=follow)
    return landing


def enter_code_if_asked(page, username: str) -> None:
    """Browser tests: after the password, type the code a phone would show when the app asks for one."""
    from django.contrib.auth import get_user_model

    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    if "/accounts/two-factor/code/" not in page.url:
        return
    device = authenticator_for(get_user_model().objects.get(username=username))
    page.get_by_label("Code").fill(code_for(device))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(lambda url: "/accounts/two-factor/" not in url)
