import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from cases.case_page import case_page_parts
from cases.models import Case
from cases.selectors import my_next_actions
from tests.factories import CaseFactory, PartyFactory


def make_cases(program, mediator, n):
    for _ in range(n):
        case = CaseFactory(program=program, stage="screening", lead_mediator=mediator)
        PartyFactory(case=case, role="offender")
        PartyFactory(case=case, role="victim")
        PartyFactory(case=case, role="guardian")


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 30])
def test_caseload_query_count_does_not_grow_with_rows(
    client, program, coordinator, mediator, rows, django_assert_num_queries
):
    make_cases(program, mediator, rows)
    client.force_login(coordinator)
    client.get("/cases/")  # the first request after sign-in stamps the session (idle timeout)
    # 1 session, 2 user, 3 the two-factor device that verified the session, 4 memberships (navigation
    # roles, with the programs' filters_version), 5 count (bounded), 6 page of cases as values with the names they
    # show and the overdue flag, 7 offenders' and victims' names. The filter's mediators, sources and
    # programs come from the cache (the first request built them).
    with django_assert_num_queries(7):
        response = client.get("/cases/")
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == rows


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 30])
def test_caseload_searched_by_name_query_count_does_not_grow_with_rows(
    client, program, coordinator, mediator, rows, django_assert_num_queries
):
    make_cases(program, mediator, rows)
    for case in Case.objects.filter(program=program):
        PartyFactory(case=case, role="support", person__last_name="Okafor")
    make_cases(program, mediator, 5)  # no Okafor among their parties
    client.force_login(coordinator)
    client.get("/cases/")  # the first request after sign-in stamps the session (idle timeout)
    # As the plain list: the search is a condition of the count and the page (on PostgreSQL the stored names of
    # the case rows, elsewhere the parties' people), not a query of its own.
    with django_assert_num_queries(7):
        response = client.get("/cases/?q=okaf")
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == rows


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 30])
def test_mediator_home_query_count_does_not_grow_with_rows(client, program, mediator, rows, django_assert_num_queries):
    make_cases(program, mediator, rows)
    client.force_login(mediator)
    client.get("/my/")  # the first request after sign-in stamps the session (idle timeout)
    my_next_actions.clear()  # as in a process that has not computed them yet
    # 1 session, 2 user, 3 whether the user has an authenticator app, 4 memberships, 5 the open cases with their
    # revisions, 6 offenders' and victims' names; the screening cases' next actions: 7 parties with their latest
    # screenings and contact attempts, 8 meetings with their attendees and (indirect mode) exchanges.
    with django_assert_num_queries(8):
        response = client.get("/my/")
    assert len(response.context["rows"]) == rows
    # Again: on PostgreSQL the actions are kept per case revision (cases.selectors.my_next_actions).
    with django_assert_num_queries(6 if connection.vendor == "postgresql" else 8):
        response = client.get("/my/")
    assert len(response.context["rows"]) == rows


def case_at(stage: str, program, coordinator, mediator, *, more: int = 0):
    """A case brought to ``stage`` by the real services, with a note; ``more`` adds that many supporters,
    notes, terms of the agreement and (from preparation on) cancelled meetings."""
    from agreements import follow_up
    from agreements import services as agreements
    from cases.services import case_close, note_add
    from mediation import services as mediation
    from tests.agreements.helpers import draft_with_money, send, sign_all
    from tests.mediation.helpers import ago, assign, new_case, prepare_both_sides, screen

    case = new_case(program, coordinator, juvenile=True)
    for n in range(more + 1):
        note_add(case=case, actor=coordinator, body=f"Note {n}", confidential=bool(n % 2))
    for _ in range(more):
        PartyFactory(case=case, role="support")
    if stage == "referred":
        return case
    case = assign(case, coordinator, mediator)
    screen(case.parties.get(role="offender"), mediator)
    if stage == "screening":
        return case
    for party in case.parties.filter(role__in=["guardian", "victim"]):
        screen(party, mediator)
    case.refresh_from_db()
    case = mediation.case_begin_preparation(case=case, expected_version=case.version, actor=mediator)
    for _ in range(more):
        meeting = mediation.meeting_schedule(case=case, actor=mediator, kind="prep_victim", scheduled_for=ago(-48),
                                             location="Office")  # fmt: skip
        mediation.meeting_cancel(meeting=meeting, expected_version=meeting.version, actor=mediator, reason="Ill")
    if stage == "preparation":
        return case
    prepare_both_sides(case, mediator)
    joint = mediation.meeting_schedule(case=case, actor=mediator, kind="joint", scheduled_for=ago(1), location="Hall")
    case.refresh_from_db()
    case = mediation.case_begin_session(case=case, expected_version=case.version, actor=mediator)
    if stage == "joint_session":
        return case
    mediation.meeting_hold(meeting=joint, expected_version=joint.version, actor=mediator, outcome="agreement")
    case.refresh_from_db()
    case = mediation.case_record_agreement(case=case, expected_version=case.version, actor=mediator)
    agreement = draft_with_money(case, mediator)
    for n in range(more):
        agreement.refresh_from_db()
        agreements.term_add(agreement=agreement, expected_version=agreement.version, actor=mediator, kind="apology",
                            responsible=case.parties.get(role="offender"), description=f"Letter {n}",
                            due_date=agreement.created_at.date() + timedelta(days=30))  # fmt: skip
    agreement.refresh_from_db()
    agreement = send(agreement, mediator)
    if stage == "agreement":
        return case
    sign_all(agreement, mediator)  # the last signature starts the follow-up
    case.refresh_from_db()
    if stage == "follow_up":
        term = agreement.terms.filter(kind="money").first()
        follow_up.payment_record(term=term, actor=mediator, amount=Decimal("50"), received_on=date.today(),
                                 method="cash")  # fmt: skip
        return case
    return case_close(case=case, expected_version=case.version, actor=coordinator, outcome="withdrawn", reason="Moved")


# Every request: 1 session, 2 user, 3 the two-factor device (or whether there is one), 4 memberships (roles,
# two-factor rule, policy), 5 the case with what every app reads with it (texts, time logged, survey counts,
# whether there are meetings, agreements, letters, people in earlier cases), 6 the audit row of this view,
# 7 parties with people, latest screenings and contact attempts, 8 notes, timeline and (coordinators) access
# log in one query. Then what the stage has: 9 meetings with their attendees, 10 the agreement's versions
# with who signed and the follow-up summary, 11 letters (the closure letter here), 12 reoffending checks. People
# who are also in other cases are read with the parties (7), indirect mediation's exchanges with the meetings (9).
CASE_PAGE_QUERIES = {
    "referred": 8,
    "screening": 8,
    "preparation": 8,
    "joint_session": 9,
    "agreement": 10,
    "follow_up": 10,
    "closed": 12,
}
# Looked at again on PostgreSQL, the next action, the moves, the parties and the panels are kept per case revision
# (cases.case_page): 1-6 and 8 above, and the reoffending checks of a closed case.
CASE_PAGE_KEPT = {stage: 8 if stage == "closed" else 7 for stage in CASE_PAGE_QUERIES}


def assert_case_page_queries(client, case, stage, django_assert_num_queries):
    """The page written from its records (nothing kept), then looked at again: kept on PostgreSQL, the same parts."""
    case_page_parts.clear()
    with django_assert_num_queries(CASE_PAGE_QUERIES[stage]):
        written = client.get(f"/cases/{case.pk}/")
    again = CASE_PAGE_KEPT[stage] if connection.vendor == "postgresql" else CASE_PAGE_QUERIES[stage]
    with django_assert_num_queries(again):
        kept = client.get(f"/cases/{case.pk}/")
    assert without_csrf(kept.context["parts"]) == without_csrf(written.context["parts"])
    return kept


def without_csrf(parts) -> list[str]:
    """The parts with each form's CSRF token (masked anew for every request) left out."""
    return [re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", part) for part in parts]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("stage", "role"),
    # No mediator is assigned before screening.
    [(stage, role) for stage in CASE_PAGE_QUERIES for role in ("coordinator", "mediator") if stage != "referred"
     or role == "coordinator"],
)  # fmt: skip
def test_case_page_queries_at_every_stage(client, program, coordinator, mediator, stage, role,
                                          django_assert_num_queries):  # fmt: skip
    case = case_at(stage, program, coordinator, mediator)
    assert case.stage == stage
    client.force_login(coordinator if role == "coordinator" else mediator)
    client.get("/my/")  # the first request after sign-in stamps the session (idle timeout)
    client.get(f"/cases/{case.pk}/")  # the first read after a payment brings the follow-up summary up to date
    response = assert_case_page_queries(client, case, stage, django_assert_num_queries)
    assert response.status_code == 200
    assert f"Case {case.number}" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("stage", ["joint_session", "follow_up", "closed"])
@pytest.mark.parametrize("more", [0, 4])
def test_case_page_query_count_does_not_grow_with_parties_meetings_or_terms(
    client, program, coordinator, mediator, stage, more, django_assert_num_queries
):
    case = case_at(stage, program, coordinator, mediator, more=more)
    client.force_login(coordinator)
    client.get("/my/")
    client.get(f"/cases/{case.pk}/")
    response = assert_case_page_queries(client, case, stage, django_assert_num_queries)
    assert response.status_code == 200
    assert ("Note 3" in response.content.decode()) == bool(more)


@pytest.mark.django_db
@pytest.mark.parametrize(("stage", "role"), [("screening", "coordinator"), ("closed", "coordinator"),
                                             ("closed", "mediator")])  # fmt: skip
def test_case_page_reads_the_earlier_cases_of_its_people_with_the_parties(
    client, program, coordinator, mediator, stage, role, django_assert_num_queries
):
    from tests.mediation.helpers import new_case

    earlier = new_case(program, coordinator, juvenile=True)  # the same people, referred before
    case = case_at(stage, program, coordinator, mediator)
    assert case.parties.get(role="offender").person == earlier.parties.get(role="offender").person
    client.force_login(coordinator if role == "coordinator" else mediator)
    client.get("/my/")
    client.get(f"/cases/{case.pk}/")
    # Read again, not kept: the case's revision does not follow the other cases its people are in.
    with django_assert_num_queries(CASE_PAGE_QUERIES[stage]):
        response = client.get(f"/cases/{case.pk}/")
    body = response.content.decode()
    # The coordinator sees the earlier case beside each of its people; the mediator is not on it: nothing.
    shown = f'<a href="/cases/{earlier.pk}/">{earlier.number}</a> (offender)' in body
    assert shown == (role == "coordinator")
    assert body.count(f">{earlier.number}</a>") == (1 if role == "coordinator" else 0)  # the offender's only


@pytest.mark.django_db
def test_case_page_reads_indirect_exchanges_with_the_meetings(
    client, program, coordinator, mediator, django_assert_num_queries
):
    from mediation import services as mediation
    from tests.mediation.helpers import assign, new_case, prepare_both_sides, screen

    case = assign(new_case(program, coordinator), coordinator, mediator)
    case = mediation.case_set_mode(case=case, expected_version=case.version, actor=mediator, mode="indirect",
                                   reason="Victim prefers letters")  # fmt: skip
    screen(case.parties.get(role="offender"), mediator)
    screen(case.parties.get(role="victim"), mediator, willing_to_meet=False, willing_indirect=True)
    case = mediation.case_begin_preparation(case=case, expected_version=case.version, actor=mediator)
    prepare_both_sides(case, mediator)
    case = mediation.case_begin_session(case=case, expected_version=case.version, actor=mediator)
    for summary in ("Letter of apology", "Offer to repair the fence"):
        mediation.shuttle_record(case=case, actor=mediator, held_on=date.today(), direction="o2v", form="letter",
                                 summary=summary)  # fmt: skip
    client.force_login(mediator)
    client.get("/my/")
    response = assert_case_page_queries(client, case, "joint_session", django_assert_num_queries)
    body = response.content.decode()
    assert body.index("Letter of apology") < body.index("Offer to repair the fence")
    assert "Carry the next exchange (indirect mediation)" in body
    assert 'aria-label="Meetings"' in body  # the prep meetings are listed as well


@pytest.mark.django_db
def test_caseload_paginates_fifty_a_page(client, program, coordinator, mediator):
    make_cases(program, mediator, 51)
    client.force_login(coordinator)
    first = client.get("/cases/")
    assert len(first.context["page"].object_list) == 50
    second = client.get("/cases/?page=2")
    assert len(second.context["page"].object_list) == 1
    assert client.get("/cases/?page=999").context["page"].number == 2  # out of range: last page, no 404


@pytest.mark.django_db
def test_caseload_counts_only_as_far_as_the_page_needs_and_every_page_stays_reachable(
    client, program, coordinator, monkeypatch
):
    from cases import views
    from vom.core import pagination

    monkeypatch.setattr(views, "CASELOAD_PAGE_SIZE", 2)  # five cases, three pages
    monkeypatch.setattr(pagination, "COUNT_BOUND", 3)  # counting stops past three rows (or the page asked for)
    for _ in range(5):
        CaseFactory(program=program)
    client.force_login(coordinator)

    def shown(page):
        response = client.get("/cases/", {"page": page, "stage": "referred"})
        body = " ".join(response.content.decode().split())
        return response.context["page"].number, body

    number, body = shown(1)
    assert number == 1 and "More than 3 cases." in body
    assert "<span>Page 1</span>" in body and 'page=2" rel="next"' in body  # no "of N" it does not know
    number, body = shown(2)  # the count goes one row past the page asked for, so "Next" is never a dead end
    assert number == 2 and "More than 4 cases." in body and 'page=3" rel="next"' in body
    number, body = shown(3)
    assert number == 3 and "5 cases." in body and "<span>Page 3 of 3</span>" in body and 'rel="next"' not in body
    assert shown(999)[0] == 3  # past the end: the last page, counted exactly
    assert shown(10**30)[0] == 3  # a number no database LIMIT takes: still the last page, not an error


@pytest.mark.django_db
def test_caseload_filters_by_stage_and_refuses_unknown_values(client, program, coordinator, mediator):
    make_cases(program, mediator, 2)
    CaseFactory(program=program, stage="referred")
    client.force_login(coordinator)
    assert client.get("/cases/?stage=referred").context["page"].paginator.count == 1
    assert client.get("/cases/?stage=screening").context["page"].paginator.count == 2
    # An unknown value is refused with the form's message, not silently dropped (which would show all).
    response = client.get("/cases/?stage=<script>")
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0
    assert b"Select a valid choice" in response.content
    assert b"<script>" not in response.content


@pytest.mark.django_db
def test_mediator_sees_only_their_cases(client, program, mediator, unassigned_mediator):
    make_cases(program, mediator, 2)
    make_cases(program, unassigned_mediator, 3)
    client.force_login(mediator)
    response = client.get("/cases/")
    assert b"<h1>All my cases</h1>" in response.content
    assert response.context["page"].paginator.count == 2
    assert len(client.get("/my/").context["rows"]) == 2


@pytest.mark.django_db
def test_case_page_shows_parties_and_victim_contact_to_the_case_team(client, case, coordinator):
    client.force_login(coordinator)
    body = client.get(f"/cases/{case.pk}/").content.decode()
    assert case.number in body
    assert "victim@example.org" in body


@pytest.mark.django_db
def test_user_without_program_sees_a_plain_explanation(client, no_role_user):
    client.force_login(no_role_user)
    response = client.get("/")
    assert b"not a member of any program" in response.content


@pytest.mark.django_db
def test_the_mediator_filter_lists_a_coordinators_mediators_but_only_a_mediators_colleagues(
    client, program, coordinator, mediator, unassigned_mediator
):
    from tests.factories import MembershipFactory, UserFactory

    colleague = UserFactory(username="colleague", first_name="Ana", last_name="Colleague")
    MembershipFactory(user=colleague, program=program, role="mediator")
    CaseFactory(program=program, stage="screening", lead_mediator=mediator, co_mediator=colleague)

    def options(user):
        client.force_login(user)
        return {value for value, _label in client.get("/cases/").context["form"].fields["mediator"].choices if value}

    assert options(coordinator) == {mediator.pk, unassigned_mediator.pk, colleague.pk}
    assert options(mediator) == {mediator.pk, colleague.pk}  # not the rest of the program's volunteers
    assert options(unassigned_mediator) == set()


@pytest.mark.django_db
def test_caseload_search_by_name_prefix_or_case_number(client, program, coordinator):
    from tests.factories import PersonFactory

    okafor = CaseFactory(program=program, number="2026-0042")
    PartyFactory(case=okafor, role="offender", person=PersonFactory(first_name="Tobi", last_name="Okafor"))
    PartyFactory(case=okafor, role="victim", person=PersonFactory(first_name="Ann", last_name="Lee"))
    shop = CaseFactory(program=program, number="2026-1042")
    organisation = PersonFactory(kind="organisation", first_name="", last_name="", organisation_name="Corner Shop Ltd")
    PartyFactory(case=shop, role="victim", person=organisation)
    other = CaseFactory(program=program, number="2025-0007")
    PartyFactory(case=other, role="offender", person=PersonFactory(first_name="Okan", last_name="Berg"))
    client.force_login(coordinator)

    def found(q):
        return {row["number"] for row in client.get("/cases/", {"q": q}).context["rows"]}

    assert found("okaf") == {"2026-0042"}  # the start of a last name, any case
    assert found("Oka") == {"2026-0042", "2025-0007"}  # first or last name
    assert found("tobi okafor") == {"2026-0042"}  # every word must match a name
    assert found("corner") == {"2026-1042"}  # an organisation
    assert found("042") == {"2026-0042", "2026-1042"}  # inside a case number
    assert found("2025-0007") == {"2025-0007"}
    assert found("afor") == set()  # names match from their start only
    body = client.get("/cases/", {"q": "okaf"}).content.decode()
    assert f'<a href="/cases/{okafor.pk}/">2026-0042</a>' in body  # each row links to its case
    assert '<td class="party-lines">Tobi Okafor (offender)\nAnn Lee (victim)</td>' in body  # a line each


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "path"), [("coordinator", "/cases/"), ("mediator", "/cases/"), ("mediator", "/my/")])
def test_case_lists_read_no_contact_details(request, client, program, mediator, who, path):
    """Lists show each party's role and name: their address, phone and email are not even read."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_cases(program, mediator, 3)
    client.force_login(request.getfixturevalue(who))
    client.get(path)  # the first request after sign-in stamps the session (idle timeout)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(path)
    assert page.status_code == 200 and page.content.decode().count("(offender)") == 3
    read = " ".join(q["sql"] for q in queries.captured_queries)
    assert '"cases_party"."role"' in read
    for column in ("address", "phone", "email"):
        assert f'"cases_party"."{column}"' not in read


@pytest.mark.parametrize("language", ["en", "es"])
def test_list_dates_are_written_as_the_date_filter_writes_them(language):
    import datetime

    from django.utils import dateformat, translation

    from cases.selectors import month_abbreviations, short_date

    with translation.override(language):
        months = month_abbreviations()
        for month in range(1, 13):
            day = datetime.date(2026, month, month + 9)
            assert short_date(day, months) == dateformat.format(day, "M j, Y")
