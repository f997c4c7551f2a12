"""Lockout, idle and absolute session limits, and sessions ended by password changes or deactivation."""

import time

import pytest
import time_machine
from django.test import Client

from tests.two_factor import give_authenticator, sign_in
from vom.users.middleware import KEY


def failed(client, times, username="coord", address="203.0.113.5"):
    for _ in range(times):
        client.post("/accounts/login/", {"username": username, "password": "not-it-at-all"}, REMOTE_ADDR=address)


def sign_in_from(client, address, password, username="coord"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


@pytest.mark.django_db
def test_repeated_failures_lock_the_account_from_that_address_for_a_while(client, coordinator, password, settings):
    failed(client, 5)
    response = sign_in_from(client, "203.0.113.5", password)
    assert "Too many failed sign-ins for this account from here. Wait 15 minutes" in response.content.decode()
    assert "_auth_user_id" not in client.session
    settings.LOGIN_LOCKOUT_MINUTES = 0  # the window has passed: the lock lifts by itself
    response = sign_in_from(client, "203.0.113.5", password)
    assert response.status_code == 302 and "_auth_user_id" in client.session


@pytest.mark.django_db
def test_nobody_elsewhere_can_lock_a_coordinator_out(coordinator, password):
    attacker, office = Client(), Client()
    failed(attacker, 12, address="198.51.100.66")
    assert "Too many failed" in sign_in_from(attacker, "198.51.100.66", password).content.decode()
    assert sign_in_from(office, "203.0.113.5", password).status_code == 302


@pytest.mark.django_db
def test_failures_below_the_limit_do_not_lock(client, coordinator, password):
    failed(client, 4)
    assert sign_in_from(client, "203.0.113.5", password).status_code == 302


@pytest.mark.django_db
def test_guesses_sprayed_across_accounts_lock_the_address(client, coordinator, mediator, password, settings):
    for number in range(settings.LOGIN_ADDRESS_LOCKOUT_FAILURES):
        failed(client, 1, username=f"someone{number}", address="198.51.100.7")
    response = sign_in_from(client, "198.51.100.7", password)  # the right password, still refused
    assert "Too many failed sign-ins from your network" in response.content.decode()
    assert sign_in_from(Client(), "203.0.113.5", password, username="med").status_code == 302


@pytest.mark.django_db
def test_a_locked_user_gets_in_from_a_browser_they_used_before(coordinator, password):
    tablet = Client()
    assert sign_in_from(tablet, "203.0.113.5", password).status_code == 302
    tablet.post("/accounts/logout/")
    failed(Client(), 6, address="203.0.113.5")  # someone on the same network guessing
    assert "Too many failed" in sign_in_from(Client(), "203.0.113.5", password).content.decode()
    assert sign_in_from(tablet, "203.0.113.5", password).status_code == 302


@pytest.mark.django_db
def test_a_forged_known_device_cookie_does_not_lift_the_lock(coordinator, password):
    from vom.users.lockout import KNOWN_DEVICE_COOKIE

    browser = Client()
    browser.cookies[KNOWN_DEVICE_COOKIE] = f"{coordinator.pk}:forged:signature"
    failed(browser, 5)
    assert "Too many failed" in sign_in_from(browser, "203.0.113.5", password).content.decode()


@pytest.mark.django_db
def test_an_admin_unlocks_a_locked_account_and_it_is_audited(client, coordinator, admin_user, password):
    from vom.audit.models import AuditEvent

    failed(Client(), 5)
    assert "Too many failed" in sign_in_from(Client(), "203.0.113.5", password).content.decode()
    client.force_login(admin_user)
    response = client.post(
        "/admin/users/user/", {"action": "unlock_sign_in", "_selected_action": [coordinator.pk]}, follow=True
    )
    assert "Sign-in unlocked for 1 user(s)" in response.content.decode()
    assert AuditEvent.objects.filter(action="unlock", what__contains="(coord)", username="root").exists()
    assert sign_in_from(Client(), "203.0.113.5", password).status_code == 302


@pytest.mark.django_db
def test_django_admins_own_sign_in_page_is_under_the_same_lock(client, admin_user, password):
    admin_user.set_password(password)
    admin_user.save()
    failed(client, 5, username="root")
    response = client.post("/admin/login/", {"username": "root", "password": password}, REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 200 and "Too many failed sign-ins" in response.content.decode()


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
def test_a_session_used_every_half_hour_still_ends_twelve_hours_after_sign_in(client, mediator, password):
    start = time.time()
    with time_machine.travel(start, tick=False) as clock:
        assert client.post("/accounts/login/", {"username": "med", "password": password}).status_code == 302
        end = client.session.get_expiry_date()
        for _ in range(24):  # 11 h 36 min of activity, a request every 29 minutes: never idle
            clock.shift(29 * 60)
            assert client.get("/my/").status_code == 200
            assert client.session.get_expiry_date() == end  # the idle stamp's save does not push it back
        clock.shift(29 * 60)  # 12 h 5 min after sign-in
        response = client.get("/my/", follow=True)
    assert response.redirect_chain[0][1] == 302 and "/accounts/login/" in response.redirect_chain[-1][0]
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_session_older_than_its_lifetime_is_ended_with_a_message(client, mediator, settings):
    from vom.users.middleware import SIGNED_IN_KEY

    client.force_login(mediator)
    session = client.session
    session[SIGNED_IN_KEY] = time.time() - settings.SESSION_COOKIE_AGE - 5  # e.g. a store that kept it longer
    session.save()
    response = client.get("/my/", follow=True)
    assert "a session lasts at most 12 hours" in response.content.decode()
    assert "_auth_user_id" not in client.session


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
