import re

import pytest
from django.core import mail

from tests.two_factor import code_for, give_authenticator


@pytest.mark.django_db
def test_it_signs_in_and_lands_on_the_role_start_page(client, coordinator, password):
    device = give_authenticator(coordinator)
    response = client.post("/accounts/login/", {"username": "coord", "password": password}, follow=True)
    assert response.redirect_chain == [("/", 302), ("/accounts/two-factor/code/?next=%2F", 302)]
    response = client.post("/accounts/two-factor/code/?next=%2F", {"code": code_for(device)}, follow=True)
    assert response.redirect_chain == [("/", 302), ("/cases/", 302)]
    assert b"<h1>Caseload</h1>" in response.content


@pytest.mark.django_db
def test_a_mediator_signs_in_with_the_password_alone(client, mediator, password):
    response = client.post("/accounts/login/", {"username": "med", "password": password}, follow=True)
    assert response.redirect_chain == [("/", 302), ("/my/", 302)]


@pytest.mark.django_db
def test_it_refuses_a_wrong_password_with_a_message(client, coordinator):
    response = client.post("/accounts/login/", {"username": "coord", "password": "wrong-password"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_it_redirects_anonymous_users_to_sign_in(client):
    response = client.get("/cases/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/cases/"


@pytest.mark.django_db
def test_sign_out_needs_post(client, coordinator):
    client.force_login(coordinator)
    response = client.get("/accounts/logout/")
    assert response.status_code == 405
    assert b"This page can" in response.content
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_it_changes_the_password(client, mediator, password):
    client.force_login(mediator)
    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": password,
            "new_password1": "a-much-longer-pass-2027",
            "new_password2": "a-much-longer-pass-2027",
        },
    )
    assert response.status_code == 302
    mediator.refresh_from_db()
    assert mediator.check_password("a-much-longer-pass-2027")


@pytest.mark.django_db
def test_password_change_applies_the_validators(client, mediator, password):
    client.force_login(mediator)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": password, "new_password1": "12345", "new_password2": "12345"},
    )
    assert response.status_code == 200
    assert b"This password is too short" in response.content
    mediator.refresh_from_db()
    assert mediator.check_password(password)


@pytest.mark.django_db
def test_password_reset_by_email_end_to_end(client, mediator):
    response = client.post("/accounts/password_reset/", {"email": mediator.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Reset your VOM Case Manager password"
    link = re.search(r"http://testserver(/accounts/reset/\S+)", message.body).group(1)
    response = client.get(link, follow=True)
    assert b"Set a new password" in response.content
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "brand-new-secret-42x", "new_password2": "brand-new-secret-42x"},
    )
    assert response.status_code == 302
    mediator.refresh_from_db()
    assert mediator.check_password("brand-new-secret-42x")


@pytest.mark.django_db
def test_password_reset_does_not_reveal_unknown_addresses(client):
    response = client.post("/accounts/password_reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []
