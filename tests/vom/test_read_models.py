"""Read models (vom.core.read_models): derived, marked stale in the transaction of every write that changes
one of their inputs, rebuildable and checkable by ``manage.py rebuild_read_models``.

The follow-up summary (``FollowUpSummary``) is computed from terms, installments, payments, service logs,
checks and offender returns, made stale by raising its ``source_revision``, and placed (followed or not,
program, mediators) by every write that changes its agreement's status or its case's stage or mediators; the
juvenile flag (``Case.juvenile``) is computed from the offenders' birth dates and the case's incident or
referral date, and recomputed in the transaction that changes one; the reports' figures a referral day
(``CohortDayFigures``), the reoffending checks due a day (``DueDayFigures``), the times taken a referral day
(``TimingDayFigures``) and the survey answers a day (``SurveyDayFigures``) are made stale by database triggers on
every table they are computed from, which the same walk (``DayWalk``, and the case, check and survey writes below,
plain updates and SQL included) checks. ``FOLLOW_UP_WRITES``, ``JUVENILE_WRITES``, ``CHECK_WRITES`` and
``SURVEY_WRITES`` list every service, Django admin page and admin action that writes one
of those records (found by reading ``*/services.py``, ``*/follow_up.py``, ``*/retention.py`` and
``*/admin.py``), and the writes that touch the case or its agreement without changing an input (closure,
reopening, voiding, anonymisation…), for which the stored figure must simply stay right. Records the admin shows
read-only (terms, installments, cases, parties, survey responses) are asserted read-only below, so that opening
them later adds a row here.
"""

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser
from io import StringIO

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agreements import follow_up, services
from agreements.models import (
    Agreement,
    Disbursement,
    FollowUpSummary,
    Installment,
    OffenderReturn,
    Payment,
    ServiceLog,
    Term,
    TermCheck,
)
from cases.models import Case, OutcomeCheck, Party, Person
from cases.retention import case_anonymise
from cases.services import (
    PartyInput,
    case_assign,
    case_close,
    case_reopen,
    case_update,
    juvenile_differences,
    outcome_check_record,
    party_add,
    party_add_supporter,
)
from mediation import services as mediation_services
from mediation.models import Meeting
from reports import checks, cohort, daily, offenders, satisfaction, timing
from reports.models import CohortDayFigures, DueDayFigures, OffenderDayFigures, SurveyDayFigures, TimingDayFigures
from reports.periods import Period
from surveys.models import VALID_FOR, SurveyInvitation, SurveyResponse
from surveys.services import survey_case_anonymise, survey_response_submit
from surveys.tokens import new_nonce
from tests.agreements.helpers import amend, case_in_agreement, send, sign_all
from tests.conftest import require
from tests.factories import CaseFactory, MembershipFactory, PartyFactory, PersonFactory, UserFactory
from tests.mediation.helpers import TODAY, ago, assign, case_in_session, new_case
from vom.core.bulk import bulk_insert

pytestmark = pytest.mark.django_db
D = Decimal
DAY = datetime.timedelta(days=1)


# --- A followed agreement with one term of each way of following: money, hours, a check -----------------------


@dataclass
class World:
    case: Case
    agreement: Agreement
    coordinator: object
    mediator: object
    admin_user: object
    client: object

    def term(self, kind: str, agreement: Agreement | None = None) -> Term:
        return (agreement or self.agreement).terms.get(kind=kind)

    def current_case(self) -> Case:
        return Case.objects.get(pk=self.case.pk)

    def latest(self) -> Agreement:
        return Agreement.objects.filter(case=self.case).order_by("-number").first()


@pytest.fixture
def world(program, coordinator, mediator, admin_user, client):
    case = case_in_agreement(program, coordinator, mediator)
    offender = case.parties.get(role="offender")
    agreement = services.agreement_create(case=case, actor=mediator)
    for kind, values in [
        ("money", {"amount": D("300.00"), "installment_count": 3, "frequency": "monthly",
                   "first_due_date": TODAY + 14 * DAY}),
        ("community", {"hours": D("10"), "due_date": TODAY + 60 * DAY}),
        ("apology", {"due_date": TODAY + 21 * DAY}),
    ]:  # fmt: skip
        agreement.refresh_from_db()
        services.term_add(agreement=agreement, expected_version=agreement.version, actor=mediator, kind=kind,
                          responsible=offender, description=f"The {kind} term.", **values)  # fmt: skip
    agreement.refresh_from_db()
    agreement = sign_all(send(agreement, mediator), mediator)
    client.force_login(admin_user)
    return World(Case.objects.get(pk=case.pk), agreement, coordinator, mediator, admin_user, client)


def read_summaries(world: World) -> None:
    """What the Follow-up list and the rebuild do: every summary of the case stored, current."""
    follow_up.follow_up_overview(Case.objects.filter(pk=world.case.pk))
    follow_up.follow_up_summary_rebuild(list(Agreement.objects.filter(case=world.case).values_list("pk", flat=True)))


def stored_and_stale(world: World) -> list[tuple[Agreement, FollowUpSummary, bool]]:
    rows = []
    for agreement in Agreement.objects.filter(case=world.case, follow_up_summary__isnull=False):
        summary = FollowUpSummary.objects.get(agreement=agreement)
        rows.append((agreement, summary, summary.revision < summary.source_revision))
    return rows


def assert_placed(world: World) -> None:
    """Every summary of the case placed as its agreement and case say (followed, program, mediators), every
    followed agreement with one, every current one right; and the Follow-up list, which reads the summaries
    alone, lists exactly the followed agreement (or none)."""
    versions = list(Agreement.objects.filter(case=world.case).values_list("pk", flat=True))
    assert follow_up.follow_up_summary_differences(versions) == []
    followed = Agreement.objects.filter(case=world.case, status="signed", case__stage="follow_up")
    listed = follow_up.followed_summaries(Q(), program=world.case.program_id).filter(agreement__case=world.case)
    assert [row.pk for row in listed] == [agreement.pk for agreement in followed]


def summary_of(row: FollowUpSummary) -> follow_up.Summary:
    return follow_up.Summary(row.fulfilled, row.next_due, row.outstanding)


# --- Setups that bring the world to where a write can happen (their own writes are not under test) -----------


def overdue(world: World) -> None:
    """The first installment falls due five days ago (a data fix: a plain update, then a rebuild)."""
    Installment.objects.filter(term__agreement=world.agreement, number=1).update(due_date=TODAY - 5 * DAY)
    follow_up.follow_up_summary_rebuild([world.agreement.pk])


def amended(world: World) -> None:
    amend(world.agreement, world.mediator)


def awaiting_amendment(world: World) -> None:
    amend(world.agreement, world.mediator)
    send(world.latest(), world.mediator)


def closed(world: World) -> None:
    case = world.current_case()
    case_close(case=case, expected_version=case.version, actor=world.coordinator, outcome="withdrawn",
               reason="The offender moved away.")  # fmt: skip


def reassigned(world: World) -> None:
    lead, co = UserFactory(), UserFactory()
    for user in (lead, co):
        MembershipFactory(user=user, program=world.case.program, role="mediator")
    case = world.current_case()
    case_assign(case=case, expected_version=case.version, actor=world.coordinator, lead=lead, co=co)


# --- The writes ---------------------------------------------------------------------------------------------


class _FormFields(HTMLParser):
    """The values a browser would send from a page's forms (inputs, checked boxes, selected options, text)."""

    def __init__(self):
        super().__init__()
        self.data, self._select, self._textarea = {}, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name") and a.get("type") not in {"submit", "button", "file", "image"}:
            if a.get("type") not in {"checkbox", "radio"} or "checked" in a:
                self.data[a["name"]] = a.get("value") or ("on" if a.get("type") == "checkbox" else "")
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.data[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data.removeprefix("\n") if not self.data[self._textarea] else data


def admin_form_post(client, url: str, **changes):
    """Open a Django admin form page and send it back as the admin would, with ``changes`` (None: unticked)."""
    fields = _FormFields()
    fields.feed(client.get(url).content.decode())
    data = {k: v for k, v in (fields.data | changes).items() if v is not None}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    return response


def admin_post(world: World, model, obj=None, **changes):
    """Save ``obj`` (or a new ``model``) through its Django admin page."""
    name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    url = reverse(f"{name}_change", args=[obj.pk]) if obj else reverse(f"{name}_add")
    return admin_form_post(world.client, url, **changes)


def admin_delete(world: World, obj) -> None:
    name = f"admin:{obj._meta.app_label}_{obj._meta.model_name}"
    response = world.client.post(reverse(f"{name}_delete", args=[obj.pk]), {"post": "yes"})
    assert response.status_code == 302


def admin_delete_selected(world: World, obj) -> None:
    name = f"admin:{obj._meta.app_label}_{obj._meta.model_name}"
    chosen = {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
    response = world.client.post(reverse(f"{name}_changelist"), chosen)
    assert response.status_code == 302
    assert not type(obj).objects.filter(pk=obj.pk).exists()


def payment(world: World) -> Payment:
    return follow_up.payment_record(term=world.term("money"), actor=world.mediator, amount=D("40.00"),
                                    received_on=TODAY, method="cash")  # fmt: skip


def service_log(world: World) -> ServiceLog:
    return follow_up.service_log_record(term=world.term("community"), actor=world.mediator, on=TODAY,
                                        hours=D("3"), place="Park", verified_by="Sam")  # fmt: skip


def term_check(world: World) -> TermCheck:
    return follow_up.term_check_record(term=world.term("apology"), actor=world.mediator, on=TODAY, fulfilled=True)


def new_record_fields(world: World, model) -> dict:
    common = {"recorded_by": world.admin_user.pk}
    return common | {
        Payment: {"term": world.term("money").pk, "amount": "25.00", "received_on": TODAY, "method": "cash"},
        ServiceLog: {"term": world.term("community").pk, "on": TODAY, "hours": "2", "place": "Park",
                     "verified_by": "Sam"},
        TermCheck: {"term": world.term("apology").pk, "on": TODAY, "fulfilled": "on"},
    }[model]  # fmt: skip


RECORDS = {Payment: payment, ServiceLog: service_log, TermCheck: term_check}
CHANGES = {Payment: {"amount": "55.00"}, ServiceLog: {"hours": "5"}, TermCheck: {"fulfilled": None}}


@dataclass(frozen=True)
class Write:
    name: str
    perform: object  # (world) -> None
    changes_inputs: bool  # False: touches the case or agreement, not what the summary is computed from
    setup: object = None  # (world) -> None, before the summaries are read


def _admin_writes() -> list[Write]:
    writes = []
    for model, record in RECORDS.items():
        label = model._meta.model_name
        writes += [
            Write(f"admin add {label}", lambda w, m=model: admin_post(w, m, **new_record_fields(w, m)), True),
            Write(f"admin change {label}", lambda w, m=model, r=record: admin_post(w, m, r(w), **CHANGES[m]), True),
            Write(f"admin delete {label}", lambda w, r=record: admin_delete(w, r(w)), True),
            Write(f"admin action delete_selected {label}", lambda w, r=record: admin_delete_selected(w, r(w)), True),
        ]
    return writes


def _orm_save(world: World, obj, **fields) -> None:
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.save()


FOLLOW_UP_WRITES = [
    # Services of agreements/follow_up.py
    Write("payment_record", payment, True),
    Write("service_log_record", service_log, True),
    Write("term_check_record", term_check, True),
    Write(
        "payment_record completing the agreement (close_if_done)",
        lambda w: (
            term_check(w),
            follow_up.service_log_record(
                term=w.term("community"), actor=w.mediator, on=TODAY, hours=D("10"), place="Park", verified_by="Sam"
            ),
            follow_up.payment_record(
                term=w.term("money"), actor=w.mediator, amount=D("300.00"), received_on=TODAY, method="cash"
            ),
        ),
        True,
    ),
    Write(
        "case_return_to_source",
        lambda w: follow_up.case_return_to_source(
            case=w.current_case(),
            expected_version=w.current_case().version,
            actor=w.coordinator,
            reason="Nothing paid.",
        ),
        True,
        setup=overdue,
    ),
    Write(
        "disbursement_record (forwarding does not change what is owed)",
        lambda w: follow_up.disbursement_record(
            term=w.term("money"), actor=w.coordinator, amount=D("40.00"), paid_on=TODAY, method="check"
        ),
        False,
        setup=payment,
    ),
    Write(
        "agreement_record_sharing_consent",
        lambda w: follow_up.agreement_record_sharing_consent(agreement=w.agreement, actor=w.coordinator, on=TODAY),
        False,
    ),
    Write(
        "progress_report_issue",
        lambda w: follow_up.progress_report_issue(case=w.current_case(), actor=w.coordinator),
        False,
    ),
    # Services of agreements/services.py: amendment, its draft's terms, voiding, signing
    Write("agreement_amend", amended, True),
    Write(
        "term_add (amendment draft)",
        lambda w: services.term_add(
            agreement=w.latest(),
            expected_version=w.latest().version,
            actor=w.mediator,
            kind="behaviour",
            responsible=w.case.parties.get(role="offender"),
            description="Home by ten.",
            due_date=TODAY + 30 * DAY,
        ),
        True,
        setup=amended,
    ),
    Write(
        "term_update (amendment draft)",
        lambda w: services.term_update(
            term=w.term("apology", w.latest()),
            expected_version=w.latest().version,
            actor=w.mediator,
            responsible=w.case.parties.get(role="offender"),
            description="Apologise.",
            due_date=TODAY + 9 * DAY,
        ),
        True,
        setup=amended,
    ),
    Write(
        "term_remove (amendment draft)",
        lambda w: services.term_remove(
            term=w.term("apology", w.latest()), expected_version=w.latest().version, actor=w.mediator
        ),
        True,
        setup=amended,
    ),
    Write("agreement_send_for_signatures (amendment)", lambda w: send(w.latest(), w.mediator), False, setup=amended),
    Write(
        "agreement_back_to_draft (voiding the signatures round)",
        lambda w: services.agreement_back_to_draft(
            agreement=w.latest(), expected_version=w.latest().version, actor=w.mediator
        ),
        False,
        setup=awaiting_amendment,
    ),
    Write(
        "signature_add locking the amendment (carry-in, superseding)",
        lambda w: sign_all(w.latest(), w.mediator),
        True,
        setup=awaiting_amendment,
    ),
    # cases/services.py and cases/retention.py
    Write("case_close (withdrawn)", closed, False),
    Write(
        "case_reopen",
        lambda w: case_reopen(
            case=w.current_case(),
            expected_version=w.current_case().version,
            actor=w.coordinator,
            reason="Back in touch.",
        ),
        False,
        setup=closed,
    ),
    Write("case_anonymise (retention)", lambda w: case_anonymise(case=w.current_case()), False, setup=closed),
    Write("case_assign (another lead mediator, a co-mediator)", reassigned, False),
    # Django admin
    *_admin_writes(),
    Write(
        "admin change of an amendment draft",
        lambda w: admin_post(w, Agreement, w.latest(), amendment_reason="X"),
        False,
        setup=amended,
    ),
    # The ORM (a shell, a data fix): every save and delete of an input record
    Write("Term.save", lambda w: _orm_save(w, w.term("apology"), due_date=TODAY - 2 * DAY), True),
    Write("Installment.save", lambda w: _orm_save(w, w.term("money").installments.first(), due_date=TODAY), True),
    Write("Installment.delete", lambda w: w.term("money").installments.last().delete(), True),
    Write("Payment.delete", lambda w: payment(w).delete(), True),
    Write("ServiceLog.save", lambda w: _orm_save(w, service_log(w), hours=D("9")), True),
    Write("TermCheck.delete", lambda w: term_check(w).delete(), True),
    Write(
        "OffenderReturn.create",
        lambda w: OffenderReturn.objects.create(
            case=w.case, party=w.case.parties.get(role="offender"), on=TODAY, reason="x", recorded_by=w.coordinator
        ),
        True,
    ),
]


@pytest.mark.parametrize("write", FOLLOW_UP_WRITES, ids=[w.name for w in FOLLOW_UP_WRITES])
def test_every_write_to_an_input_marks_the_follow_up_summary_stale_in_its_transaction(world, write):
    if write.setup:
        write.setup(world)
    read_summaries(world)
    assert stored_and_stale(world) and not any(stale for *_, stale in stored_and_stale(world))
    with transaction.atomic():  # the write's own transaction, or a savepoint in this one: checked before commit
        write.perform(world)
        for agreement, summary, stale in stored_and_stale(world):
            if write.changes_inputs:
                assert stale, f"{write.name} left the summary of version {agreement.number} current"
            else:  # nothing it is computed from changed: what is stored is still right
                assert stale or summary_of(summary) == follow_up.direct_follow_up_summary(agreement)
        assert_placed(world)  # where the summaries are listed, in the same transaction
    # The next read is never stale: what the Follow-up list shows is the direct computation.
    for row in follow_up.follow_up_overview(Case.objects.filter(pk=world.case.pk)):
        assert summary_of(row.agreement.follow_up_summary) == follow_up.direct_follow_up_summary(row.agreement)
    for agreement, summary, stale in stored_and_stale(world):
        if not stale:
            assert summary_of(summary) == follow_up.direct_follow_up_summary(agreement)


def test_the_records_the_admin_shows_read_only_cannot_be_written_there(world, admin_user, rf):
    """Terms, installments and cases are written only by the services (listed above); offender returns and
    summaries have no admin page at all. Opening one of them in the admin needs a row in the walk above."""
    request = rf.get("/")
    request.user = admin_user
    term_admin = admin.site._registry[Term]
    assert not term_admin.has_change_permission(request) and not term_admin.has_delete_permission(request)
    installments = term_admin.get_inline_instances(request, world.term("money"))
    assert installments and not any(i.has_change_permission(request) or i.has_add_permission(request)
                                    for i in installments)  # fmt: skip
    agreement_admin = admin.site._registry[Agreement]
    assert not agreement_admin.has_change_permission(request, world.agreement)
    assert not agreement_admin.has_delete_permission(request, world.agreement)
    amend(world.agreement, world.mediator)  # a draft with terms: deleting it would delete them, which is refused
    draft = Agreement.objects.get(case=world.case, status="draft")
    assert (
        world.client.post(reverse("admin:agreements_agreement_delete", args=[draft.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert OffenderReturn not in admin.site._registry and FollowUpSummary not in admin.site._registry
    case_admin = admin.site._registry[Case]
    assert not case_admin.has_change_permission(request, world.case)
    assert Party not in admin.site._registry


# --- The juvenile flag ------------------------------------------------------------------------------------------


def juvenile_offender(case, coordinator):
    party_add(case=case, actor=coordinator,
              party=PartyInput(role="offender", first_name="Mia", last_name="Lopez",
                               date_of_birth=TODAY - datetime.timedelta(days=16 * 365)),
              guardian=PartyInput(role="guardian", first_name="Rita", last_name="Lopez"))  # fmt: skip


def person_admin_save(case, client, admin_user):
    client.force_login(admin_user)
    person = case.parties.get(role="offender").person
    admin_form_post(client, reverse("admin:cases_person_change", args=[person.pk]),
                    date_of_birth=str(TODAY - datetime.timedelta(days=15 * 365)))  # fmt: skip


JUVENILE_WRITES = {
    "case_intake": lambda case, **k: new_case(case.program, k["coordinator"], juvenile=True),
    "party_add (a juvenile offender)": lambda case, **k: juvenile_offender(case, k["coordinator"]),
    "party_add_supporter (not an offender)": lambda case, **k: party_add_supporter(
        case=case, actor=k["coordinator"], for_party=case.parties.get(role="victim"),
        supporter=PartyInput(role="support", first_name="Lee", last_name="Park")),
    "case_update (incident date)": lambda case, **k: case_update(
        case=case, expected_version=case.version, actor=k["coordinator"],
        changes={"incident_date": TODAY - datetime.timedelta(days=15 * 365)}),
    "case_update (referral date, no incident date)": lambda case, **k: (
        case_update(case=case, expected_version=case.version, actor=k["coordinator"], changes={"incident_date": None}),
        case_update(case=Case.objects.get(pk=case.pk), expected_version=Case.objects.get(pk=case.pk).version,
                    actor=k["coordinator"], changes={"referral_date": TODAY - datetime.timedelta(days=15 * 365)})),
    "Person.save (a birth date corrected)": lambda case, **k: _orm_save(
        None, case.parties.get(role="offender").person, date_of_birth=TODAY - datetime.timedelta(days=14 * 365)),
    "admin change of a person's birth date": lambda case, **k: person_admin_save(case, k["client"], k["admin_user"]),
}  # fmt: skip


@pytest.mark.parametrize("name", list(JUVENILE_WRITES))
def test_every_write_to_an_input_recomputes_the_juvenile_flag_in_its_transaction(
    program, coordinator, admin_user, client, name
):
    case = new_case(program, coordinator)
    with transaction.atomic():
        JUVENILE_WRITES[name](case, coordinator=coordinator, client=client, admin_user=admin_user)
        assert juvenile_differences(list(Case.objects.values_list("pk", flat=True))) == []


def test_anonymisation_freezes_the_juvenile_flag(program, coordinator):
    """Retention cuts birth dates to the year: the flag kept from before is the record from then on."""
    case = new_case(program, coordinator, juvenile=True)
    case_close(case=case, expected_version=case.version, actor=coordinator, outcome="withdrawn", reason="Moved.")
    case_anonymise(case=Case.objects.get(pk=case.pk))
    Person.objects.filter(parties__case=case).update(date_of_birth=datetime.date(1950, 1, 1))
    call_command("rebuild_read_models", "--check", stdout=StringIO())
    call_command("rebuild_read_models", stdout=StringIO())
    assert Case.objects.get(pk=case.pk).juvenile is True


# --- The command --------------------------------------------------------------------------------------------


def run(*args) -> str:
    out = StringIO()
    call_command("rebuild_read_models", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_command_rebuilds_deleted_and_corrupted_rows_and_check_catches_them(world, program, coordinator):
    other = case_in_agreement(program, coordinator, world.mediator)  # a case whose flag will be corrupted
    assert "0 differ" in run("--check")  # nothing stored yet is not a difference: computed on the next read
    run()
    expected = summary_of(FollowUpSummary.objects.get(agreement=world.agreement))
    assert expected == follow_up.direct_follow_up_summary(world.agreement)
    assert "follow-up summary: 0 row(s) recomputed" not in run()  # run twice: nothing to change
    assert "0 were missing, stale or wrong" in run("--only", "follow-up summary")

    FollowUpSummary.objects.filter(agreement=world.agreement).update(outstanding=D("1.00"), next_due=None)
    Case.objects.filter(pk=other.pk).update(juvenile=True)
    with pytest.raises(CommandError, match="2 stored read-model row"):
        run("--check")
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("rebuild_read_models", "--check", stdout=out, stderr=StringIO())
    assert f"follow-up summary of agreement {world.agreement.pk}" in out.getvalue()
    assert f"case {other.pk}: juvenile stored True, recomputed False" in out.getvalue()

    assert "1 were missing, stale or wrong" in run("--only", "follow-up summary")
    assert "juvenile: " in run("--only", "juvenile")
    assert Case.objects.get(pk=other.pk).juvenile is False
    FollowUpSummary.objects.filter(agreement=world.agreement).delete()
    assert "1 were missing, stale or wrong" in run("--only", "follow-up summary")
    assert summary_of(FollowUpSummary.objects.get(agreement=world.agreement)) == expected
    assert "0 differ" in run("--check")

    # A revision ahead of the agreement's would make a wrong row look current after the next change.
    ahead = FollowUpSummary.objects.get(agreement=world.agreement).source_revision + 5
    FollowUpSummary.objects.filter(agreement=world.agreement).update(revision=ahead)
    with pytest.raises(CommandError):
        run("--check")
    run()
    assert "0 differ" in run("--check")


def test_check_catches_a_misplaced_or_missing_summary_and_the_rebuild_places_it(world):
    """The Follow-up list reads the summaries alone: one placed wrong, or a followed agreement without one (a
    bulk insert, say), would list the wrong agreements."""
    run()
    FollowUpSummary.objects.filter(agreement=world.agreement).update(followed=False, lead_mediator=None)
    with pytest.raises(CommandError, match="1 stored read-model row"):
        run("--check", "--only", "follow-up summary")
    assert "1 were missing, stale or wrong" in run("--only", "follow-up summary")
    FollowUpSummary.objects.filter(agreement=world.agreement).delete()
    with pytest.raises(CommandError, match="1 stored read-model row"):
        run("--check", "--only", "follow-up summary")
    assert "1 were missing, stale or wrong" in run("--only", "follow-up summary")
    assert "0 differ" in run("--check")
    assert_placed(world)
    stored = FollowUpSummary.objects.get(agreement=world.agreement)
    assert (stored.followed, stored.lead_mediator_id) == (True, world.case.lead_mediator_id)


def test_a_stale_row_is_not_a_difference_and_is_rebuilt(world):
    run()
    Payment.objects.create(term=world.term("money"), amount=D("10.00"), received_on=TODAY, method="cash",
                           recorded_by=world.mediator)  # marks it stale  # fmt: skip
    assert "0 differ" in run("--check")
    assert "1 were missing, stale or wrong" in run()
    stored = FollowUpSummary.objects.get(agreement=world.agreement)
    assert stored.revision == stored.source_revision
    assert stored.outstanding == D("290.00")


# --- Property: the stored summary is the direct computation after any sequence of writes ----------------------

_operations = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.integers(min_value=1, max_value=120)),
        st.tuples(st.just("hours"), st.integers(min_value=1, max_value=6)),
        st.tuples(st.just("check"), st.booleans()),
        st.tuples(st.just("move due"), st.integers(min_value=-60, max_value=60)),
        st.tuples(st.just("delete payment"), st.just(0)),
        st.tuples(st.just("read"), st.just(0)),
        st.tuples(st.just("close or reopen"), st.just(0)),
    ),
    min_size=1,
    max_size=8,
)


def _apply(world: World, operation: str, value) -> None:
    money, community, apology = (world.term(kind) for kind in ("money", "community", "apology"))
    if operation == "pay":
        Payment.objects.create(
            term=money, amount=D(value), received_on=TODAY, method="cash", recorded_by=world.mediator
        )
    elif operation == "hours":
        ServiceLog.objects.create(term=community, on=TODAY, hours=D(value), place="Park", verified_by="Sam",
                                  recorded_by=world.mediator)  # fmt: skip
    elif operation == "check":
        TermCheck.objects.create(term=apology, on=TODAY, fulfilled=value, recorded_by=world.mediator)
    elif operation == "move due":
        installment = money.installments.order_by("number").first()
        installment.due_date = TODAY + value * DAY
        installment.save()
    elif operation == "delete payment":
        last = Payment.objects.filter(term=money).last()
        if last:
            last.delete()
    elif operation == "close or reopen":  # the case leaves the Follow-up list, or comes back to it
        case = world.current_case()
        if case.stage == Case.Stage.CLOSED:
            case_reopen(case=case, expected_version=case.version, actor=world.coordinator, reason="Back.")
        else:
            case_close(case=case, expected_version=case.version, actor=world.coordinator, outcome="withdrawn",
                       reason="Moved.")  # fmt: skip
    else:
        follow_up.follow_up_overview(Case.objects.filter(pk=world.case.pk))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=_operations)
def test_the_stored_summary_equals_the_direct_computation_after_any_writes(world, operations):
    with transaction.atomic():
        for operation, value in operations:
            if operation == "close or reopen" or world.current_case().stage == Case.Stage.FOLLOW_UP:
                _apply(world, operation, value)
        assert_placed(world)  # on the Follow-up list exactly while the case is in follow-up
        listed = follow_up.followed_summaries(Q(), program=world.case.program_id).filter(agreement__case=world.case)
        for row in listed:
            assert summary_of(row) == follow_up.direct_follow_up_summary(world.agreement)
        transaction.set_rollback(True)  # each example starts from the same signed agreement


# --- The reports' figures a referral day (reports.cohort): database triggers mark the day stale -----------------

COHORT = Period(TODAY - 400 * DAY, TODAY + 400 * DAY)  # wide enough for a referral date moved by a write


def stored_cohort_figures() -> None:
    require(connection.vendor == "postgresql", "the reports' figures are stored only on PostgreSQL (its triggers)")


@dataclass(frozen=True)
class DayWalk:
    """One of the reports' per-day read models (``reports.daily``) over a period wide enough for what the writes
    move, with its read (stored days, stale ones recomputed) and the direct computation it must equal."""

    days: daily.DayFigures
    period: Period
    read: Callable[[object, Period], object]
    direct: Callable[[object, Period], object]

    def stale_or_right(self, program) -> int:
        """Every stored day of the period that claims to be current equals a recomputation; returns how many do."""
        current = 0
        computed = self.days.compute(program, self.days.between(self.period.start, self.period.end))
        for day, revision_now, revision, figures in daily.stored(self.days, program, self.period):
            if revision is not None and revision == revision_now:
                assert figures == computed.get(day, {}), day
                current += 1
        return current

    def walk(self, program, perform) -> None:
        """The read stores the days; in the transaction of ``perform``, every day still claiming to be current is
        right; after it, the read equals the direct computation."""
        stored_cohort_figures()
        assert self.read(program, self.period) == self.direct(program, self.period)
        assert self.stale_or_right(program)  # the read stored the days
        with transaction.atomic():
            perform()
            self.stale_or_right(program)
        assert self.read(program, self.period) == self.direct(program, self.period)


COHORT_WALK = DayWalk(cohort.DAYS, COHORT, cohort.cohort_totals, cohort.direct_totals)


@pytest.mark.parametrize("write", FOLLOW_UP_WRITES, ids=[w.name for w in FOLLOW_UP_WRITES])
def test_every_follow_up_write_leaves_the_cohort_figures_stale_or_right_in_its_transaction(world, program, write):
    if write.setup:
        write.setup(world)
    COHORT_WALK.walk(program, lambda: write.perform(world))


CASE_WRITES = {
    "case_update (referral date: the case moves to another day)": lambda case, **k: case_update(
        case=case, expected_version=case.version, actor=k["coordinator"],
        changes={"referral_date": TODAY - 30 * DAY}),
    "case_update (offense)": lambda case, **k: case_update(
        case=case, expected_version=case.version, actor=k["coordinator"], changes={"offense_category": "violent"}),
    "case_assign (referred to screening)": lambda case, **k: assign(case, k["coordinator"], k["mediator"]),
    "case_close (withdrawn)": lambda case, **k: case_close(
        case=case, expected_version=case.version, actor=k["coordinator"], outcome="withdrawn", reason="Moved."),
    "a plain update (a data fix)": lambda case, **k: Case.objects.filter(pk=case.pk).update(stage="closed",
                                                                                             outcome="returned"),
    "plain SQL": lambda case, **k: _sql("UPDATE cases_case SET juvenile = NOT juvenile WHERE id = %s", case.pk),
} | JUVENILE_WRITES  # fmt: skip


def _sql(statement: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.mark.parametrize("name", list(CASE_WRITES))
def test_every_case_write_leaves_the_cohort_figures_stale_or_right_in_its_transaction(
    program, coordinator, mediator, admin_user, client, name
):
    case = new_case(program, coordinator)
    new_case(program, coordinator, juvenile=True)  # another case the same day
    kwargs = {"coordinator": coordinator, "mediator": mediator, "client": client, "admin_user": admin_user}
    COHORT_WALK.walk(program, lambda: CASE_WRITES[name](Case.objects.get(pk=case.pk), **kwargs))


def test_a_write_marks_only_the_days_it_touches_and_the_next_read_recomputes_them(world, program):
    stored_cohort_figures()
    cohort.cohort_totals(program, COHORT)
    stored = {day: revision for day, _, revision, _ in daily.stored(cohort.DAYS, program, COHORT)}
    payment(world)
    days = daily.stored(cohort.DAYS, program, COHORT)
    assert [day for day, now, revision, _ in days if revision != now] == [world.case.referral_date]
    assert all(stored[day] == revision for day, _, revision, _ in days)  # nothing recomputed by the write
    before = cohort.direct_totals(program, COHORT)["collected"]["all"]
    assert cohort.cohort_totals(program, COHORT)["collected"]["all"] == before == D("40.00")


def test_the_command_checks_and_rebuilds_the_cohort_figures(world, program):
    stored_cohort_figures()
    cohort.cohort_totals(program, COHORT)
    assert "0 differ" in run("--check", "--only", "cohort day figures")
    row = CohortDayFigures.objects.get(program=program, day=world.case.referral_date)
    CohortDayFigures.objects.filter(pk=row.pk).update(figures="{}")
    with pytest.raises(CommandError, match="1 stored read-model row"):
        run("--check", "--only", "cohort day figures")
    assert "1 were missing, stale or wrong" in run("--only", "cohort day figures")
    assert "0 differ" in run("--check", "--only", "cohort day figures")
    assert cohort.cohort_totals(program, COHORT) == cohort.direct_totals(program, COHORT)


_cohort_operations = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.integers(min_value=1, max_value=120)),
        st.tuples(st.just("hours"), st.integers(min_value=1, max_value=6)),
        st.tuples(st.just("forward"), st.integers(min_value=1, max_value=40)),
        st.tuples(st.just("delete payment"), st.just(0)),
        st.tuples(st.just("refer on"), st.integers(min_value=-3, max_value=3)),
        st.tuples(st.just("stage"), st.sampled_from(["follow_up", "closed", "screening"])),
        st.tuples(st.just("juvenile"), st.booleans()),
        st.tuples(st.just("amount"), st.integers(min_value=50, max_value=900)),
        st.tuples(st.just("new case"), st.integers(min_value=-3, max_value=3)),
        st.tuples(st.just("read"), st.just(0)),
    ),
    min_size=1,
    max_size=8,
)


def _apply_to_cohort(world: World, program, operation: str, value) -> None:
    money = world.term("money")
    if operation == "forward":
        Disbursement.objects.create(term=money, amount=D(value), paid_on=TODAY, method="check",
                                    recorded_by=world.coordinator)  # fmt: skip
    elif operation == "refer on":
        Case.objects.filter(pk=world.case.pk).update(referral_date=TODAY + value * DAY)
    elif operation == "stage":
        Case.objects.filter(pk=world.case.pk).update(stage=value, outcome="completed" if value == "closed" else "")
    elif operation == "juvenile":
        Case.objects.filter(pk=world.case.pk).update(juvenile=value)
    elif operation == "amount":
        Term.objects.filter(pk=money.pk).update(amount=D(value))
    elif operation == "new case":
        CaseFactory(program=program, referral_date=TODAY + value * DAY)
    elif operation == "read":
        cohort.cohort_totals(program, COHORT)
    else:
        _apply(world, {"pay": "pay", "hours": "hours", "delete payment": "delete payment"}[operation], value)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=_cohort_operations)
def test_the_stored_cohort_figures_equal_the_direct_computation_after_any_writes(world, program, operations):
    with transaction.atomic():
        cohort.cohort_totals(program, COHORT)
        for operation, value in operations:
            _apply_to_cohort(world, program, operation, value)
        assert cohort.cohort_totals(program, COHORT) == cohort.direct_totals(program, COHORT)
        for day in range(-3, 4):  # a period of one day: the figures add up the same from any slice
            one = Period(TODAY + day * DAY, TODAY + day * DAY)
            assert cohort.cohort_totals(program, one) == cohort.direct_totals(program, one)
        transaction.set_rollback(True)  # each example starts from the same signed agreement


# --- The reoffending checks due a day (reports.checks): triggers on the checks and on their cases ---------------

DUE = Period(TODAY - 400 * DAY, TODAY + 1000 * DAY)  # the checks of a case closed today fall due up to 30 months on


def closed_with_checks(program, coordinator, **kwargs) -> Case:
    case = new_case(program, coordinator, **kwargs)
    case_close(case=case, expected_version=case.version, actor=coordinator, outcome="declined", reason="Declined.")
    return Case.objects.get(pk=case.pk)


DUE_WALK = DayWalk(checks.DAYS, DUE, checks.checks_due, checks.direct_checks_due)


def _record(case: Case, result: str = "yes") -> None:
    check = OutcomeCheck.objects.filter(case=case, result="").order_by("months").first()
    outcome_check_record(check=check, actor=None, result=result, checked_on=TODAY, source="Court records",
                         offense_date=TODAY if result == "yes" else None)  # fmt: skip


def _first_check(case: Case) -> OutcomeCheck:
    return OutcomeCheck.objects.filter(case=case).order_by("months").first()


CHECK_WRITES = {
    "outcome_check_record (reoffended)": lambda case, **k: _record(case, "yes"),
    "outcome_check_record (could not be determined)": lambda case, **k: _record(case, "unknown"),
    "case_reopen (its unrecorded checks deleted)": lambda case, **k: case_reopen(
        case=case, expected_version=case.version, actor=k["coordinator"], reason="Back in touch."),
    "case_close of another case (checks due the same days)": lambda case, **k: closed_with_checks(
        case.program, k["coordinator"], juvenile=True),
    "case_anonymise (retention: the checks' sources cleared)": lambda case, **k: case_anonymise(case=case),
    "OutcomeCheck.save (due date moved)": lambda case, **k: _orm_save(None, _first_check(case),
                                                                      due_on=TODAY + 3 * DAY),
    "OutcomeCheck.delete": lambda case, **k: _first_check(case).delete(),
    "OutcomeCheck.objects.create": lambda case, **k: OutcomeCheck.objects.create(
        case=case, party=case.parties.filter(role="offender").first(), months=48, due_on=TODAY + 9 * DAY),
    "a plain update of the results (a data fix)": lambda case, **k: OutcomeCheck.objects.filter(case=case).update(
        result="no"),
    "a plain update: the case mediated after all": lambda case, **k: Case.objects.filter(pk=case.pk).update(
        outcome="no_agreement"),
    "plain SQL: the case's juvenile flag": lambda case, **k: _sql(
        "UPDATE cases_case SET juvenile = NOT juvenile WHERE id = %s", case.pk),
    "plain SQL: the case moved to another program": lambda case, **k: _sql(
        "UPDATE cases_case SET program_id = %s WHERE id = %s", k["other_program"].pk, case.pk),
    "Person.save (a birth date corrected)": JUVENILE_WRITES["Person.save (a birth date corrected)"],
    "admin change of a person's birth date": JUVENILE_WRITES["admin change of a person's birth date"],
}  # fmt: skip


@pytest.mark.parametrize("name", list(CHECK_WRITES))
def test_every_check_write_leaves_the_checks_due_stale_or_right_in_its_transaction(
    program, other_program, coordinator, mediator, admin_user, client, name
):
    case = closed_with_checks(program, coordinator)
    closed_with_checks(program, coordinator, juvenile=True, second_offender=True)  # checks due the same days
    kwargs = {"coordinator": coordinator, "client": client, "admin_user": admin_user, "other_program": other_program}

    def perform():
        CHECK_WRITES[name](Case.objects.get(pk=case.pk), **kwargs)

    DUE_WALK.walk(program, perform)
    if "program" in name:  # the days the case brought to the other program are its now
        assert checks.checks_due(other_program, DUE) == checks.direct_checks_due(other_program, DUE) != {}


def test_the_command_checks_and_rebuilds_the_checks_due(program, coordinator):
    stored_cohort_figures()
    case = closed_with_checks(program, coordinator)
    checks.checks_due(program, DUE)
    assert "0 differ" in run("--check", "--only", "due day figures")
    day = _first_check(case).due_on
    DueDayFigures.objects.filter(program=program, day=day).update(figures="[[6,false,false,9,9,9]]")
    with pytest.raises(CommandError, match="1 stored read-model row"):
        run("--check", "--only", "due day figures")
    assert "1 were missing, stale or wrong" in run("--only", "due day figures")
    assert "0 differ" in run("--check", "--only", "due day figures")
    assert checks.checks_due(program, DUE) == checks.direct_checks_due(program, DUE)


_check_operations = st.lists(
    st.one_of(
        st.tuples(st.just("record"), st.sampled_from(["yes", "no", "unknown", ""])),
        st.tuples(st.just("move due"), st.integers(min_value=-3, max_value=3)),
        st.tuples(st.just("delete check"), st.just(0)),
        st.tuples(st.just("new check"), st.integers(min_value=-3, max_value=3)),
        st.tuples(st.just("outcome"), st.sampled_from(["declined", "no_agreement", "completed"])),
        st.tuples(st.just("juvenile"), st.booleans()),
        st.tuples(st.just("read"), st.just(0)),
    ),
    min_size=1,
    max_size=8,
)


def _apply_to_checks(case: Case, operation: str, value) -> None:
    check = OutcomeCheck.objects.filter(case=case).order_by("?").first()
    if operation == "record" and check:
        OutcomeCheck.objects.filter(pk=check.pk).update(result=value)
    elif operation == "move due" and check:
        _orm_save(None, check, due_on=TODAY + value * DAY)
    elif operation == "delete check" and check:
        check.delete()
    elif operation == "new check":
        months = 1 + (OutcomeCheck.objects.filter(case=case).order_by("-months").values_list("months", flat=True)
                      .first() or 0)  # fmt: skip
        OutcomeCheck.objects.create(case=case, party=case.parties.filter(role="offender").first(), months=months,
                                    due_on=TODAY + value * DAY)  # fmt: skip
    elif operation == "outcome":
        Case.objects.filter(pk=case.pk).update(outcome=value)
    elif operation == "juvenile":
        Case.objects.filter(pk=case.pk).update(juvenile=value)
    elif operation == "read":
        checks.checks_due(case.program, DUE)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=_check_operations)
def test_the_stored_checks_due_equal_the_direct_computation_after_any_writes(program, coordinator, operations):
    stored_cohort_figures()
    with transaction.atomic():
        cases = [closed_with_checks(program, coordinator, second_offender=True),
                 closed_with_checks(program, coordinator, juvenile=True)]  # fmt: skip
        OutcomeCheck.objects.update(due_on=TODAY)  # every check due on one of the days the operations touch
        checks.checks_due(program, DUE)
        for index, (operation, value) in enumerate(operations):
            _apply_to_checks(cases[index % 2], operation, value)
        assert checks.checks_due(program, DUE) == checks.direct_checks_due(program, DUE)
        for day in range(-3, 4):  # a period of one day: the checks add up the same from any slice
            one = Period(TODAY + day * DAY, TODAY + day * DAY)
            assert checks.checks_due(program, one) == checks.direct_checks_due(program, one)
        transaction.set_rollback(True)  # each example starts from nothing


# --- The times taken a referral day (reports.timing): triggers on the cases and their meetings -----------------


TIMING_WALK = DayWalk(timing.DAYS, COHORT, timing.times_taken, timing.direct_times_taken)


def _joint(case: Case) -> Meeting:
    return Meeting.objects.get(case=case, kind=Meeting.Kind.JOINT)


def _hold(case: Case, **k) -> None:
    joint = _joint(case)
    mediation_services.meeting_hold(meeting=joint, expected_version=joint.version, actor=k["mediator"],
                                    outcome="no_agreement")  # fmt: skip


TIMING_WRITES = {
    "meeting_hold (the joint session held)": _hold,
    "meeting_reschedule": lambda case, **k: mediation_services.meeting_reschedule(
        meeting=_joint(case), expected_version=_joint(case).version, actor=k["mediator"], scheduled_for=ago(3)),
    "meeting_cancel": lambda case, **k: mediation_services.meeting_cancel(
        meeting=_joint(case), expected_version=_joint(case).version, actor=k["mediator"], reason="Ill."),
    "Meeting.save (held, an hour earlier)": lambda case, **k: _orm_save(
        None, _joint(case), status="held", scheduled_for=ago(2)),
    "Meeting.delete": lambda case, **k: _joint(case).delete(),
    "Meeting.objects.create (held)": lambda case, **k: Meeting.objects.create(
        case=case, kind="joint", status="held", scheduled_for=ago(5), created_by=k["mediator"]),
    "case_close (closed now)": lambda case, **k: case_close(
        case=case, expected_version=case.version, actor=k["coordinator"], outcome="withdrawn", reason="Moved."),
    "a plain update: the closure dated": lambda case, **k: Case.objects.filter(pk=case.pk).update(closed_at=ago(1)),
    "case_update (referral date: the case moves to another day)": CASE_WRITES[
        "case_update (referral date: the case moves to another day)"],
    "plain SQL: the case's juvenile flag": CASE_WRITES["plain SQL"],
    "case_intake (a new case the same day)": lambda case, **k: new_case(case.program, k["coordinator"]),
    "Case.objects.create (a closed case the same day, imported)": lambda case, **k: CaseFactory(
        program=case.program, referral_date=case.referral_date, stage="closed", outcome="withdrawn",
        closed_at=ago(1)),
}  # fmt: skip


@pytest.mark.parametrize("name", list(TIMING_WRITES))
def test_every_case_and_meeting_write_leaves_the_times_taken_stale_or_right_in_its_transaction(
    program, coordinator, mediator, client, admin_user, name
):
    case, _ = case_in_session(program, coordinator, mediator)
    other, _ = case_in_session(program, coordinator, mediator)  # another case the same day, its session held
    _hold(other, mediator=mediator)
    kwargs = {"coordinator": coordinator, "mediator": mediator, "client": client, "admin_user": admin_user}
    TIMING_WALK.walk(program, lambda: TIMING_WRITES[name](Case.objects.get(pk=case.pk), **kwargs))


def test_the_command_checks_and_rebuilds_the_times_taken(program, coordinator, mediator):
    stored_cohort_figures()
    case, _ = case_in_session(program, coordinator, mediator)
    _hold(case, mediator=mediator)
    timing.times_taken(program, COHORT)
    assert "0 differ" in run("--check", "--only", "timing day figures")
    TimingDayFigures.objects.filter(program=program, day=case.referral_date).update(figures='{"adult":[[1.0],[]]}')
    with pytest.raises(CommandError, match="1 stored read-model row"):
        run("--check", "--only", "timing day figures")
    assert "1 were missing, stale or wrong" in run("--only", "timing day figures")
    assert "0 differ" in run("--check", "--only", "timing day figures")
    assert timing.times_taken(program, COHORT) == timing.direct_times_taken(program, COHORT)


def test_the_median_is_postgresqls_to_the_float():
    """The middle value, or the two middle ones interpolated as percentile_cont does (lo + (hi - lo) * 0.5)."""
    assert timing.median([]) is None
    assert timing.median([3.0]) == 3.0
    assert timing.median([1.0, 2.0, 10.0]) == 2.0
    assert timing.median([1.0, 2.0, 3.0, 10.0]) == 2.5
    lo, hi = 0.1, 0.7
    assert timing.median([lo, hi]) == lo + (hi - lo) * 0.5


_timing_operations = st.lists(
    st.one_of(
        st.tuples(st.just("session"), st.integers(min_value=1, max_value=2000)),  # minutes after the referral
        st.tuples(st.just("cancel session"), st.just(0)),
        st.tuples(st.just("close"), st.integers(min_value=0, max_value=90000)),
        st.tuples(st.just("reopen"), st.just(0)),
        st.tuples(st.just("refer on"), st.integers(min_value=-2, max_value=2)),
        st.tuples(st.just("juvenile"), st.booleans()),
        st.tuples(st.just("read"), st.just(0)),
    ),
    min_size=1,
    max_size=8,
)


def _apply_to_timing(case: Case, user, operation: str, value) -> None:
    fresh = Case.objects.get(pk=case.pk)
    start = datetime.datetime.combine(fresh.referral_date, datetime.time(9), tzinfo=datetime.UTC)
    if operation == "session":
        Meeting.objects.create(case=case, kind="joint", status="held", created_by=user,
                               scheduled_for=start + datetime.timedelta(minutes=value))  # fmt: skip
    elif operation == "cancel session":
        Meeting.objects.filter(case=case, kind="joint").update(status="cancelled")
    elif operation == "close":
        Case.objects.filter(pk=case.pk).update(closed_at=start + datetime.timedelta(minutes=value))
    elif operation == "reopen":
        Case.objects.filter(pk=case.pk).update(closed_at=None)
    elif operation == "refer on":
        Case.objects.filter(pk=case.pk).update(referral_date=TODAY + (value - 10) * DAY)  # new cases: 10 days ago
    elif operation == "juvenile":
        Case.objects.filter(pk=case.pk).update(juvenile=value)
    else:
        timing.times_taken(case.program, COHORT)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=_timing_operations)
def test_the_stored_times_taken_equal_the_direct_computation_after_any_writes(program, coordinator, operations):
    stored_cohort_figures()
    with transaction.atomic():
        cases = [new_case(program, coordinator), new_case(program, coordinator, juvenile=True),
                 new_case(program, coordinator)]  # fmt: skip
        timing.times_taken(program, COHORT)
        for index, (operation, value) in enumerate(operations):
            _apply_to_timing(cases[index % 3], coordinator, operation, value)
        assert timing.times_taken(program, COHORT) == timing.direct_times_taken(program, COHORT)
        for day in range(-12, -7):  # a period of one day: the values add up the same from any slice
            one = Period(TODAY + day * DAY, TODAY + day * DAY)
            assert timing.times_taken(program, one) == timing.direct_times_taken(program, one)
        transaction.set_rollback(True)  # each example starts from nothing


# --- The offenders of the cases referred a day (reports.offenders): triggers on parties, checks, returns, cases --

# Periods starting on either side of the people's referrals: a day's people count or not by their previous referral.
OFFENDER_PERIODS = [COHORT, *(Period(TODAY - days * DAY, TODAY + 400 * DAY) for days in (70, 55, 45, 30, 15, 10, 5))]


OFFENDER_WALK = DayWalk(offenders.DAYS, COHORT, offenders.cohort_people, offenders.direct_people)


def offenders_agree(program) -> None:
    for period in OFFENDER_PERIODS:
        assert offenders.cohort_people(program, period) == offenders.direct_people(program, period), period


def offenders_write_walk(program, perform) -> None:
    """The walk, and then the stored days equal the direct computation over periods starting on either side of
    each person's referrals."""
    OFFENDER_WALK.walk(program, perform)
    offenders_agree(program)


@pytest.mark.parametrize("write", FOLLOW_UP_WRITES, ids=[w.name for w in FOLLOW_UP_WRITES])
def test_every_follow_up_write_leaves_the_offender_figures_stale_or_right_in_its_transaction(world, program, write):
    if write.setup:
        write.setup(world)
    offenders_write_walk(program, lambda: write.perform(world))


@dataclass
class People:
    """Kai Lopez (an adult) referred 40 and 10 days ago; a juvenile Kai Lopez (another person: another birth date)
    referred 60 days ago and 20 days ago, with Sam Reyes, that case closed as mixed (its checks scheduled)."""

    program: object
    other_program: object
    coordinator: object
    mediator: object
    client: object
    admin_user: object
    first: Case  # adult Kai's later case
    earlier: Case  # adult Kai's earlier case
    oldest: Case  # juvenile Kai's first case
    closed: Case  # juvenile Kai's second case, with Sam Reyes

    def case(self, name: str) -> Case:
        return Case.objects.get(pk=getattr(self, name).pk)

    def offender(self, name: str, first_name: str = "Kai") -> Party:
        return Party.objects.get(case=getattr(self, name), role="offender", person__first_name=first_name)


def _referred(case: Case, days_ago: int) -> Case:
    Case.objects.filter(pk=case.pk).update(referral_date=TODAY - days_ago * DAY)
    return Case.objects.get(pk=case.pk)


def arrange_people(program, other_program, coordinator, mediator, client, admin_user) -> People:
    first = new_case(program, coordinator)
    earlier = _referred(new_case(program, coordinator), 40)  # the same person: same name and birth date
    oldest = _referred(new_case(program, coordinator, juvenile=True), 60)
    closed = _referred(closed_with_checks(program, coordinator, juvenile=True, second_offender=True), 20)
    Case.objects.filter(pk=closed.pk).update(outcome="mixed")  # its offenders fulfilled or returned, each their own
    return People(program, other_program, coordinator, mediator, client, admin_user, first, earlier, oldest, closed)


@pytest.fixture
def people(program, other_program, coordinator, mediator, client, admin_user) -> People:
    return arrange_people(program, other_program, coordinator, mediator, client, admin_user)


def _adult_kai() -> PartyInput:
    return PartyInput(role="offender", first_name="Kai", last_name="Lopez",
                      date_of_birth=TODAY - datetime.timedelta(days=30 * 365))  # fmt: skip


def _anonymise_earlier(p: People) -> None:
    closed(World(p.case("earlier"), None, p.coordinator, None, None, None))
    case_anonymise(case=p.case("earlier"))


def _return(p: People, party: Party) -> OffenderReturn:
    return OffenderReturn.objects.create(case=party.case, party=party, on=TODAY, reason="x", recorded_by=p.coordinator)


OFFENDER_WRITES = {
    "case_intake (the same person referred again)": lambda p: new_case(p.program, p.coordinator),
    "party_add (the same person, on an earlier case)": lambda p: party_add(
        case=p.case("oldest"), actor=p.coordinator, party=_adult_kai()),
    "party_add_supporter (not an offender)": lambda p: party_add_supporter(
        case=p.case("first"), actor=p.coordinator, for_party=p.case("first").parties.get(role="victim"),
        supporter=PartyInput(role="support", first_name="Lee", last_name="Park")),
    "case_update (referral date: the later case now first)": lambda p: case_update(
        case=p.case("first"), expected_version=p.case("first").version, actor=p.coordinator,
        changes={"referral_date": TODAY - 50 * DAY, "incident_date": TODAY - 60 * DAY}),
    "case_assign (referred to screening)": lambda p: assign(p.case("first"), p.coordinator, p.mediator),
    "case_close (declined: its checks scheduled)": lambda p: closed_with_checks(p.program, p.coordinator),
    "case_close of the person's earlier case": lambda p: case_close(
        case=p.case("earlier"), expected_version=p.case("earlier").version, actor=p.coordinator,
        outcome="withdrawn", reason="Moved away."),
    "outcome_check_record (reoffended)": lambda p: _record(p.case("closed"), "yes"),
    "outcome_check_record (could not be determined)": lambda p: _record(p.case("closed"), "unknown"),
    "case_reopen (its unrecorded checks deleted)": lambda p: case_reopen(
        case=p.case("closed"), expected_version=p.case("closed").version, actor=p.coordinator, reason="Back."),
    "case_anonymise of the person's earlier case (a nameless person now)": _anonymise_earlier,
    "Person.save (a birth date corrected)": lambda p: JUVENILE_WRITES["Person.save (a birth date corrected)"](
        p.case("first")),
    "admin change of a person's birth date": lambda p: JUVENILE_WRITES["admin change of a person's birth date"](
        p.case("first"), client=p.client, admin_user=p.admin_user),
    "a plain update: the juvenile's parties given to the adult (people merged)": lambda p: Party.objects.filter(
        pk=p.offender("closed").pk).update(person=p.offender("first").person),
    "Party.delete (the person's earlier offender party)": lambda p: p.offender("earlier").delete(),
    "Party.objects.create (an offender added)": lambda p: PartyFactory(case=p.case("first")),
    "plain SQL: an offender made a victim": lambda p: _sql(
        "UPDATE cases_party SET role = 'victim' WHERE id = %s", p.offender("earlier").pk),
    "plain SQL: the earlier case moved to another program": lambda p: _sql(
        "UPDATE cases_case SET program_id = %s WHERE id = %s", p.other_program.pk, p.earlier.pk),
    "a plain update: the case mediated after all": lambda p: Case.objects.filter(pk=p.first.pk).update(
        outcome="no_agreement", stage="closed"),
    "plain SQL: the case's juvenile flag": lambda p: _sql(
        "UPDATE cases_case SET juvenile = NOT juvenile WHERE id = %s", p.first.pk),
    "OutcomeCheck.objects.create (a window of its own)": lambda p: OutcomeCheck.objects.create(
        case=p.closed, party=p.offender("closed", "Sam"), months=48, due_on=TODAY + 9 * DAY),
    "a plain update of the results (a data fix)": lambda p: OutcomeCheck.objects.filter(case=p.closed).update(
        result="no"),
    "OutcomeCheck delete (a window's checks)": lambda p: OutcomeCheck.objects.filter(
        case=p.closed, months=30).delete(),
    "OffenderReturn.objects.create (one offender of a mixed case)": lambda p: _return(p, p.offender("closed")),
    "OffenderReturn.delete": lambda p: OffenderReturn.objects.filter(case=p.closed).delete(),
    "a plain update: the return moved to another case's offender": lambda p: OffenderReturn.objects.filter(
        case=p.closed).update(party=p.offender("first")),
}  # fmt: skip
OFFENDER_SETUPS = {  # a return to delete or move
    "OffenderReturn.delete": lambda p: _return(p, p.offender("closed")),
    "a plain update: the return moved to another case's offender": lambda p: _return(p, p.offender("closed")),
}


@pytest.mark.parametrize("name", list(OFFENDER_WRITES))
def test_every_offender_write_leaves_the_offender_figures_stale_or_right_in_its_transaction(people, name):
    if name in OFFENDER_SETUPS:
        OFFENDER_SETUPS[name](people)
    offenders_write_walk(people.program, lambda: OFFENDER_WRITES[name](people))
    if "program" in name:  # the days the case brought to the other program are its now
        assert offenders.cohort_people(people.other_program, COHORT) == offenders.direct_people(
            people.other_program, COHORT
        )


def test_a_person_counts_once_in_a_period_with_their_first_case_there(people):
    """Adult Kai (40 and 10 days ago) counts on the earlier day in a period holding both, on the later one in a
    period starting after the earlier, and moving the later case first moves him: the stored days follow."""
    stored_cohort_figures()

    def adults(days_ago: int) -> int:
        tally = offenders.cohort_people(people.program, Period(TODAY - days_ago * DAY, TODAY))
        return sum(tally.tallies[(6, "adult")][mediated][result] for mediated in (True, False)
                   for result in ("yes", "no", "unknown", "to_come"))  # fmt: skip

    assert (adults(45), adults(30)) == (1, 1)
    stored = OffenderDayFigures.objects.get(program=people.program, day=people.first.referral_date).figures
    assert [previous for previous, *_ in json.loads(stored)["people"]] == [(TODAY - 40 * DAY).isoformat()]
    _referred(people.first, 50)  # now the earlier of the two: the other day's Kai has a previous referral
    assert (adults(55), adults(45), adults(30)) == (1, 1, 0)
    offenders_agree(people.program)


def _arranged_people(program, coordinator, mediator, write: str) -> People:
    """The people of the walk above, without another program or an admin (the trigger-off test needs neither)."""
    world = arrange_people(program, None, coordinator, mediator, None, None)
    if write in OFFENDER_SETUPS:
        OFFENDER_SETUPS[write](world)
    return world


def _offender_trigger_off(table: str, write: str) -> "TriggerOff":
    return TriggerOff(OFFENDER_WALK, table, lambda *args: _arranged_people(*args, write),
                      lambda world, **k: OFFENDER_WRITES[write](world))  # fmt: skip


# For the trigger-off test below: each of these triggers, disabled, and a write only it sees.
OFFENDER_TRIGGERS = {
    "cases_party": {
        "insert": "Party.objects.create (an offender added)",
        "update": "plain SQL: an offender made a victim",
        "delete": "Party.delete (the person's earlier offender party)",
    },
    "cases_case": {"update": "a plain update: the case mediated after all"},
    "cases_outcomecheck": {
        "insert": "OutcomeCheck.objects.create (a window of its own)",
        "update": "a plain update of the results (a data fix)",
        "delete": "OutcomeCheck delete (a window's checks)",
    },
    "agreements_offenderreturn": {
        "insert": "OffenderReturn.objects.create (one offender of a mixed case)",
        "update": "a plain update: the return moved to another case's offender",
        "delete": "OffenderReturn.delete",
    },
}


def test_the_command_checks_and_rebuilds_the_offender_figures(people):
    stored_cohort_figures()
    offenders.cohort_people(people.program, COHORT)
    assert "0 differ" in run("--check", "--only", "offender day figures")
    row = OffenderDayFigures.objects.get(program=people.program, day=people.first.referral_date)
    OffenderDayFigures.objects.filter(pk=row.pk).update(figures='{"ended":{},"people":[],"results":[],"windows":[]}')
    with pytest.raises(CommandError, match="1 stored read-model row"):
        run("--check", "--only", "offender day figures")
    assert "1 were missing, stale or wrong" in run("--only", "offender day figures")
    assert "0 differ" in run("--check", "--only", "offender day figures")
    offenders_agree(people.program)


_offender_operations = st.lists(
    st.one_of(
        st.tuples(st.just("offender"), st.tuples(st.integers(0, 3), st.integers(0, 4))),  # (person, case)
        st.tuples(st.just("refer on"), st.tuples(st.integers(0, 4), st.integers(-3, 3))),  # (case, day)
        st.tuples(st.just("person"), st.tuples(st.integers(0, 9), st.integers(0, 3))),  # (party, person)
        st.tuples(st.just("remove"), st.integers(0, 9)),  # party
        st.tuples(st.just("outcome"), st.tuples(st.integers(0, 4), st.sampled_from(
            ["", "completed", "returned", "mixed", "no_agreement", "declined"]))),
        st.tuples(st.just("juvenile"), st.tuples(st.integers(0, 4), st.booleans())),
        st.tuples(st.just("return"), st.integers(0, 9)),  # party: returned, or no longer
        st.tuples(st.just("check"), st.tuples(st.integers(0, 9), st.sampled_from([6, 12, 18]),
                                              st.sampled_from(["", "yes", "no", "unknown", None]))),
        st.tuples(st.just("read"), st.integers(-3, 3)),
    ),
    min_size=1,
    max_size=10,
)  # fmt: skip


def _apply_to_offenders(program, cases, persons, user, operation: str, value) -> None:
    parties = list(Party.objects.filter(case__in=cases, role="offender").order_by("pk"))
    party = parties[value[0] % len(parties)] if parties and isinstance(value, tuple) else None
    if operation == "offender":
        person, case = persons[value[0]], cases[value[1]]
        if not Party.objects.filter(case=case, person=person, role="offender").exists():
            Party.objects.create(case=case, person=person, role="offender")
    elif operation == "refer on":
        Case.objects.filter(pk=cases[value[0]].pk).update(referral_date=TODAY + value[1] * DAY)
    elif operation == "person" and party:
        taken = Party.objects.filter(case=party.case, person=persons[value[1]], role="offender").exists()
        if not taken:
            Party.objects.filter(pk=party.pk).update(person=persons[value[1]])
    elif operation == "remove" and parties:
        chosen = parties[value % len(parties)]
        OutcomeCheck.objects.filter(party=chosen).delete()
        OffenderReturn.objects.filter(party=chosen).delete()
        chosen.delete()
    elif operation == "outcome":
        Case.objects.filter(pk=cases[value[0]].pk).update(outcome=value[1], stage="closed" if value[1] else "referred")
    elif operation == "juvenile":
        Case.objects.filter(pk=cases[value[0]].pk).update(juvenile=value[1])
    elif operation == "return" and parties:
        chosen = parties[value % len(parties)]
        if not OffenderReturn.objects.filter(party=chosen).delete()[0]:
            OffenderReturn.objects.create(case=chosen.case, party=chosen, on=TODAY, reason="x", recorded_by=user)
    elif operation == "check" and party:
        _, months, result = value
        if result is None:
            OutcomeCheck.objects.filter(party=party, months=months).delete()
        else:
            OutcomeCheck.objects.update_or_create(case=party.case, party=party, months=months,
                                                  defaults={"result": result, "due_on": TODAY})  # fmt: skip
    elif operation == "read":
        offenders.cohort_people(program, Period(TODAY + value * DAY, TODAY + 3 * DAY))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=_offender_operations)
def test_the_stored_offender_figures_equal_the_direct_computation_after_any_writes(program, coordinator, operations):
    stored_cohort_figures()
    with transaction.atomic():
        cases = [CaseFactory(program=program, referral_date=TODAY + day * DAY) for day in (-3, -1, -1, 0, 2)]
        persons = [PersonFactory() for _ in range(4)]
        for index, case in enumerate(cases):
            Party.objects.create(case=case, person=persons[index % 3], role="offender")
        offenders.cohort_people(program, COHORT)
        for operation, value in operations:
            _apply_to_offenders(program, cases, persons, coordinator, operation, value)
        OFFENDER_WALK.stale_or_right(program)
        for start in range(-4, 4):  # every start: each person counts once, from their first case in the period
            for end in (start, 3):
                period = Period(TODAY + start * DAY, TODAY + max(start, end) * DAY)
                assert offenders.cohort_people(program, period) == offenders.direct_people(program, period), period


# --- The survey answers a day submitted (reports.satisfaction): triggers on the responses and the cases' program -

HOUR = datetime.timedelta(hours=1)
SCORES = {"fair": 4, "satisfied": 3, "safe": 5, "heard": None, "recommend": 2}
SURVEY_WALK = DayWalk(satisfaction.DAYS, COHORT, satisfaction.answers_by_role, satisfaction.direct_answers_by_role)


def _late_evening(day: datetime.date) -> datetime.datetime:
    """Half past eleven at night in the current time zone: already the next day in UTC (in America/Chicago)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 30)))


def respond(case: Case, role: str = "offender", *, at=None, comment: str = "", **scores) -> SurveyResponse:
    """A party of ``role`` answers (the first of its invitations not yet made), as the survey link does."""
    at = at or timezone.now()
    party, occasion = next((party, occasion) for party in case.parties.filter(role=role).order_by("pk")
                           for occasion in ("joint_session", "closure")
                           if not SurveyInvitation.objects.filter(party=party, occasion=occasion).exists())  # fmt: skip
    invitation = SurveyInvitation.objects.create(case=case, party=party, occasion=occasion, nonce=new_nonce(),
                                                 created_at=at - HOUR, expires_at=at + VALID_FOR)  # fmt: skip
    return survey_response_submit(invitation=invitation, nonce=invitation.nonce, scores=SCORES | scores,
                                  comment=comment, now=at)  # fmt: skip


def _response(case: Case) -> SurveyResponse:
    return SurveyResponse.objects.filter(case=case).order_by("pk").first()


def _imported(case: Case, **k) -> None:
    """The demo seeder's way: invitations and responses inserted in bulk (COPY on PostgreSQL)."""
    party = case.parties.get(role="victim")
    now = timezone.now()
    invitation = SurveyInvitation(case=case, party=party, occasion="closure", nonce="", created_at=now - HOUR,
                                  expires_at=now + VALID_FOR, used_at=now)  # fmt: skip
    bulk_insert([invitation])
    bulk_insert([SurveyResponse(invitation=invitation, case=case, respondent_role="victim", occasion="closure",
                                submitted_at=now, fair=1, comment="")])  # fmt: skip


SURVEY_WRITES = {
    "survey_response_submit (the victim answers)": lambda case, **k: respond(case, "victim", fair=5),
    "survey_response_submit (late in the evening: the next day in UTC)": lambda case, **k: respond(
        case, "victim", at=_late_evening(timezone.localdate()), fair=1),
    "survey_response_submit (another case's party the same day)": lambda case, **k: respond(
        new_case(case.program, k["coordinator"]), "offender", satisfied=1),
    "survey_case_anonymise (comments cleared, scores kept)": lambda case, **k: survey_case_anonymise(case=case),
    "case_close and case_anonymise (retention)": lambda case, **k: case_anonymise(case=case_close(
        case=case, expected_version=case.version, actor=k["coordinator"], outcome="withdrawn", reason="Moved.")),
    "SurveyResponse.objects.create": lambda case, **k: SurveyResponse.objects.create(
        invitation=SurveyInvitation.objects.create(case=case, party=case.parties.get(role="victim"),
                                                   occasion="joint_session", created_at=timezone.now(),
                                                   expires_at=timezone.now() + VALID_FOR),
        case=case, respondent_role="victim", occasion="joint_session", submitted_at=timezone.now(), safe=1),
    "bulk_insert (the demo seeder)": _imported,
    "SurveyResponse.delete": lambda case, **k: _response(case).delete(),
    "SurveyResponse.save (a score corrected)": lambda case, **k: _orm_save(None, _response(case), fair=1),
    "a plain update of the scores (a data fix)": lambda case, **k: SurveyResponse.objects.filter(case=case).update(
        recommend=None, heard=5),
    "a plain update: submitted a day earlier": lambda case, **k: SurveyResponse.objects.filter(case=case).update(
        submitted_at=F("submitted_at") - DAY),
    "plain SQL: the role corrected": lambda case, **k: _sql(
        "UPDATE surveys_surveyresponse SET respondent_role = 'guardian' WHERE case_id = %s", case.pk),
    "plain SQL: the case moved to another program": lambda case, **k: _sql(
        "UPDATE cases_case SET program_id = %s WHERE id = %s", k["other_program"].pk, case.pk),
}  # fmt: skip


def _answered(program, coordinator, mediator=None) -> Case:
    """A case whose offender answered this morning and last night, and another case answered the same days."""
    case = new_case(program, coordinator, juvenile=True)
    respond(case, "offender", comment="Fair.")
    respond(case, "offender", at=_late_evening(timezone.localdate() - DAY), fair=2)
    other = new_case(program, coordinator)
    respond(other, "victim", satisfied=5)
    respond(other, "victim", at=_late_evening(timezone.localdate() - DAY), safe=None)
    return case


@pytest.mark.parametrize("name", list(SURVEY_WRITES))
def test_every_survey_write_leaves_the_answers_stale_or_right_in_its_transaction(
    program, other_program, coordinator, mediator, client, admin_user, name
):
    case = _answered(program, coordinator)
    kwargs = {"coordinator": coordinator, "mediator": mediator, "client": client, "admin_user": admin_user,
              "other_program": other_program}  # fmt: skip
    SURVEY_WALK.walk(program, lambda: SURVEY_WRITES[name](Case.objects.get(pk=case.pk), **kwargs))
    if "program" in name:  # the days the case brought to the other program are its now
        assert satisfaction.answers_by_role(other_program, COHORT) == satisfaction.direct_answers_by_role(
            other_program, COHORT) != {}  # fmt: skip


def test_the_admin_shows_survey_answers_read_only(rf, admin_user):
    """Responses are written only by the survey services (listed above): opening them in the admin needs a row."""
    request = rf.get("/")
    request.user = admin_user
    responses = admin.site._registry[SurveyResponse]
    assert not any(allowed(request) for allowed in (responses.has_add_permission, responses.has_change_permission,
                                                    responses.has_delete_permission))  # fmt: skip


def test_a_day_is_the_current_time_zones_as_the_periods_moments(program, coordinator):
    """A response late in the evening counts on that day, in a one-day period and in its stored day alike."""
    stored_cohort_figures()
    today = timezone.localdate()
    case = new_case(program, coordinator)
    respond(case, "victim", at=_late_evening(today))
    satisfaction.answers_by_role(program, COHORT)
    respond(case, "victim", at=_late_evening(today) + HOUR, fair=1)  # after midnight: tomorrow
    for day in (today, today + DAY):
        one = Period(day, day)
        assert satisfaction.answers_by_role(program, one) == satisfaction.direct_answers_by_role(program, one)
        assert satisfaction.answers_by_role(program, one)["victim"]["responses"] == 1


def test_the_command_checks_and_rebuilds_the_survey_answers(program, coordinator):
    stored_cohort_figures()
    _answered(program, coordinator)
    satisfaction.answers_by_role(program, COHORT)
    assert "0 differ" in run("--check", "--only", "survey day figures")
    SurveyDayFigures.objects.filter(program=program, day=timezone.localdate()).update(figures='{"victim":[9]}')
    with pytest.raises(CommandError, match="1 stored read-model row"):
        run("--check", "--only", "survey day figures")
    assert "1 were missing, stale or wrong" in run("--only", "survey day figures")
    assert "0 differ" in run("--check", "--only", "survey day figures")
    assert satisfaction.answers_by_role(program, COHORT) == satisfaction.direct_answers_by_role(program, COHORT)


_survey_operations = st.lists(
    st.one_of(
        # minutes from the current time zone's midnight today: yesterday evening to tomorrow morning
        st.tuples(st.just("respond"), st.integers(min_value=-180, max_value=1440 + 180)),
        st.tuples(st.just("move"), st.integers(min_value=-1500, max_value=1500)),
        st.tuples(st.just("score"), st.sampled_from([None, 1, 3, 5])),
        st.tuples(st.just("role"), st.sampled_from(["victim", "offender", "guardian", "victim_rep"])),
        st.tuples(st.just("delete"), st.just(0)),
        st.tuples(st.just("other program"), st.just(0)),
        st.tuples(st.just("read"), st.just(0)),
    ),
    min_size=1,
    max_size=8,
)


def _apply_to_survey(cases: list[Case], index: int, operation: str, value, other_program) -> None:
    case = cases[index % len(cases)]
    midnight = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time.min))
    response = SurveyResponse.objects.filter(case__in=cases).order_by("?").first()
    if operation == "respond":
        role = ["offender", "victim"][index % 2]
        if SurveyInvitation.objects.filter(case=case, party__role=role).count() < 2:
            respond(case, role, at=midnight + datetime.timedelta(minutes=value), fair=index % 5 + 1)
    elif operation == "move" and response:
        _orm_save(None, response, submitted_at=response.submitted_at + datetime.timedelta(minutes=value))
    elif operation == "score" and response:
        SurveyResponse.objects.filter(pk=response.pk).update(satisfied=value)
    elif operation == "role" and response:
        SurveyResponse.objects.filter(pk=response.pk).update(respondent_role=value)
    elif operation == "delete" and response:
        response.delete()
    elif operation == "other program":
        Case.objects.filter(pk=case.pk).update(program=other_program)
    elif operation == "read":
        satisfaction.answers_by_role(cases[0].program, COHORT)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=_survey_operations)
def test_the_stored_survey_answers_equal_the_direct_computation_after_any_writes(
    program, other_program, coordinator, operations
):
    stored_cohort_figures()
    with transaction.atomic():
        cases = [new_case(program, coordinator, juvenile=True), new_case(program, coordinator)]
        respond(cases[0], "offender", at=_late_evening(timezone.localdate() - DAY))
        satisfaction.answers_by_role(program, COHORT)
        for index, (operation, value) in enumerate(operations):
            _apply_to_survey(cases, index, operation, value, other_program)
        for which in (program, other_program):
            assert satisfaction.answers_by_role(which, COHORT) == satisfaction.direct_answers_by_role(which, COHORT)
            for day in range(-2, 3):  # a period of one day: the answers add up the same from any slice
                one = Period(timezone.localdate() + day * DAY, timezone.localdate() + day * DAY)
                assert satisfaction.answers_by_role(which, one) == satisfaction.direct_answers_by_role(which, one)
        transaction.set_rollback(True)  # each example starts from nothing


# --- Each trigger, disabled, and a write only it sees: the read model's walk must catch the figures left wrong ---


@dataclass(frozen=True)
class TriggerOff:
    walk: DayWalk
    table: str
    arrange: Callable  # (program, coordinator, mediator) -> the case (or the world of cases) the write is given
    write: Callable  # (case or world, **kwargs), as in the walks' tables of writes


def _in_session(program, coordinator, mediator) -> Case:
    return case_in_session(program, coordinator, mediator)[0]


def _session_held(program, coordinator, mediator) -> Case:
    case = _in_session(program, coordinator, mediator)
    _hold(case, mediator=mediator)  # a held session to lose
    return case


def _closed(program, coordinator, mediator) -> Case:
    return closed_with_checks(program, coordinator)


TRIGGERS_OFF = {
    "reports_due_cases_outcomecheck_insert": TriggerOff(
        DUE_WALK, "cases_outcomecheck", _closed, CHECK_WRITES["OutcomeCheck.objects.create"]),
    "reports_due_cases_outcomecheck_update": TriggerOff(
        DUE_WALK, "cases_outcomecheck", _closed, CHECK_WRITES["outcome_check_record (reoffended)"]),
    "reports_due_cases_outcomecheck_delete": TriggerOff(
        DUE_WALK, "cases_outcomecheck", _closed, CHECK_WRITES["OutcomeCheck.delete"]),
    "reports_due_cases_case_update": TriggerOff(
        DUE_WALK, "cases_case", _closed, CHECK_WRITES["a plain update: the case mediated after all"]),
    "reports_timing_mediation_meeting_insert": TriggerOff(
        TIMING_WALK, "mediation_meeting", _in_session, TIMING_WRITES["Meeting.objects.create (held)"]),
    "reports_timing_mediation_meeting_update": TriggerOff(
        TIMING_WALK, "mediation_meeting", _in_session, TIMING_WRITES["meeting_hold (the joint session held)"]),
    "reports_timing_mediation_meeting_delete": TriggerOff(
        TIMING_WALK, "mediation_meeting", _session_held, TIMING_WRITES["Meeting.delete"]),
    "reports_timing_cases_case_insert": TriggerOff(
        TIMING_WALK, "cases_case", _in_session,
        TIMING_WRITES["Case.objects.create (a closed case the same day, imported)"]),
    "reports_timing_cases_case_update": TriggerOff(
        TIMING_WALK, "cases_case", _in_session, TIMING_WRITES["a plain update: the closure dated"]),
    "reports_survey_surveys_surveyresponse_insert": TriggerOff(
        SURVEY_WALK, "surveys_surveyresponse", _answered, SURVEY_WRITES["SurveyResponse.objects.create"]),
    "reports_survey_surveys_surveyresponse_update": TriggerOff(
        SURVEY_WALK, "surveys_surveyresponse", _answered, SURVEY_WRITES["a plain update of the scores (a data fix)"]),
    "reports_survey_surveys_surveyresponse_delete": TriggerOff(
        SURVEY_WALK, "surveys_surveyresponse", _answered, SURVEY_WRITES["SurveyResponse.delete"]),
    "reports_survey_cases_case_update": TriggerOff(
        SURVEY_WALK, "cases_case", _answered, SURVEY_WRITES["plain SQL: the case moved to another program"]),
} | {
    f"reports_offender_{table}_{operation}": _offender_trigger_off(table, write)
    for table, writes in OFFENDER_TRIGGERS.items() for operation, write in writes.items()
}  # fmt: skip


@pytest.mark.parametrize("trigger", list(TRIGGERS_OFF))
def test_the_walk_fails_without_each_trigger(
    program, other_program, coordinator, mediator, client, admin_user, trigger
):
    stored_cohort_figures()
    off = TRIGGERS_OFF[trigger]
    arranged = off.arrange(program, coordinator, mediator)  # a case, or a world of cases (``People``)
    kwargs = {"coordinator": coordinator, "mediator": mediator, "client": client, "admin_user": admin_user,
              "other_program": other_program}  # fmt: skip
    with transaction.atomic():
        _sql("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred foreign key checks pending: the table can be altered
        _sql(f"ALTER TABLE {off.table} DISABLE TRIGGER {trigger}")
        off.walk.read(program, off.walk.period)
        off.write(Case.objects.get(pk=arranged.pk) if isinstance(arranged, Case) else arranged, **kwargs)
        with pytest.raises(AssertionError):
            off.walk.stale_or_right(program)
        transaction.set_rollback(True)
