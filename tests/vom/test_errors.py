import re

import pytest
from django.test import Client


@pytest.mark.django_db
def test_unknown_url_gets_the_friendly_404(client, coordinator):
    client.force_login(coordinator)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "find that page" in response.content.decode()
    assert b"Caseload" in response.content  # the normal layout and navigation


@pytest.mark.django_db
def test_server_error_gets_the_friendly_500(settings):
    settings.ROOT_URLCONF = "tests.vom.urls_errors"
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    assert "deliberate failure" not in body
    assert "Traceback" not in body


@pytest.mark.django_db
def test_an_unreachable_database_gets_a_503_with_retry_after(settings):
    settings.ROOT_URLCONF = "tests.vom.urls_errors"
    response = Client(raise_request_exception=False).get("/database-gone/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.content.decode()
    assert "briefly unavailable" in body and "5432" not in body


@pytest.mark.django_db
def test_bad_host_gets_the_friendly_400():
    response = Client().get("/accounts/login/", HTTP_HOST="evil.example.com")
    assert response.status_code == 400
    assert b"That request could not be understood" in response.content


@pytest.mark.django_db
def test_missing_or_expired_csrf_token_gets_a_plain_explanation(coordinator, password):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "coord", "password": password})
    assert response.status_code == 403
    assert b"This form has expired" in response.content
    assert b"Nothing was saved" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_pages_carry_security_headers(client, coordinator):
    client.force_login(coordinator)
    response = client.get("/cases/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_the_layout_has_landmarks_and_a_skip_link(client, coordinator):
    client.force_login(coordinator)
    body = client.get("/cases/").content.decode()
    assert '<a class="skip-link" href="#main">' in body
    assert '<main id="main"' in body
    assert '<nav class="site-nav" aria-label="Main">' in body
    # The CSP forbids inline script: every script is a file of the app's own, with nothing between the tags.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", body, flags=re.S)
    assert scripts and body.count("<script") == len(scripts)
    assert all(re.search(r'src="/static/js/[\w./-]+\.js"', attrs) and not inner.strip() for attrs, inner in scripts)
