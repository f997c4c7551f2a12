"""The survey page a party opens from the email: no account, one use, never a 500."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from surveys.models import SurveyInvitation, SurveyResponse
from surveys.tokens import SALT, invitation_token
from vom.audit.models import AuditEvent

from .conftest import ALL_AGREE

INVALID = "This link is no longer valid"


def assert_invalid(response, status):
    assert response.status_code == status
    assert INVALID in response.content.decode()


def assert_nothing_saved(invitation):
    invitation.refresh_from_db()
    assert invitation.used_at is None
    assert not SurveyResponse.objects.exists()


@pytest.mark.django_db
def test_a_party_opens_the_survey_without_signing_in(client, url):
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    for text in ("The process was fair.", "I am satisfied with the outcome.", "I felt safe.", "I was heard.",
                 "I would recommend mediation", "Prefer not to say", "Riverbend VOM", "Send my answers"):  # fmt: skip
        assert text in body
    assert body.count("<fieldset") == 5 and body.count("<legend") == 5
    assert body.count('type="radio"') == 5 * 6
    assert "csrfmiddlewaretoken" in body and "csrftoken" in response.cookies
    assert "sessionid" not in response.cookies  # no session is started
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "strict-origin"  # the token in the address goes nowhere
    assert "script-src 'self'" in response["Content-Security-Policy"] and "<script" not in body
    assert "Sign out" not in body and "/accounts/login/" not in body


@pytest.mark.django_db
def test_answers_are_saved_once_with_the_role_and_no_name(client, url, invitation):
    response = client.post(url, ALL_AGREE)
    program = invitation.case.program
    assert response.status_code == 302 and response["Location"] == f"/survey/thanks/?program={program.slug}"
    thanks = client.get(response["Location"])
    assert "Your answers were received" in thanks.content.decode() and "no-store" in thanks["Cache-Control"]
    assert f"<title>Thank you · {program.name}</title>" in thanks.content.decode()
    assert "Your answers were received" in client.get("/survey/thanks/?program=nonsense").content.decode()
    saved = SurveyResponse.objects.get()
    assert (saved.invitation, saved.case, saved.respondent_role, saved.occasion) == (
        invitation, invitation.case, "offender", "joint_session",
    )  # fmt: skip
    assert [saved.fair, saved.satisfied, saved.safe, saved.heard, saved.recommend] == [5, 4, 5, 5, None]
    assert saved.comment == "Thank you."
    invitation.refresh_from_db()
    assert invitation.used_at == saved.submitted_at
    event = AuditEvent.objects.get(what__startswith="survey answered")
    assert (event.case_id, event.user, event.username) == (invitation.case_id, None, "survey link")
    assert event.ip_address is None and event.user_agent == ""  # a party's address is not kept
    assert "Kai" not in str(event) and "Lopez" not in str(event.changes) and str(invitation.party_id) not in event.what


@pytest.mark.django_db
def test_a_forged_token_shows_the_plain_invalid_page(client, url, invitation):
    token = url.split("/")[2]
    payload = {"i": invitation.pk, "n": invitation.nonce}
    for forged in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "nonsense", "a:b:c", "x" * 5000,
                   signing.dumps(payload),  # the default salt, not ours
                   signing.dumps(payload, salt=SALT, key="another-secret-key")):  # fmt: skip
        assert_invalid(client.get(f"/survey/{forged}/"), 404)
        assert_invalid(client.post(f"/survey/{forged}/", ALL_AGREE), 404)
    assert_nothing_saved(invitation)


@pytest.mark.django_db
def test_a_token_cannot_be_turned_towards_another_invitation(client, held, invitation):
    guardian = SurveyInvitation.objects.get(party__role="guardian")
    borrowed = signing.dumps({"i": guardian.pk, "n": invitation.nonce}, salt=SALT)  # the offender's nonce
    assert_invalid(client.post(f"/survey/{borrowed}/", ALL_AGREE), 410)
    assert_invalid(client.get(f"/survey/{signing.dumps({'i': 999999, 'n': 'x'}, salt=SALT)}/"), 404)
    assert not SurveyResponse.objects.exists()


@pytest.mark.django_db
def test_an_expired_invitation_is_refused_with_the_programs_contact(client, url, invitation):
    SurveyInvitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(url)
    assert_invalid(response, 410)
    assert "(555) 0100-2000 or vom@riverbend.example.org" in response.content.decode()
    assert_invalid(client.post(url, ALL_AGREE), 410)
    assert_nothing_saved(invitation)


@pytest.mark.django_db
def test_a_token_signed_more_than_30_days_ago_is_expired_even_if_the_row_is_not(client, invitation):
    long_ago = timezone.now() - timedelta(days=31)
    with mock.patch("django.core.signing.time.time", return_value=long_ago.timestamp()):
        old = invitation_token(invitation)
    assert_invalid(client.post(f"/survey/{old}/", ALL_AGREE), 410)
    assert_nothing_saved(invitation)
    recent = timezone.now() - timedelta(days=29)
    with mock.patch("django.core.signing.time.time", return_value=recent.timestamp()):
        still_good = invitation_token(invitation)
    assert client.get(f"/survey/{still_good}/").status_code == 200


@pytest.mark.django_db
def test_a_used_link_is_no_longer_valid(client, url):
    client.post(url, ALL_AGREE)
    response = client.get(url)
    assert_invalid(response, 410)
    assert "Thank you." not in response.content.decode()  # the answers are not shown back


@pytest.mark.django_db
def test_posting_twice_keeps_the_first_answers_and_says_thank_you(client, url):
    first = Client()
    second = Client()
    page_one, page_two = first.get(url), second.get(url)  # two tabs, both open before either posts
    assert page_one.status_code == page_two.status_code == 200
    assert first.post(url, ALL_AGREE).status_code == 302
    response = second.post(url, ALL_AGREE | {"fair": "1", "comment": "Changed my mind"})
    assert response.status_code == 200
    assert "your answers were already received" in response.content.decode()
    saved = SurveyResponse.objects.get()
    assert (saved.fair, saved.comment) == (5, "Thank you.")
    assert AuditEvent.objects.filter(what__startswith="survey answered").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"fair": "7"}, "Choose one of the answers from 1 to 5"),
        ({"safe": "0"}, "Choose one of the answers from 1 to 5"),
        ({"heard": "abc"}, "Choose one of the answers from 1 to 5"),
        ({"satisfied": "4.5"}, "Choose one of the answers from 1 to 5"),
        ({"recommend": ""}, "Choose an answer, or “Prefer not to say”."),
        ({"comment": "x" * 2001}, "at most 2000 characters"),
    ],
)
def test_bad_answers_are_shown_again_and_nothing_is_saved(client, url, invitation, change, message):
    data = ALL_AGREE | change
    response = client.post(url, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body and "Nothing was saved" in body
    assert_nothing_saved(invitation)
    # The rest of what was typed is kept, so the party fixes one answer and sends again.
    kept = '"fair" value="5"' if "satisfied" in change else '"satisfied" value="4"'
    assert re.search(f"name={kept}[^>]*checked", body)


@pytest.mark.django_db
def test_an_unanswered_question_is_refused_when_the_field_is_missing(client, url, invitation):
    data = {k: v for k, v in ALL_AGREE.items() if k != "safe"}
    response = client.post(url, data)
    assert response.status_code == 200 and "question--error" in response.content.decode()
    assert_nothing_saved(invitation)


@pytest.mark.django_db
def test_prefer_not_to_say_everywhere_is_a_valid_answer(client, url):
    data = {f: "skip" for f in ("fair", "satisfied", "safe", "heard", "recommend")}
    assert client.post(url, data).status_code == 302
    saved = SurveyResponse.objects.get()
    assert [saved.fair, saved.satisfied, saved.safe, saved.heard, saved.recommend, saved.comment] == [None] * 5 + [""]


@pytest.mark.django_db
def test_csrf_is_enforced_and_the_page_provides_the_token(url):
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(url, ALL_AGREE).status_code == 403
    assert not SurveyResponse.objects.exists()
    token = browser.get(url).cookies["csrftoken"].value
    assert browser.post(url, ALL_AGREE | {"csrfmiddlewaretoken": token}).status_code == 302
    assert SurveyResponse.objects.count() == 1


@pytest.mark.django_db
def test_other_methods_are_refused(client, url):
    assert client.put(url).status_code == 405
    assert client.post("/survey/thanks/").status_code == 405


@pytest.mark.django_db
def test_a_signed_in_member_of_staff_gets_no_extra_power(client, url, mediator):
    client.force_login(mediator)  # the link works the same; the page shows no staff navigation
    response = client.get(url)
    assert response.status_code == 200 and "Sign out" not in response.content.decode()
