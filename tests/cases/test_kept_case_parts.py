"""The case page's parts kept per case revision (``cases.case_page``): the next action, the moves, the parties and
the panels. A second look reads none of their records; every write to one of them changes the case's revision in
its own transaction (cases migrations 0025 and 0026), so the page always shows what its records say now. The walk
goes through the services that write what only the page shows (letters, replies STOP and START, time logged);
the completeness test holds every table the parts read to being watched; the property test writes at random and
compares the page with the parts written afresh after every write."""

import datetime
import re

import pytest
import time_machine
from django.db import connection, transaction
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings

from agreements import follow_up
from agreements.letters import letter_write
from agreements.models import Letter
from agreements.receivers import COMPLIANCE_RECORDS
from cases import texts
from cases.case_page import CSRF_MARK, case_page_parts
from cases.models import Case, Membership, Party
from cases.policies import permissions_for
from cases.selectors import get_case_for_page
from mediation import services as mediation
from tests.cases.test_kept_next_actions import (
    WATCHED,
    _followed_case,
    _write,
    _writes,
    fresh,
    kept_on_postgresql,
    tables_read,
)
from tests.cases.test_views import CASE_PAGE_QUERIES, case_at, without_csrf
from tests.mediation.helpers import TODAY, ago, assign, new_case, screen_everyone
from vom.core.errors import DomainError

pytestmark = pytest.mark.django_db


def shown(client, case) -> list[str]:
    """The parts as the page shows them now: kept, when they are."""
    return without_csrf(client.get(f"/cases/{case.pk}/").context["parts"])


def page_read(user, case) -> tuple:
    """A request of ``user``'s, the case as their page reads it and their permissions: what the parts are asked
    for with (``case_page_parts.of``)."""
    request = RequestFactory().get("/")
    request.user = user
    read = get_case_for_page(user, case.pk)
    return request, read, permissions_for(user, read)


def written(client, case) -> list[str]:
    """The parts written afresh from the records, nothing kept."""
    case_page_parts.clear()
    return shown(client, case)


def test_a_second_look_reads_nothing_of_the_parts_and_the_users_own_write_shows_at_once(
    client, program, coordinator, mediator, django_assert_num_queries
):
    case = assign(new_case(program, coordinator), coordinator, mediator)
    client.force_login(mediator)
    client.get("/my/")  # the first request after sign-in stamps the session (idle timeout)
    first = client.get(f"/cases/{case.pk}/")
    assert "Contact the offender Kai Lopez" in first.content.decode()
    # 1 session, 2 user, 3 authenticator app, 4 memberships, 5 the case with its revision, 6 the audit row,
    # 7 notes and timeline; written, the parts would also read 8 the parties (and the meetings, the agreement…).
    with django_assert_num_queries(7 if connection.vendor == "postgresql" else 8):
        again = client.get(f"/cases/{case.pk}/")
    assert without_csrf(again.context["parts"]) == without_csrf(first.context["parts"])
    mediation.contact_attempt_record(party=case.parties.get(role="offender"), actor=mediator, at=ago(),
                                     method="phone", result="reached")  # fmt: skip
    assert "Screen the offender Kai Lopez" in client.get(f"/cases/{case.pk}/").content.decode()


def test_kept_parts_carry_the_requests_own_csrf_token(program, coordinator, mediator):
    """The forms in kept parts post with the token of the request that showed them, as Django's checks demand:
    after the browser's CSRF secret changed too."""
    case = assign(new_case(program, coordinator), coordinator, mediator)
    screen_everyone(case, mediator)
    client = Client(enforce_csrf_checks=True)
    client.force_login(mediator)
    client.get("/my/")
    client.get(f"/cases/{case.pk}/")  # the parts written and kept, with that request's token
    del client.cookies["csrftoken"]  # a new secret for the next request
    body = client.get(f"/cases/{case.pk}/").content.decode()  # the parts kept, on PostgreSQL
    assert CSRF_MARK not in body
    form = re.search(r'<form method="post" action="(/cases/\d+/move/[\w-]+/)">(.*?)</form>', body, re.S)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(2)).group(1)
    forged = client.post(form.group(1), {"csrfmiddlewaretoken": "x" * 64, "version": fresh(case).version})
    assert forged.status_code == 403
    response = client.post(form.group(1), {"csrfmiddlewaretoken": token, "version": fresh(case).version})
    assert response.status_code == 302
    assert fresh(case).stage == Case.Stage.PREPARATION


def test_parts_follow_the_users_permissions(client, program, coordinator):
    """An admin who also coordinates the program sees the victim's contact details; once they only mediate in it
    (the same user, other permissions, not on this case) they see the case as an admin does: without them."""
    case = new_case(program, coordinator)
    Party.objects.filter(case=case, role="victim").update(address="12 Elm Street")
    coordinator.is_superuser = True
    coordinator.save()
    client.force_login(coordinator)
    client.get("/my/")
    assert "12 Elm Street" in "".join(shown(client, case))
    assert "12 Elm Street" in "".join(shown(client, case))  # kept
    # A plain UPDATE, no signal: the program's row (read with the case) stays as it was, only permissions move.
    Membership.objects.filter(user=coordinator, program=program).update(role=Membership.Role.MEDIATOR)
    assert "12 Elm Street" not in "".join(shown(client, case))


def test_what_only_the_page_shows_changes_the_revision_and_the_page_follows(client, program, coordinator, mediator):
    """Each step writes something the parts show that no next action reads; after each, the page (its parts kept
    from before the step) equals the parts written afresh, and shows the step."""
    kept_on_postgresql()
    case = _followed_case(program, coordinator, mediator)
    offender = case.parties.get(role="offender")
    Party.objects.filter(pk=offender.pk).update(phone="+16125550123")
    client.force_login(coordinator)
    client.get("/my/")

    def report():
        follow_up.progress_report_issue(case=fresh(case), actor=coordinator)

    def text(words, message_id):
        return lambda: texts.text_received(number="+16125550123", words=words, message_id=message_id)

    def timelog():
        mediation.timelog_add(case=fresh(case), mediator=mediator, on=TODAY, minutes=95, activity="preparation")

    letters = lambda page: page.count('id="letter-')  # noqa: E731
    stopped = lambda page: "Replied STOP" in page  # noqa: E731
    steps = [
        # The first letter also changes what the case's own query reads (whether it has letters); the second
        # only the letters' table.
        ("a progress report to the referral source", report, letters),
        ("another progress report", report, letters),
        ("a reply STOP", text("STOP", "m1"), stopped),
        ("a reply START", text("START", "m2"), stopped),
        ("time logged", timelog, lambda page: "1 h 35 min" in page),
    ]
    for name, write, seen in steps:
        before = "".join(shown(client, case))
        write()
        after = shown(client, case)
        assert after == written(client, case), name
        assert seen("".join(after)) != seen(before), name


# Read only to bring a stale follow-up summary up to date (the first read after a payment, say): every save or delete
# of these raises the case's agreements' ``follow_up_revision`` in its transaction (``agreements.receivers``), an
# UPDATE of agreements_agreement, which changes the case's revision.
RAISE_THE_AGREEMENT = {model._meta.db_table for model in COMPLIANCE_RECORDS}


@pytest.mark.parametrize("stage", list(CASE_PAGE_QUERIES))
def test_every_table_the_parts_read_is_watched(program, coordinator, mediator, stage):
    """Beside the case's own query (whose every column and annotation is part of the key), the parts read only
    tables whose writes change the case's revision: at every stage, for the coordinator and the mediator, with a
    letter and a number that replied STOP."""
    kept_on_postgresql()
    case = case_at(stage, program, coordinator, mediator)
    if case.stage in {Case.Stage.FOLLOW_UP, Case.Stage.CLOSED}:
        letter_write(case=case, kind=Letter.Kind.PROGRESS, actor=coordinator)
    Party.objects.filter(case=case, role="offender").update(phone="+16125550123")
    texts.text_received(number="+16125550123", words="STOP", message_id="m1")
    tables = set()
    for user in (coordinator, mediator) if stage != "referred" else (coordinator,):  # no mediator before screening
        asked = page_read(user, case)
        case_page_parts.clear()
        with CaptureQueriesContext(connection) as queries:
            case_page_parts.of(*asked)
        tables |= tables_read(queries)
    assert {"cases_party", "notifications_textoptout"} <= tables
    assert tables <= set(WATCHED) | RAISE_THE_AGREEMENT, tables - set(WATCHED) - RAISE_THE_AGREEMENT


def test_the_parts_read_every_record_kind_somewhere(program, coordinator, mediator):
    """The stage-by-stage test above reads meetings, agreements and letters at the stages that have them."""
    kept_on_postgresql()
    case = case_at("closed", program, coordinator, mediator)
    asked = page_read(coordinator, case)
    with CaptureQueriesContext(connection) as queries:
        case_page_parts.of(*asked)
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    for table in ("mediation_meeting", "agreements_agreement", "agreements_letter"):
        assert f'"{table}"' in sql, table


def test_a_kept_next_action_due_today_moves_with_the_day(program, coordinator, mediator):
    case = assign(new_case(program, coordinator), coordinator, mediator)
    screen_everyone(case, mediator)
    start = timezone.now()
    for days in (0, 1):
        with time_machine.travel(start + datetime.timedelta(days=days), tick=False):
            head = case_page_parts.of(*page_read(mediator, case)).head
            assert f"Move the case to preparation</a> — due {timezone.localdate():%a %b %-d, %Y}" in head


def test_kept_only_where_triggers_revise_cases(client, program, coordinator, mediator):
    """Elsewhere than PostgreSQL (SQLite: no revision triggers) the parts are written for every request."""
    case = assign(new_case(program, coordinator), coordinator, mediator)
    case_page_parts.clear()
    client.force_login(mediator)
    client.get(f"/cases/{case.pk}/")
    assert bool(case_page_parts.fragments.html) == (connection.vendor == "postgresql")


# --- Property: after any sequence of writes the page shows what its records say --------------------------------


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writes=_writes)
def test_the_page_equals_the_parts_written_afresh_after_any_writes(client, program, coordinator, mediator, writes):
    with transaction.atomic():
        case = assign(new_case(program, coordinator, juvenile=True), coordinator, mediator)
        client.force_login(mediator)
        for write, role in writes:
            shown(client, case)  # kept before each write
            try:
                with transaction.atomic():
                    _write(case, mediator, write, role)
            except DomainError:
                pass  # refused: nothing written
            assert shown(client, case) == written(client, case), (write, role)
        transaction.set_rollback(True)
