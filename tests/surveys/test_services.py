"""Taking a party's answers: validated, claimed once, stored without a name; retention clears comments."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.models import Case
from surveys.models import SurveyInvitation, SurveyResponse
from surveys.selectors import LinkState, survey_link
from surveys.services import (
    SurveyAlreadyAnswered,
    SurveyLinkInvalid,
    survey_invitations_plan,
    survey_response_submit,
)
from surveys.tokens import invitation_token
from vom.core.errors import DomainError

SCORES = {"fair": 4, "satisfied": 3, "safe": 5, "heard": 4, "recommend": 5}


def submit(invitation, **overrides):
    args = {"invitation": invitation, "nonce": invitation.nonce, "scores": SCORES, "comment": "Fair enough."}
    return survey_response_submit(**(args | overrides))


@pytest.mark.django_db
def test_the_second_submission_is_refused_and_changes_nothing(invitation):
    first = submit(invitation)
    with pytest.raises(SurveyAlreadyAnswered):
        submit(invitation, scores=SCORES | {"fair": 1})
    assert list(SurveyResponse.objects.all()) == [first] and first.fair == 4


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [{"scores": SCORES | {"fair": 6}}, {"scores": SCORES | {"safe": 0}}, {"scores": SCORES | {"heard": "4"}},
     {"scores": SCORES | {"heard": True}}, {"scores": SCORES | {"mood": 3}}, {"comment": "x" * 2001}],
)  # fmt: skip
def test_out_of_range_answers_and_long_comments_are_refused(invitation, change):
    with pytest.raises(DomainError):
        submit(invitation, **change)
    invitation.refresh_from_db()
    assert invitation.used_at is None and not SurveyResponse.objects.exists()


@pytest.mark.django_db
def test_a_wrong_nonce_or_an_expired_invitation_is_refused(invitation):
    with pytest.raises(SurveyLinkInvalid):
        submit(invitation, nonce="guessed")
    with pytest.raises(SurveyLinkInvalid):
        submit(invitation, now=invitation.expires_at)
    assert not SurveyResponse.objects.exists()


@pytest.mark.django_db
def test_the_database_refuses_scores_outside_1_to_5(invitation):
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyResponse.objects.create(invitation=invitation, case=invitation.case, respondent_role="offender",
                                      occasion="joint_session", fair=6, submitted_at=timezone.now())  # fmt: skip


@pytest.mark.django_db
def test_an_invitation_is_unique_per_party_and_occasion(invitation):
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyInvitation.objects.create(case=invitation.case, party=invitation.party, occasion="joint_session",
                                        created_at=timezone.now(), expires_at=timezone.now())  # fmt: skip


@pytest.mark.django_db
def test_the_role_is_copied_at_submission(held):
    survey_invitations_plan()
    guardian = SurveyInvitation.objects.select_related("party").get(party__role="guardian")
    assert submit(guardian).respondent_role == "guardian"


@pytest.mark.django_db
def test_anonymising_clears_comments_keeps_scores_and_kills_the_links(client, held, invitation):
    submit(invitation, comment="Kai's mother drove me home, thanks Rita.")
    open_one = SurveyInvitation.objects.get(party__role="guardian")
    open_token = invitation_token(open_one)
    Case.objects.filter(pk=held.pk).update(
        stage="closed", outcome="completed", closed_at=timezone.now() - timedelta(days=8 * 365)
    )
    call_command("anonymise_expired_cases", stdout=StringIO())
    saved = SurveyResponse.objects.get()
    assert saved.comment == ""
    assert (saved.fair, saved.satisfied, saved.safe, saved.heard, saved.recommend) == (4, 3, 5, 4, 5)
    assert (saved.respondent_role, saved.occasion, saved.case_id) == ("offender", "joint_session", held.pk)
    assert set(SurveyInvitation.objects.values_list("nonce", flat=True)) == {""}
    assert SurveyInvitation.objects.count() == 2  # still counted: invited, answered
    assert survey_link(open_token).state == LinkState.REVOKED
    assert client.get(f"/survey/{open_token}/").status_code == 410
    with pytest.raises(SurveyLinkInvalid):
        submit(open_one, nonce=open_one.nonce)
    assert survey_invitations_plan() == 0


@pytest.mark.django_db(transaction=True)
def test_two_posts_at_the_same_moment_make_one_response(program, coordinator, mediator):
    """Two requests (two tabs, a double tap) race on separate connections: one wins, one is told."""
    import threading

    from django.db import connection, connections

    from tests.agreements.helpers import case_in_agreement
    from tests.conftest import require

    require(connection.vendor == "postgresql", "a real race needs PostgreSQL (DATABASE_URL)")
    case = case_in_agreement(program, coordinator, mediator)
    victim = case.parties.get(role="victim")
    victim.consent_to_contact, victim.contact_method = True, "email"
    victim.save()
    survey_invitations_plan()
    invitation = SurveyInvitation.objects.select_related("party").get()
    start, results = threading.Barrier(2), []

    def post(fair):
        try:
            start.wait()
            submit(invitation, scores=SCORES | {"fair": fair})
            results.append("saved")
        except SurveyAlreadyAnswered:
            results.append("already answered")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(fair,)) for fair in (1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["already answered", "saved"]
    assert SurveyResponse.objects.count() == 1
