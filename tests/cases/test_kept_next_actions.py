"""The mediator home's next actions kept per case revision (``cases.selectors.my_next_actions``,
``CaseRevision``): every write to a record they are computed from changes the case's revision in its own
transaction (PostgreSQL triggers, cases migration 0025), so what the home shows always equals what the providers
compute now. The walk below goes through the services and Django admin pages that write those records; the
table test writes each watched table in plain SQL; the completeness test holds every table the providers read to
being watched; the property test writes at random and compares after every write."""

import datetime
import re

import pytest
import time_machine
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agreements import follow_up
from agreements.models import Agreement, FollowUpSummary, Letter, Payment, Signature
from cases.models import Case, CaseRevision, Party, Person
from cases.selectors import my_next_actions, my_open_cases, next_actions_for
from cases.services import party_add_supporter
from mediation import services as mediation
from mediation.models import ContactAttempt, Meeting, Screening, ShuttleRound
from tests.agreements.helpers import case_in_agreement, draft_with_money, pay, send, sign_all
from tests.conftest import require
from tests.factories import CaseFactory
from tests.mediation.helpers import TODAY, ago, assign, new_case, prepare_both_sides, screen, screen_everyone
from tests.vom.test_read_models import admin_form_post
from vom.core.errors import DomainError
from vom.notifications.models import TextOptOut

pytestmark = pytest.mark.django_db


def kept_on_postgresql() -> None:
    require(connection.vendor == "postgresql", "revisions are kept by PostgreSQL triggers only")


def revision(case) -> int:
    return CaseRevision.objects.filter(case_id=case.pk).values_list("revision", flat=True).first() or 0


def shown(mediator) -> dict:
    """What the home shows: each open case's action, kept or computed."""
    return {pk: (a.label, a.due_date, a.url) for pk, a in my_next_actions.of(my_open_cases(mediator)).items()}


def computed(mediator) -> dict:
    """What the providers compute now, nothing kept."""
    return {pk: (a.label, a.due_date, a.url) for pk, a in next_actions_for(my_open_cases(mediator)).items()}


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def test_the_home_shows_what_the_providers_compute_and_reads_it_kept_the_second_time(
    client, program, coordinator, mediator, django_assert_num_queries
):
    case = assign(new_case(program, coordinator), coordinator, mediator)
    client.force_login(mediator)
    client.get("/my/")  # the first request after sign-in stamps the session (idle timeout)
    first = client.get("/my/").context["rows"][0]["action"]
    assert first.label == "Contact the offender Kai Lopez"
    # 1 session, 2 user, 3 authenticator app, 4 memberships, 5 the open cases with their revisions, 6 names;
    # computing the actions would read parties with screenings and attempts, and meetings.
    with django_assert_num_queries(6 if connection.vendor == "postgresql" else 8):
        again = client.get("/my/").context["rows"][0]["action"]
    assert again == first
    mediation.contact_attempt_record(party=case.parties.get(role="offender"), actor=mediator, at=ago(),
                                     method="phone", result="reached")  # fmt: skip
    assert client.get("/my/").context["rows"][0]["action"].label == "Screen the offender Kai Lopez"


def test_every_write_path_changes_the_revision_and_the_home_follows(admin_client, program, coordinator, mediator):
    """Each step is one service or admin page that writes a record an action is computed from; after each, the
    case's revision has changed and the home (its actions kept from before the step) shows what is computed."""
    kept_on_postgresql()
    case = new_case(program, coordinator, juvenile=True)
    steps = []

    def step(name):
        def record(function):
            steps.append((name, function))
            return function

        return record

    party = lambda role: Party.objects.get(case=case, role=role)  # noqa: E731

    @step("assign the mediators")
    def _():
        assign(fresh(case), coordinator, mediator)

    @step("a contact attempt")
    def _():
        mediation.contact_attempt_record(party=party("offender"), actor=mediator, at=ago(), method="phone",
                                         result="reached")  # fmt: skip

    @step("a screening declined")
    def _():
        screen(party("offender"), mediator, outcome="declined", reason="Not now")

    @step("a re-screening")
    def _():
        screen(party("offender"), mediator)

    @step("the other screenings")
    def _():
        screen_everyone(fresh(case), mediator)

    @step("a supporter added")
    def _():
        party_add_supporter(case=fresh(case), actor=mediator, supporter=_supporter(), for_party=party("offender"))

    @step("a person renamed in Django admin")
    def _():
        person = party("victim").person
        admin_form_post(admin_client, reverse("admin:cases_person_change", args=[person.pk]), first_name="Anna")

    @step("a contact attempt deleted in Django admin")
    def _():
        attempt = ContactAttempt.objects.filter(party__case=case).first()
        admin_client.post(reverse("admin:mediation_contactattempt_delete", args=[attempt.pk]), {"post": "yes"})

    @step("the case moved to preparation")
    def _():
        current = fresh(case)
        mediation.case_begin_preparation(case=current, expected_version=current.version, actor=mediator)

    @step("a party's language changed")
    def _():
        Party.objects.filter(pk=party("victim").pk).update(preferred_language="so")

    @step("a prep meeting scheduled")
    def _():
        mediation.meeting_schedule(case=fresh(case), actor=mediator, kind=Meeting.Kind.PREP_VICTIM,
                                   scheduled_for=timezone.now() + datetime.timedelta(days=2), location="Office",
                                   attendees=[party("victim")])  # fmt: skip

    @step("an interpreter booked")
    def _():
        meeting = Meeting.objects.get(case=case, kind=Meeting.Kind.PREP_VICTIM)
        mediation.meeting_book_interpreter(meeting=meeting, expected_version=meeting.version, actor=mediator,
                                           interpreter="Ayaan Ali", interpreter_language="so")  # fmt: skip

    @step("a meeting rescheduled")
    def _():
        meeting = Meeting.objects.get(case=case, kind=Meeting.Kind.PREP_VICTIM)
        mediation.meeting_reschedule(meeting=meeting, expected_version=meeting.version, actor=mediator,
                                     scheduled_for=timezone.now() + datetime.timedelta(days=3))  # fmt: skip

    @step("a meeting moved in Django admin")
    def _():
        meeting = Meeting.objects.get(case=case, kind=Meeting.Kind.PREP_VICTIM)
        admin_form_post(admin_client, reverse("admin:mediation_meeting_change", args=[meeting.pk]), location="Hall")

    @step("a meeting cancelled")
    def _():
        meeting = Meeting.objects.get(case=case, kind=Meeting.Kind.PREP_VICTIM)
        mediation.meeting_cancel(meeting=meeting, expected_version=meeting.version, actor=mediator, reason="Ill")

    @step("the victim speaks English after all")
    def _():
        Party.objects.filter(pk=party("victim").pk).update(preferred_language="en")

    @step("both prep meetings held")
    def _():
        prepare_both_sides(fresh(case), mediator)

    @step("a joint session scheduled")
    def _():
        mediation.meeting_schedule(case=fresh(case), actor=mediator, kind=Meeting.Kind.JOINT, scheduled_for=ago(1),
                                   location="Library")  # fmt: skip

    @step("the case moved to the joint session")
    def _():
        current = fresh(case)
        mediation.case_begin_session(case=current, expected_version=current.version, actor=mediator)

    @step("the joint session held")
    def _():
        joint = Meeting.objects.get(case=case, kind=Meeting.Kind.JOINT)
        mediation.meeting_hold(meeting=joint, expected_version=joint.version, actor=mediator, outcome="agreement")

    @step("the case moved to the agreement")
    def _():
        current = fresh(case)
        mediation.case_record_agreement(case=current, expected_version=current.version, actor=mediator)

    @step("the agreement drafted")
    def _():
        draft_with_money(fresh(case), mediator)

    @step("the agreement sent for signatures")
    def _():
        send(Agreement.objects.get(case=case), mediator)

    @step("everyone signs")
    def _():
        sign_all(Agreement.objects.get(case=case), mediator)

    @step("a payment recorded")
    def _():
        term = Agreement.objects.get(case=case, status="signed").terms.get(kind="money")
        pay(term, "100.00", mediator)

    @step("a term checked off")
    def _():
        term = Agreement.objects.get(case=case, status="signed").terms.get(kind="apology")
        follow_up.term_check_record(term=term, actor=mediator, on=TODAY, fulfilled=True)

    @step("a payment deleted in Django admin")
    def _():
        payment = Payment.objects.get(term__agreement__case=case)
        admin_client.post(reverse("admin:agreements_payment_delete", args=[payment.pk]), {"post": "yes"})

    for name, write in steps:
        before = revision(case)
        shown(mediator)  # kept from before the write
        write()
        assert revision(case) != before, f"{name}: the revision did not change"
        assert shown(mediator) == computed(mediator), f"{name}: the home shows what was kept before"


def _supporter():
    from cases.services import PartyInput

    return PartyInput(role="support", first_name="Lee", last_name="Park")


# table: how to select the rows of ``case`` in it (Django's own statement, run as plain SQL by ``update()``)
WATCHED = {
    "cases_case": lambda case: Case.objects.filter(pk=case.pk),
    "cases_party": lambda case: Party.objects.filter(case=case),
    "cases_person": lambda case: Person.objects.filter(parties__case=case),
    "mediation_contactattempt": lambda case: ContactAttempt.objects.filter(party__case=case),
    "mediation_screening": lambda case: Screening.objects.filter(party__case=case),
    "mediation_meeting": lambda case: Meeting.objects.filter(case=case),
    "mediation_meeting_attendees": lambda case: Meeting.attendees.through.objects.filter(meeting__case=case),
    "mediation_shuttleround": lambda case: ShuttleRound.objects.filter(case=case),
    "agreements_agreement": lambda case: Agreement.objects.filter(case=case),
    "agreements_signature": lambda case: Signature.objects.filter(agreement__case=case),
    "agreements_followupsummary": lambda case: FollowUpSummary.objects.filter(agreement__case=case),
    # what the case page's kept parts also show (cases.case_page, migration 0026)
    "agreements_letter": lambda case: Letter.objects.filter(case=case),
    "notifications_textoptout": lambda case: TextOptOut.objects.filter(number__in=case.parties.values("phone")),
}


def _followed_case(program, coordinator, mediator) -> Case:
    case = case_in_agreement(program, coordinator, mediator)
    sign_all(send(draft_with_money(case, mediator), mediator), mediator)
    case = fresh(case)  # in follow-up once everyone signed
    assert case.stage == Case.Stage.FOLLOW_UP
    follow_up.follow_up_overview_of([case.pk])  # its summary computed and stored
    return case


def test_an_update_of_any_watched_table_changes_the_revision_of_its_cases_only(program, coordinator, mediator):
    kept_on_postgresql()
    case = _followed_case(program, coordinator, mediator)
    ContactAttempt.objects.create(party=case.parties.get(role="offender"), at=ago(), method="phone",
                                  result="reached", recorded_by=mediator)  # fmt: skip
    Meeting.objects.filter(case=case).first().attendees.add(case.parties.get(role="offender"))
    indirect = assign(new_case(program, coordinator), coordinator, mediator)
    ShuttleRound.objects.create(case=indirect, held_on=TODAY, direction=ShuttleRound.Direction.OFFENDER_TO_VICTIM,
                                form="letter", summary="A letter.", recorded_by=mediator)  # fmt: skip
    follow_up.progress_report_issue(case=case, actor=coordinator)  # a letter
    Party.objects.filter(case=case, role="offender").update(phone="+16125550123")
    TextOptOut.objects.create(number="+16125550123", keyword="STOP", at=timezone.now())
    other = CaseFactory(program=program)  # no person in common (intake finds the same people again)
    for table, rows_of in WATCHED.items():
        owner = indirect if table == "mediation_shuttleround" else case
        assert rows_of(owner).exists(), table
        before, untouched = revision(owner), revision(other)
        key = rows_of(owner).model._meta.pk.name
        rows_of(owner).update(**{key: F(key)})  # UPDATE … SET id = id: a write that changes nothing
        assert revision(owner) != before, table
        assert revision(other) == untouched, table


def test_inserting_and_deleting_rows_changes_the_revision(program, coordinator, mediator):
    kept_on_postgresql()
    case = case_in_agreement(program, coordinator, mediator)
    before = revision(case)
    meeting = Meeting.objects.create(case=case, kind=Meeting.Kind.JOINT, scheduled_for=ago(), created_by=mediator)
    assert revision(case) != before
    before = revision(case)
    meeting.attendees.add(case.parties.get(role="victim"))
    assert revision(case) != before
    before = revision(case)
    meeting.attendees.clear()
    assert revision(case) != before
    before = revision(case)
    meeting.delete()
    assert revision(case) != before


def test_a_deleted_case_takes_its_revision_with_it(program, coordinator, mediator):
    kept_on_postgresql()
    case = CaseFactory(program=program)
    assert CaseRevision.objects.filter(case_id=case.pk).exists()
    with transaction.atomic():
        case.delete()
    assert not CaseRevision.objects.filter(case_id=case.pk).exists()


# Read by the providers but not watched: what the key holds instead, or what no action shows.
READ_UNWATCHED = {
    "cases_program": "its default_after_days is part of the key (a program's other settings are not read)",
    "users_user": "the follow-up rows' lead mediator, which no action's label, date or address shows",
}


def tables_read(queries: CaptureQueriesContext) -> set[str]:
    """The tables the captured queries read (FROM and JOIN)."""
    return {name for query in queries.captured_queries for name in re.findall(r'(?:FROM|JOIN) "(\w+)"', query["sql"])}


def test_every_table_the_providers_read_is_watched(program, coordinator, mediator):
    kept_on_postgresql()
    cases = [
        assign(new_case(program, coordinator, juvenile=True), coordinator, mediator),
        case_in_agreement(program, coordinator, mediator),
        _followed_case(program, coordinator, mediator),
    ]
    prep = assign(new_case(program, coordinator), coordinator, mediator)
    screen_everyone(prep, mediator)
    prep = mediation.case_begin_preparation(case=prep, expected_version=prep.version, actor=mediator)
    mediation.meeting_schedule(case=prep, actor=mediator, kind=Meeting.Kind.PREP_OFFENDER, scheduled_for=ago(),
                               location="Office")  # fmt: skip
    with CaptureQueriesContext(connection) as read:
        next_actions_for([*cases, fresh(prep)])
    tables = tables_read(read)
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger WHERE tgname LIKE '%%\\_revise\\_%%'")
        watched = {row[0] for row in cursor.fetchall()}
    assert watched == set(WATCHED)
    assert {"mediation_screening", "mediation_contactattempt", "mediation_meeting", "agreements_signature"} <= tables
    assert tables - watched <= set(READ_UNWATCHED), tables - watched


def test_a_kept_action_due_today_moves_with_the_day(program, coordinator, mediator):
    kept_on_postgresql()
    case = assign(new_case(program, coordinator), coordinator, mediator)
    screen_everyone(case, mediator)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        action = my_next_actions.of(my_open_cases(mediator))[case.pk]
        assert (action.label, action.due_date) == ("Move the case to preparation", timezone.localdate())
    with time_machine.travel(start + datetime.timedelta(days=1), tick=False):
        action = my_next_actions.of(my_open_cases(mediator))[case.pk]
        assert action.due_date == timezone.localdate()


def test_kept_only_where_triggers_revise_cases(program, coordinator, mediator, django_assert_num_queries):
    """On PostgreSQL a second look reads nothing; elsewhere (SQLite, no revision triggers) nothing is kept and
    every look computes the actions again: parties with their screenings and attempts, then meetings."""
    assign(new_case(program, coordinator), coordinator, mediator)
    my_next_actions.of(my_open_cases(mediator))
    cases = my_open_cases(mediator)
    with django_assert_num_queries(0 if connection.vendor == "postgresql" else 2):
        my_next_actions.of(cases)


# --- Property: after any sequence of writes the home shows what is computed ------------------------------------

ROLES = ["offender", "guardian", "victim"]
_writes = st.lists(
    st.tuples(
        st.sampled_from(["attempt", "screen", "decline", "rename", "language", "prep", "schedule", "cancel",
                         "hold", "joint", "stage"]),
        st.sampled_from(ROLES),
    ),
    min_size=1,
    max_size=8,
)  # fmt: skip


def _write(case: Case, mediator, write: str, role: str) -> None:
    party = Party.objects.get(case=case, role=role)
    case = fresh(case)
    meetings = Meeting.objects.filter(case=case, status=Meeting.Status.SCHEDULED).order_by("pk")
    kind = {"offender": Meeting.Kind.PREP_OFFENDER, "guardian": Meeting.Kind.PREP_OFFENDER}.get(
        role, Meeting.Kind.PREP_VICTIM
    )
    if write == "attempt":
        mediation.contact_attempt_record(party=party, actor=mediator, at=ago(), method="phone", result="no_answer")
    elif write in {"screen", "decline"}:
        screen(party, mediator, **({"outcome": "declined", "reason": "No"} if write == "decline" else {}))
    elif write == "rename":
        Person.objects.filter(pk=party.person_id).update(last_name=party.person.last_name + "x")
    elif write == "language":
        Party.objects.filter(pk=party.pk).update(preferred_language="es" if party.preferred_language == "en" else "en")
    elif write == "prep":
        mediation.case_begin_preparation(case=case, expected_version=case.version, actor=mediator)
    elif write == "schedule":
        mediation.meeting_schedule(case=case, actor=mediator, kind=kind, attendees=[party], location="Office",
                                   scheduled_for=timezone.now() + datetime.timedelta(days=1))  # fmt: skip
    elif write == "cancel" and meetings:
        meeting = meetings[0]
        mediation.meeting_cancel(meeting=meeting, expected_version=meeting.version, actor=mediator, reason="Ill")
    elif write == "hold" and meetings:
        meeting = meetings[0]
        mediation.meeting_hold(meeting=meeting, expected_version=meeting.version, actor=mediator, hopes="Heard")
    elif write == "joint":
        mediation.meeting_schedule(case=case, actor=mediator, kind=Meeting.Kind.JOINT, location="Library",
                                   scheduled_for=timezone.now() + datetime.timedelta(days=1))  # fmt: skip
    elif write == "stage":
        mediation.case_begin_session(case=case, expected_version=case.version, actor=mediator)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writes=_writes)
def test_the_home_equals_the_direct_computation_after_any_writes(program, coordinator, mediator, writes):
    with transaction.atomic():
        case = assign(new_case(program, coordinator, juvenile=True), coordinator, mediator)
        for write, role in writes:
            shown(mediator)  # kept before each write
            try:
                with transaction.atomic():
                    _write(case, mediator, write, role)
            except DomainError:
                pass  # refused: nothing written
            assert shown(mediator) == computed(mediator), (write, role)
        transaction.set_rollback(True)
