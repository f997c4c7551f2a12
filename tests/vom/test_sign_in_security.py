"""Lockout, idle and absolute session limits, and sessions ended by password changes or deactivation."""

import time

import pytest
from django.test import Client

from tests.two_factor import give_authenticator, sign_in
from vom.users.middleware import KEY


def failed(client, times):
    for _ in range(times):
        client.post("/accounts/login/", {"username": "coord", "password": "not-it-at-all"})


@pytest.mark.django_db
def test_repeated_failures_lock_the_account_for_a_while(client, coordinator, password, settings):
    failed(client, 5)
    response = client.post("/accounts/login/", {"username": "coord", "password": password})
    assert "Too many failed sign-ins for this account. Wait 15 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session
    settings.LOGIN_LOCKOUT_MINUTES = 0  # the window has passed: the lock lifts by itself
    response = client.post("/accounts/login/", {"username": "coord", "password": password})
    assert response.status_code == 302 and "_auth_user_id" in client.session


@pytest.mark.django_db
def test_failures_below_the_limit_do_not_lock(client, coordinator, password):
    failed(client, 4)
    assert client.post("/accounts/login/", {"username": "coord", "password": password}).status_code == 302


@pytest.mark.django_db
def test_an_idle_session_ends(client, coordinator, settings):
    client.force_login(coordinator)
    assert client.get("/cases/").status_code == 200
    session = client.session
    session[KEY] = time.time() - (settings.SESSION_IDLE_MINUTES * 60 + 5)
    session.save()
    response = client.get("/cases/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_sessions_have_an_absolute_lifetime_of_twelve_hours(client, coordinator, password):
    client.post("/accounts/login/", {"username": "coord", "password": password})
    assert 12 * 3600 - 60 <= client.session.get_expiry_age() <= 12 * 3600


@pytest.mark.django_db
def test_a_password_change_signs_out_other_sessions(coordinator, password):
    give_authenticator(coordinator)
    laptop, tablet = Client(), Client()
    for device in (laptop, tablet):
        sign_in(device, "coord", password)
        assert device.get("/cases/").status_code == 200
    laptop.post(
        "/accounts/password_change/",
        {"old_password": password, "new_password1": "another-long-pass-77", "new_password2": "another-long-pass-77"},
    )
    assert laptop.get("/cases/").status_code == 200  # the session that changed it stays
    assert tablet.get("/cases/").status_code == 302  # every other session ends


@pytest.mark.django_db
def test_a_deactivated_account_is_signed_out(client, coordinator):
    client.force_login(coordinator)
    coordinator.is_active = False
    coordinator.save()
    assert client.get("/cases/").status_code == 302


@pytest.mark.django_db
def test_sign_in_starts_a_new_session_key(client, coordinator, password):
    client.get("/accounts/login/")
    client.session.save()
    before = client.session.session_key
    client.post("/accounts/login/", {"username": "coord", "password": password})
    assert client.session.session_key != before
