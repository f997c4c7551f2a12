"""The follow-up page reads a fixed number of queries, however many payments and versions the case has."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.agreements.helpers import amend, case_in_agreement, draft_with_money, pay, send, sign_all


def count(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in queries.captured_queries]


@pytest.mark.django_db
def test_the_follow_up_page_does_not_grow_with_records(client, program, coordinator, mediator):
    case = case_in_agreement(program, coordinator, mediator)
    first = sign_all(send(draft_with_money(case, mediator, total="300.00", count=3), mediator), mediator)
    client.force_login(mediator)
    client.get("/")
    pay(first.terms.get(kind="money"), "10.00", mediator)
    few = count(client, f"/cases/{case.pk}/agreements/{first.pk}/follow-up/")
    for _ in range(5):
        pay(first.terms.get(kind="money"), "10.00", mediator)
    assert len(count(client, f"/cases/{case.pk}/agreements/{first.pk}/follow-up/")) == len(few)
    second = sign_all(send(amend(first, mediator), mediator), mediator)
    for _ in range(3):
        pay(second.terms.get(kind="money"), "10.00", mediator)
    many = count(client, f"/cases/{case.pk}/agreements/{second.pk}/follow-up/")
    # 1-4 session, user, two-factor device, memberships; 5-6 the case and the agreement; 7 the audit row of the
    # view; 8-17 the ledger (versions, terms with their installments, payments, logs and checks, disbursement
    # sums, returns, offenders); 18-21 which record forms apply (money, forwarding, hours, checks); 22 defaults;
    # 23-28 the forms' term choices as they render; 29 contacts since signing; 30 the contact form's parties;
    # 31 the letters
    assert len(few) == len(many) == 31
