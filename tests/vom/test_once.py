"""The same form sent twice saves once (a payment, a referral and a note posted twice were once recorded
twice). One mechanism, vom/core/once.py: a one-time token in the form, claimed in one place."""

import re
import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from agreements.models import Payment
from cases.models import Case, Note
from tests.agreements.helpers import case_in_agreement, draft_with_money, send, sign_all
from tests.cases.test_pipeline_views import intake_post
from tests.conftest import require
from tests.factories import ReferralSourceFactory
from tests.mediation.helpers import TODAY
from vom.core.models import FormSubmission
from vom.core.once import ALREADY_SAVED
from vom.core.services import form_submissions_purge


def token_on(page_html: str, name: str = "form_token") -> str:
    match = re.search(rf'name="([\w-]*{name})" value="([0-9a-f-]{{36}})"', page_html)
    assert match, f"no {name} on the page"
    return match.group(1), match.group(2)


@pytest.mark.django_db
def test_a_note_sent_twice_is_saved_once(client, case, mediator):
    client.force_login(mediator)
    field, token = token_on(client.get(f"/cases/{case.pk}/").content.decode())
    data = {"body": "Called the school.", field: token}
    first = client.post(f"/cases/{case.pk}/notes/", data)
    second = client.post(f"/cases/{case.pk}/notes/", data, follow=True)
    assert first.status_code == 302
    assert second.redirect_chain == [(f"/cases/{case.pk}/", 302)]
    assert ALREADY_SAVED in second.content.decode()
    assert Note.objects.filter(case=case).count() == 1


@pytest.mark.django_db
def test_a_referral_sent_twice_makes_one_case_and_the_second_lands_on_it(client, program, coordinator):
    client.force_login(coordinator)
    field, token = token_on(client.get("/cases/new/").content.decode())
    assert field == "case-form_token"
    data = intake_post(ReferralSourceFactory(program=program)) | {field: token}
    first = client.post("/cases/new/", data)
    second = client.post("/cases/new/", data)
    case = Case.objects.get()
    assert first["Location"] == second["Location"] == f"/cases/{case.pk}/assign/"  # intake leads on to assigning


@pytest.mark.django_db
def test_a_payment_sent_twice_is_recorded_once(client, program, coordinator, mediator):
    agreement = sign_all(send(draft_with_money(case_in_agreement(program, coordinator, mediator), mediator), mediator),
                         mediator)  # fmt: skip
    term = agreement.terms.get(kind="money")
    base = f"/cases/{agreement.case_id}/agreements/{agreement.pk}/follow-up"
    client.force_login(mediator)
    field, token = token_on(client.get(f"{base}/").content.decode(), "payment-form_token")
    data = {"payment-term": term.pk, "payment-received_on": TODAY.isoformat(), "payment-method": "cash",
            "payment-amount": "50.00", field: token}  # fmt: skip
    assert client.post(f"{base}/record/payment/", data).status_code == 302
    again = client.post(f"{base}/record/payment/", data, follow=True)
    assert ALREADY_SAVED in again.content.decode()
    assert Payment.objects.filter(term=term).count() == 1


@pytest.mark.django_db
def test_a_form_shown_again_with_its_errors_keeps_its_token_usable(client, program, coordinator):
    client.force_login(coordinator)
    field, token = token_on(client.get("/cases/new/").content.decode())
    source = ReferralSourceFactory(program=program)
    refused = client.post("/cases/new/", intake_post(source, **{"offender-last_name": ""}) | {field: token})
    assert refused.status_code == 200 and not Case.objects.exists()
    assert not FormSubmission.objects.exists()
    fixed = client.post("/cases/new/", intake_post(source) | {field: token})
    assert fixed.status_code == 302 and Case.objects.count() == 1


@pytest.mark.django_db
def test_a_refused_note_does_not_claim_its_token(client, case, mediator):
    client.force_login(mediator)
    field, token = token_on(client.get(f"/cases/{case.pk}/").content.decode())
    client.post(f"/cases/{case.pk}/notes/", {"body": "", field: token})
    assert not FormSubmission.objects.exists()
    client.post(f"/cases/{case.pk}/notes/", {"body": "Now with words.", field: token})
    assert Note.objects.filter(case=case).count() == 1


@pytest.mark.django_db
def test_one_users_token_is_not_another_users(client, case, mediator, coordinator):
    token = str(uuid.uuid4())
    for user in (mediator, coordinator):
        client.force_login(user)
        client.post(f"/cases/{case.pk}/notes/", {"body": f"From {user.username}", "form_token": token})
    assert Note.objects.filter(case=case).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_submissions_at_the_same_instant_save_once(case, mediator):
    require(connection.vendor == "postgresql", "concurrent writers need PostgreSQL")
    token = str(uuid.uuid4())
    barrier = threading.Barrier(2)
    statuses = []

    def send():
        client = Client()
        client.force_login(mediator)
        barrier.wait()
        statuses.append(client.post(f"/cases/{case.pk}/notes/", {"body": "Twice?", "form_token": token}).status_code)
        connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302, 302]
    assert Note.objects.filter(case=case).count() == 1


@pytest.mark.django_db
def test_old_tokens_are_purged(case, mediator):
    FormSubmission.objects.create(user=mediator, token=uuid.uuid4())
    old = FormSubmission.objects.create(user=mediator, token=uuid.uuid4())
    FormSubmission.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=8))
    assert form_submissions_purge() == 1
    assert FormSubmission.objects.count() == 1
