"""Follow-up: payments, disbursements, service hours and checks; per offender, completion and returns.

A case with several offenders is followed per offender: each one's terms are kept or not on their own, a
coordinator may return one offender to the referral source while the others go on, and the case closes
once every offender has fulfilled their part or been returned (completed, returned, or a mixed outcome).
Every closure writes its letter to the referral source (``letters.closure_letter``, run by ``case_move``).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Prefetch, Q
from django.utils import timezone

from cases.models import Case, Party, TimelineEvent
from cases.services import case_move, timeline_add
from mediation.selectors import session_date
from vom.core.claims import claim
from vom.core.errors import DomainError
from vom.core.precompiled import Precompiled

from .compliance import (
    DEFAULTED,
    FULFILLED,
    LABELS,
    OVERDUE,
    Summary,
    TermRecords,
    TermState,
    agreement_status,
    status_on,
    summarise,
    term_state,
)
from .documents import money
from .ledger import case_ledger
from .letters import letter_write
from .models import (
    HOURS_TERMS,
    Agreement,
    Disbursement,
    FollowUpSummary,
    Installment,
    Letter,
    OffenderReturn,
    Payment,
    ServiceLog,
    Term,
    TermCheck,
)
from .selectors import current_agreement
from .victim_updates import victim_update_forwarded, victim_update_returned

S = Case.Stage
SUMMARY_FIELDS = ("fulfilled", "next_due", "outstanding")
SUMMARY_BATCH = 2000


def terms_with_records(agreement: Agreement) -> list[Term]:
    return list(
        agreement.terms.select_related("responsible__person")
        .prefetch_related(
            "installments",
            Prefetch("payments", queryset=Payment.objects.order_by("received_on", "pk")),
            Prefetch("service_logs", queryset=ServiceLog.objects.order_by("on", "pk")),
            Prefetch("checks", queryset=TermCheck.objects.order_by("on", "pk")),
        )
        .order_by("position", "pk")
    )


def returned_offenders(case: Case) -> set[int]:
    """The offender parties a coordinator returned to the referral source: their terms are no longer followed."""
    return set(OffenderReturn.objects.filter(case=case).values_list("party_id", flat=True))


def compliance(agreement: Agreement, today: date | None = None) -> tuple[str, list[TermState]]:
    """The status of the offenders still followed (returned ones left out), and every term's state."""
    today = today or timezone.localdate()
    default_after = agreement.case.program.default_after_days
    states = [term_state(term, today, default_after=default_after) for term in terms_with_records(agreement)]
    returned = returned_offenders(agreement.case)
    return agreement_status([s for s in states if s.term.responsible_id not in returned]), states


def _followed_term(term: Term) -> Term:
    agreement = term.agreement
    if agreement.status != Agreement.Status.SIGNED:
        raise DomainError("Follow-up is recorded against the signed, current version of the agreement.")
    if agreement.case.stage != S.FOLLOW_UP:
        raise DomainError("The case is not in follow-up.")
    if term.responsible_id in returned_offenders(agreement.case):
        raise DomainError(f"{term.responsible.person} was returned to the referral source: their terms are closed.")
    return term


def _check_day(day: date, agreement: Agreement, what: str) -> list[str]:
    problems = []
    if day > timezone.localdate():
        problems.append(f"{what} cannot be dated in the future.")
    start = session_date(agreement.case) or (agreement.signed_at and timezone.localtime(agreement.signed_at).date())
    if start and day < start:
        problems.append(f"{what} cannot be before the agreement ({start:%b %-d, %Y}).")
    return problems


def _require_money_term(term: Term, records: str) -> None:
    if term.kind != Term.Kind.MONEY:
        raise DomainError(f"{records} are recorded against a money term.")


def _money_problems(term: Term, *, day: date, what: str, amount, at_most: Decimal, over: str) -> list[str]:
    """What is wrong with money received or forwarded on a term: the day, and the amount (more than zero,
    at most what is owed or held)."""
    problems = _check_day(day, term.agreement, what)
    if amount is None or amount <= 0:
        problems.append("The amount must be more than zero.")
    elif amount > at_most:
        problems.append(over)
    return problems


def _state(term: Term) -> TermState:
    fresh = next(t for t in terms_with_records(term.agreement) if t.pk == term.pk)
    return term_state(fresh, timezone.localdate(), default_after=term.agreement.case.program.default_after_days)


@transaction.atomic
def payment_record(
    *, term: Term, actor, amount: Decimal, received_on: date, method: str, reference: str = ""
) -> Payment:
    _followed_term(term)
    _require_money_term(term, "Payments")
    outstanding = _state(term).outstanding
    currency = term.agreement.case.program.currency
    problems = _money_problems(
        term, day=received_on, what="A payment", amount=amount, at_most=outstanding,
        over=f"That is more than the balance of {money(outstanding, currency)}; record at most the balance.",
    )  # fmt: skip
    if problems:
        raise DomainError("The payment was not recorded.", problems)
    payment = Payment.objects.create(
        term=term, amount=amount, received_on=received_on, method=method, reference=reference, recorded_by=actor
    )
    timeline_add(
        case=term.agreement.case, kind=TimelineEvent.Kind.FOLLOW_UP,
        summary=f"Payment of {money(amount, currency)} received from {term.responsible.person}", actor=actor,
    )  # fmt: skip
    close_if_done(case=term.agreement.case, actor=actor)
    return payment


def forwardable_terms(case: Case) -> list[Term]:
    """The latest term of each money obligation whose chain holds money not yet forwarded to the victim:
    money is forwarded after an amendment and after closure too (the last payment usually closes the case)."""
    if case.stage not in {S.FOLLOW_UP, S.CLOSED}:
        return []
    return [chain.latest for chain in case_ledger(case).money_chains if chain.held > 0]


@transaction.atomic
def disbursement_record(
    *, term: Term, actor, amount: Decimal, paid_on: date, method: str, reference: str = ""
) -> Disbursement:
    case = term.agreement.case
    _require_money_term(term, "Disbursements")
    if case.stage not in {S.FOLLOW_UP, S.CLOSED} or term.agreement.status not in {
        Agreement.Status.SIGNED, Agreement.Status.SUPERSEDED,
    }:  # fmt: skip
        raise DomainError("Money is forwarded once the agreement is signed and followed.")
    chain = case_ledger(case).chain_of(term)
    currency = case.program.currency
    held = chain.held if chain else Decimal("0")
    problems = _money_problems(
        term, day=paid_on, what="A disbursement", amount=amount, at_most=held,
        over=f"Only {money(held, currency)} has been received and not yet forwarded.",
    )  # fmt: skip
    if problems:
        raise DomainError("The disbursement was not recorded.", problems)
    disbursement = Disbursement.objects.create(
        term=chain.latest, amount=amount, paid_on=paid_on, method=method, reference=reference, recorded_by=actor
    )
    timeline_add(
        case=case, kind=TimelineEvent.Kind.FOLLOW_UP,
        summary=f"{money(amount, currency)} forwarded to the victim", actor=actor,
    )  # fmt: skip
    victim_update_forwarded(disbursement=disbursement)
    return disbursement


@transaction.atomic
def service_log_record(*, term: Term, actor, on: date, hours: Decimal, place: str, verified_by: str) -> ServiceLog:
    _followed_term(term)
    if term.kind not in HOURS_TERMS:
        raise DomainError("Hours are logged against community service or service to the victim.")
    problems = _check_day(on, term.agreement, "Service")
    if hours is None or not Decimal("0") < hours <= Decimal("24"):
        problems.append("Hours must be more than zero and at most 24 in a day.")
    if not place.strip() or not verified_by.strip():
        problems.append("Say where the service was done and who verified it.")
    if problems:
        raise DomainError("The hours were not logged.", problems)
    log = ServiceLog.objects.create(
        term=term, on=on, hours=hours, place=place.strip(), verified_by=verified_by.strip(), recorded_by=actor
    )
    timeline_add(
        case=term.agreement.case,
        kind=TimelineEvent.Kind.FOLLOW_UP,
        summary=f"{hours} service hours logged ({term.get_kind_display().lower()}, {term.responsible.person})",
        actor=actor,
    )
    close_if_done(case=term.agreement.case, actor=actor)
    return log


@transaction.atomic
def term_check_record(*, term: Term, actor, on: date, fulfilled: bool, note: str = "") -> TermCheck:
    _followed_term(term)
    if term.kind == Term.Kind.MONEY or term.counts_hours:
        raise DomainError("This term is followed by its payments or hours.")
    problems = _check_day(on, term.agreement, "A check")
    if problems:
        raise DomainError("The check was not recorded.", problems)
    check = TermCheck.objects.create(term=term, on=on, fulfilled=fulfilled, note=note.strip(), recorded_by=actor)
    label = f"{term.get_kind_display()}: {'fulfilled' if fulfilled else 'checked, not yet fulfilled'}"
    timeline_add(case=term.agreement.case, kind=TimelineEvent.Kind.FOLLOW_UP, summary=label, actor=actor)
    close_if_done(case=term.agreement.case, actor=actor)
    return check


@transaction.atomic
def agreement_record_sharing_consent(*, agreement: Agreement, actor, on: date) -> Agreement:
    if on > timezone.localdate():
        raise DomainError("Consent cannot be dated in the future.")
    Agreement.objects.filter(pk=agreement.pk).update(terms_shared_consent_on=on)
    timeline_add(
        case=agreement.case, kind=TimelineEvent.Kind.AGREEMENT,
        summary="Written consent of every party to share the terms with the referral source recorded", actor=actor,
    )  # fmt: skip
    agreement.refresh_from_db()
    return agreement


def _closing_outcome(parts) -> str | None:
    """How the case ends once every offender of the signed version has fulfilled their part or been
    returned; None while someone's part is still open."""
    parts = [p for p in parts if p.states or p.returned]
    if not parts or any(p.returned is None and p.status != FULFILLED for p in parts):
        return None
    returned = sum(1 for p in parts if p.returned)
    if returned == len(parts):
        return Case.Outcome.RETURNED
    return Case.Outcome.MIXED if returned else Case.Outcome.COMPLETED


CLOSING_SUMMARY = {
    Case.Outcome.COMPLETED: "Every term fulfilled. Closed as completed; completion letter written.",
    Case.Outcome.MIXED: "Every offender's part fulfilled or returned. Closed with a mixed outcome; letter written.",
    Case.Outcome.RETURNED: "Every offender returned to the referral source. Closed; letter written.",
}


def close_if_done(*, case: Case, actor, expected_version: int | None = None, reason: str = "") -> Case:
    """Close the case (its letter is written by the closure) once every offender has fulfilled their part
    of the signed version or been returned."""
    case = Case.objects.select_related("program").get(pk=case.pk)
    agreement = current_agreement(case)
    if case.stage != S.FOLLOW_UP or agreement is None or agreement.status != Agreement.Status.SIGNED:
        return case
    outcome = _closing_outcome(case_ledger(case).offenders)
    if outcome is None:
        return case
    return case_move(
        case=case, to_stage=S.CLOSED, expected_version=case.version if expected_version is None else expected_version,
        actor=actor, summary=CLOSING_SUMMARY[outcome], outcome=outcome,
        outcome_reason=reason or ("Agreement fulfilled." if outcome == Case.Outcome.COMPLETED else ""),
    )  # fmt: skip


def offenders_behind(case: Case) -> list[Party]:
    """Offenders still followed with something overdue: the ones a coordinator may return."""
    return [p.party for p in case_ledger(case).offenders if p.returned is None and p.status in {OVERDUE, DEFAULTED}]


@transaction.atomic
def case_return_to_source(
    *, case: Case, expected_version: int, actor, reason: str, parties: list[Party] | None = None
) -> Case:
    """A coordinator returns offenders who are not keeping the agreement (by default every one behind) to
    the referral source. The case closes when nobody is left to follow; otherwise the others go on and a
    non-compliance letter names the ones returned."""
    if case.stage != S.FOLLOW_UP:
        raise DomainError("Only a case in follow-up can be returned for non-compliance.")
    if not reason.strip():
        raise DomainError("Give the reason for returning the case to the referral source.")
    behind = offenders_behind(case)
    chosen = behind if not parties else list(parties)
    if not chosen:
        raise DomainError("Nothing in the agreement is overdue: the case cannot be returned for non-compliance.")
    late = {p.pk for p in behind}
    problems = [
        f"Nothing of {p.person}'s part is overdue: they cannot be returned." for p in chosen if p.pk not in late
    ]
    if problems:
        raise DomainError("Nobody was returned.", problems)
    claim(
        Case.objects.filter(pk=case.pk, version=expected_version),
        stale="This case was changed by someone else since you opened it. Nothing was changed.",
        version=F("version") + 1,
    )
    today = timezone.localdate()
    for party in chosen:
        OffenderReturn.objects.create(case=case, party=party, on=today, reason=reason.strip(), recorded_by=actor)
    names = ", ".join(str(p.person) for p in chosen)
    timeline_add(case=case, kind=TimelineEvent.Kind.FOLLOW_UP, actor=actor,
                 summary=f"Returned to the referral source for non-compliance: {names}. {reason.strip()}")  # fmt: skip
    closed = close_if_done(case=case, actor=actor, expected_version=expected_version + 1, reason=reason.strip())
    if closed.stage != S.CLOSED:
        letter_write(case=closed, kind=Letter.Kind.NON_COMPLIANCE, actor=actor, parties=chosen, reason=reason.strip())
        victim_update_returned(case=closed, parties=chosen)
    return closed


@transaction.atomic
def progress_report_issue(*, case: Case, actor) -> Letter:
    """An interim progress report to the referral source during follow-up (ahead of a court date, say)."""
    agreement = current_agreement(case)
    if case.stage != S.FOLLOW_UP or agreement is None or not agreement.signed_at:
        raise DomainError("A progress report is written while a signed agreement is being followed.")
    letter = letter_write(case=case, kind=Letter.Kind.PROGRESS, actor=actor)
    timeline_add(case=case, kind=TimelineEvent.Kind.FOLLOW_UP, summary="Progress report to the referral source",
                 actor=actor)  # fmt: skip
    return letter


@dataclass
class FollowUpRow:
    case: Case
    agreement: Agreement
    status: str
    label: str
    next_due: date | None
    outstanding: Decimal


def _by_term(queryset, *fields: str) -> dict[int, list]:
    """Rows of ``fields`` grouped by term, in the queryset's explicit order (none: the models' default
    orderings would join every row back to its case only to sort it)."""
    groups: dict[int, list] = defaultdict(list)
    for row in queryset.values_list("term_id", *fields, named=True):
        groups[row.term_id].append(row)
    return groups


def _summaries(agreement_ids: list[int]) -> dict[int, Summary]:
    """The compliance summary of each of these agreements, in a fixed number of queries.

    The records are read as plain rows, each kind in one query joined to the agreements, not as model
    instances prefetched term by term (10 s for 2,000 agreements that way). Disbursements are not
    read: forwarding money to the victim does not change what the offender still owes. Returned offenders'
    terms are left out: they are no longer followed.
    """
    today = timezone.localdate()  # a summary does not depend on the day; term_state asks for one
    of_these = {"term__agreement__in": agreement_ids}
    installments = _by_term(Installment.objects.filter(**of_these).order_by(), "number", "due_date", "amount")
    payments = _by_term(Payment.objects.filter(**of_these).order_by(), "amount")
    logs = _by_term(ServiceLog.objects.filter(**of_these).order_by(), "hours")
    checks = _by_term(TermCheck.objects.filter(**of_these).order_by("on", "pk"), "fulfilled")
    returned = set(OffenderReturn.objects.filter(case__agreements__in=agreement_ids).values_list("party_id", flat=True))
    states: dict[int, list[TermState]] = defaultdict(list)
    terms = Term.objects.filter(agreement__in=agreement_ids).exclude(responsible__in=returned).order_by()
    for term in terms.only("agreement_id", "kind", "amount", "hours", "due_date", "carried_in"):
        records = TermRecords(installments[term.pk], payments[term.pk], logs[term.pk], checks[term.pk])
        states[term.agreement_id].append(term_state(term, today, records))
    return {pk: summarise(states[pk]) for pk in agreement_ids}


def _store_summaries(revisions: dict[int, int]) -> dict[int, Summary]:
    """Compute and store the figures of each summary of ``revisions`` (agreement pk: the summary's
    ``source_revision`` read *before* its records); returns them. Only stored rows are written (they are placed by
    ``follow_up_placement``), in updates of at most 500 rows."""
    ids, computed = sorted(revisions), {}
    for start in range(0, len(ids), SUMMARY_BATCH):  # bounded IN lists (SQLite limits a query's parameters)
        summaries = _summaries(ids[start : start + SUMMARY_BATCH])
        FollowUpSummary.objects.bulk_update(
            [FollowUpSummary(agreement_id=pk, revision=revisions[pk], **vars(one)) for pk, one in summaries.items()],
            ["revision", *SUMMARY_FIELDS], batch_size=500,
        )  # fmt: skip
        computed |= summaries
    return computed


def _stored(row: FollowUpSummary) -> Summary:
    return Summary(**{name: getattr(row, name) for name in SUMMARY_FIELDS})


STALE = Q(revision__lt=F("source_revision"))  # the figures were computed before the last change to their records


def refresh_stale_summaries(summaries) -> int:
    """Compute and store the figures of every summary of ``summaries`` (a ``FollowUpSummary`` queryset) that is
    stale; returns how many were computed (none, usually: every change is followed by a read or two).

    Each is stored with its ``source_revision`` read *before* its records, so one computed while a record
    changes is stored as already stale and computed again on the next read. (A change committed between
    this refresh and the page's own query shows on the next request, as with any page read a moment ago.)
    """
    stale = dict(summaries.filter(STALE).order_by().values_list("agreement_id", "source_revision"))
    if stale:
        _store_summaries(stale)
    return len(stale)


def refresh_follow_up_summaries(agreements) -> int:
    """Bring the summary of every followed agreement of ``agreements`` up to date (placing one that has none, as
    after a bulk insert), and any other stored one of them; returns how many were computed."""
    unplaced = agreements.filter(status=Agreement.Status.SIGNED, follow_up_summary__isnull=True)
    cases = set(unplaced.order_by().values_list("case_id", flat=True))
    if cases:
        follow_up_placement(cases)
    return refresh_stale_summaries(FollowUpSummary.objects.filter(agreement__in=agreements.order_by().values("pk")))


PLACEMENT_FIELDS = ("followed", "program_id", "lead_mediator_id", "co_mediator_id")
PLACEMENT_NAMES = [name.removesuffix("_id") for name in PLACEMENT_FIELDS]  # the fields' names (their attnames above)


def _placement(agreement: Agreement) -> dict:
    """Where an agreement's summary belongs, from the agreement and its case (``FollowUpSummary``'s copies)."""
    case = agreement.case
    followed = agreement.status == Agreement.Status.SIGNED and case.stage == S.FOLLOW_UP
    values = (followed, case.program_id, case.lead_mediator_id, case.co_mediator_id)
    return dict(zip(PLACEMENT_FIELDS, values, strict=True))


def follow_up_placement(case_ids) -> int:
    """Copy onto the summaries of these cases' signed and superseded agreements whether each is on the Follow-up
    list (signed, its case in follow-up) and who sees it (the program and the mediators), and store a stale
    summary for a followed agreement that has none (its figures are computed by the list's next read).

    Called in the transaction of every write that changes one of those, after that write: signing (which
    supersedes the version before), every move of the case (``cases.extensions``' ``on_case_change``) and its
    reassignment; and by the seeders and ``rebuild_read_models``. The cases' rows are locked first, so that a
    signing and a move of the same case, each in its own transaction, place the summaries as the later one
    leaves the case. Returns how many summaries were written (none when nothing moved)."""
    ids, written = sorted(set(case_ids)), 0
    for start in range(0, len(ids), SUMMARY_BATCH):
        agreements = (
            Agreement.objects.filter(case_id__in=ids[start : start + SUMMARY_BATCH],
                                     status__in=[Agreement.Status.SIGNED, Agreement.Status.SUPERSEDED])
            .select_related("case", "follow_up_summary")
            .select_for_update(of=("case",))
            .only("status", "case__program", "case__stage", "case__lead_mediator", "case__co_mediator",
                  *(f"follow_up_summary__{name}" for name in PLACEMENT_NAMES))
            .order_by("case_id", "pk")
        )  # fmt: skip
        rows = []
        for agreement in agreements:
            placed, stored = _placement(agreement), getattr(agreement, "follow_up_summary", None)
            if (stored is None and not placed["followed"]) or (
                stored is not None and all(getattr(stored, name) == value for name, value in placed.items())
            ):
                continue
            rows.append(FollowUpSummary(agreement_id=agreement.pk, revision=0, source_revision=1, fulfilled=False,
                                        next_due=None, outstanding=Decimal("0"), **placed))  # fmt: skip
        if rows:  # a new summary is stale (revision 0 of 1); a stored one keeps its figures and revisions
            FollowUpSummary.objects.bulk_create(
                rows, update_conflicts=True, unique_fields=["agreement"],
                update_fields=PLACEMENT_NAMES,
            )  # fmt: skip
        written += len(rows)
    return written


def follow_up_case_changed(*, case_id: int) -> None:
    """``cases.extensions``' ``on_case_change``: a move or reassignment of the case places its summaries again."""
    follow_up_placement([case_id])


# --- The summary as a read model (vom.core.read_models): rebuilt and checked by manage.py rebuild_read_models --


def follow_up_summary_keys():
    """The agreements a summary is kept for: every one that has a stored summary, and every followed one
    (signed, its case in follow-up), whose summary is otherwise computed on the Follow-up list's next read."""
    followed = Q(status=Agreement.Status.SIGNED, case__stage=S.FOLLOW_UP)
    return (
        Agreement.objects.filter(followed | Q(Exists(FollowUpSummary.objects.filter(agreement=OuterRef("pk")))))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def direct_follow_up_summary(agreement: Agreement) -> Summary:
    """An agreement's summary computed the long way, from its terms and their prefetched records (the way
    the agreement page computes compliance), for comparison with the stored one."""
    returned = returned_offenders(agreement.case)
    _status, states = compliance(agreement)
    return summarise([state for state in states if state.term.responsible_id not in returned])


def follow_up_summary_differences(agreement_ids: list[int]) -> list[str]:
    """The stored summaries among ``agreement_ids`` that claim to be current but differ from a recomputation
    (or claim a revision they have not reached), those placed otherwise than their agreement and case say
    (followed, program, mediators), and the followed agreements with no summary (the Follow-up list, which
    reads the summaries alone, would leave them out). A summary behind its ``source_revision`` is not a
    difference: it is marked stale and computed on its next read."""
    problems = []
    # One statement: a write that places a summary changes its case or agreement in the same transaction.
    placed = FollowUpSummary.objects.filter(pk__in=agreement_ids).select_related("agreement__case").only(
        *PLACEMENT_NAMES, "agreement__status", "agreement__case__program", "agreement__case__stage",
        "agreement__case__lead_mediator", "agreement__case__co_mediator",
    )  # fmt: skip
    for row in placed:
        expected, stored = _placement(row.agreement), {name: getattr(row, name) for name in PLACEMENT_FIELDS}
        if stored != expected:
            problems.append(f"follow-up summary of agreement {row.pk}: placed {stored}, its case says {expected}")
    unplaced = Agreement.objects.filter(pk__in=agreement_ids, status=Agreement.Status.SIGNED,
                                        case__stage=S.FOLLOW_UP, follow_up_summary__isnull=True)  # fmt: skip
    problems += [f"followed agreement {pk} has no follow-up summary" for pk in unplaced.values_list("pk", flat=True)]
    revisions = dict(FollowUpSummary.objects.filter(pk__in=agreement_ids).values_list("pk", "source_revision"))
    stored = FollowUpSummary.objects.in_bulk(list(revisions))
    computed = _summaries(list(stored))
    # A record changed while this batch was read is marked stale by that change: not a difference.
    moved = FollowUpSummary.objects.filter(pk__in=list(stored)).values_list("pk", "source_revision")
    unchanged = {pk for pk, revision in moved if revision == revisions[pk]}
    for pk in sorted(unchanged):
        row = stored[pk]
        if row.revision > revisions[pk]:
            problems.append(f"follow-up summary of agreement {pk}: revision {row.revision} is ahead of its "
                            f"source revision {revisions[pk]}")  # fmt: skip
        elif row.revision == revisions[pk] and _stored(row) != computed[pk]:
            problems.append(f"follow-up summary of agreement {pk}: stored {_stored(row)}, recomputed {computed[pk]}")
    return problems


def _as_stored(row: FollowUpSummary) -> tuple:
    return row.revision == row.source_revision, _stored(row), [getattr(row, name) for name in PLACEMENT_FIELDS]


def follow_up_summary_rebuild(agreement_ids: list[int]) -> int:
    """Place the summaries of ``agreement_ids``' cases again (``follow_up_placement``), then recompute and store
    the figures of each of those agreements that has a summary, whatever is stored; returns how many were
    missing, stale, wrong or misplaced."""
    before = {pk: _as_stored(row) for pk, row in FollowUpSummary.objects.in_bulk(agreement_ids).items()}
    cases = Agreement.objects.filter(pk__in=agreement_ids).order_by().values_list("case_id", flat=True).distinct()
    follow_up_placement(list(cases))
    _store_summaries(dict(FollowUpSummary.objects.filter(pk__in=agreement_ids).values_list("pk", "source_revision")))
    after = FollowUpSummary.objects.in_bulk(agreement_ids)
    return sum(1 for pk, row in after.items() if before.get(pk) != _as_stored(row))


# The Follow-up list sorts on the summaries (PostgreSQL's ascending order puts a missing due date last, as the
# ``agreements_summary_followed`` index holds them).
WORST_FIRST = ("fulfilled", F("next_due").asc(nulls_last=True), "agreement_id")


def _followed(cases):
    """The signed agreements of ``cases`` in follow-up, with only what a row shows (case number, currency, lead
    mediator) and the summary as stored, current or not."""
    followed = Agreement.objects.filter(case__in=cases.filter(stage=S.FOLLOW_UP), status=Agreement.Status.SIGNED)
    return followed.select_related("follow_up_summary", "case__program", "case__lead_mediator").only(
        "case__number", "case__program__currency", "case__program__default_after_days",
        "case__lead_mediator__username", "case__lead_mediator__first_name", "case__lead_mediator__last_name",
        *(f"follow_up_summary__{name}" for name in ("revision", "source_revision", *SUMMARY_FIELDS)),
    )  # fmt: skip


def followed_summaries(visible: Q | None, program: int | None = None):
    """The summaries on the Follow-up list of whoever sees ``visible`` (``Case.objects.visibility(user)``: a
    condition over the program and the mediators, which the summaries copy; None: nothing), of ``program`` only
    if given, their figures brought up to date, worst first (the earliest unfulfilled due date first, fulfilled
    last): a queryset to count and page through, which reads no other table."""
    if visible is None:
        return FollowUpSummary.objects.none()
    followed = FollowUpSummary.objects.filter(visible, followed=True)
    if program is not None:
        followed = followed.filter(program_id=program)
    refresh_stale_summaries(followed)
    return followed.order_by(*WORST_FIRST)


def behind(summaries, today: date):
    """Those of ``followed_summaries`` with an item due before ``today`` and not kept (overdue or defaulted):
    the ones the Follow-up list shows first, in red."""
    return summaries.filter(fulfilled=False, next_due__lt=today)


def _current(agreement: Agreement) -> bool:
    summary = getattr(agreement, "follow_up_summary", None)
    return summary is not None and summary.revision == summary.source_revision


def follow_up_rows(agreements, today: date | None = None) -> list[FollowUpRow]:
    """Rows for followed agreements (``_followed``), with their status on ``today``."""
    today = today or timezone.localdate()
    agreements = list(agreements)
    # One signed after the summaries were brought up to date has none yet, one changed since has a stale one:
    # computed here.
    missing = [a.pk for a in agreements if not _current(a)]
    if missing:
        refresh_follow_up_summaries(Agreement.objects.filter(pk__in=missing))
        computed = FollowUpSummary.objects.in_bulk(missing)
        for agreement in agreements:
            if agreement.pk in computed:
                agreement.follow_up_summary = computed[agreement.pk]
    rows = []
    for agreement in agreements:
        summary = agreement.follow_up_summary
        status = status_on(summary.fulfilled, summary.next_due, today, agreement.case.program.default_after_days)
        rows.append(
            FollowUpRow(agreement.case, agreement, status, LABELS[status], summary.next_due, summary.outstanding)
        )
    return rows


# The Follow-up list's values, under names of their own (``number`` alone would be the agreement's).
LIST_NAMES = {
    "pk": "agreement_id", "case_id": "agreement__case_id", "case_number": "agreement__case__number",
    "currency": "program__currency", "after_days": "program__default_after_days",
    "lead_first": "lead_mediator__first_name", "lead_last": "lead_mediator__last_name",
    "lead_username": "lead_mediator__username",
}  # fmt: skip


def follow_up_list_values(summaries):
    """``followed_summaries`` as plain values for the Follow-up list (``follow_up_list_rows``): no model instances."""
    return summaries.values(
        "revision", "source_revision", *SUMMARY_FIELDS, **{f"row_{name}": F(path) for name, path in LIST_NAMES.items()}
    )


def follow_up_list_rows(summaries, today: date | None = None) -> list[dict]:
    """The Follow-up list's rows, shaped for its template, from ``follow_up_list_values`` (a page of them): the
    status on ``today`` from each stored summary, computed here for one changed since the summaries were read."""
    today = today or timezone.localdate()
    summaries = list(summaries)
    stale = [row["row_pk"] for row in summaries if row["revision"] < row["source_revision"]]
    if stale:
        refresh_stale_summaries(FollowUpSummary.objects.filter(pk__in=stale))
        computed = FollowUpSummary.objects.in_bulk(stale)
        for row in summaries:
            if row["row_pk"] in computed:
                row.update({name: getattr(computed[row["row_pk"]], name) for name in SUMMARY_FIELDS})
    rows = []
    for row in summaries:
        status = status_on(row["fulfilled"], row["next_due"], today, row["row_after_days"])
        lead = f"{row['row_lead_first'] or ''} {row['row_lead_last'] or ''}".strip() or row["row_lead_username"] or "—"
        rows.append({
            "case_id": row["row_case_id"], "pk": row["row_pk"], "number": row["row_case_number"], "status": status,
            "label": LABELS[status], "behind": status in (OVERDUE, DEFAULTED), "next_due": row["next_due"],
            "outstanding": money(row["outstanding"], row["row_currency"]), "lead": lead,
        })  # fmt: skip
    return rows


def _worst_first(row: FollowUpRow):
    summary = row.agreement.follow_up_summary
    return summary.fulfilled, summary.next_due is None, summary.next_due or date.min, row.agreement.pk


def follow_up_overview(cases, today: date | None = None) -> list[FollowUpRow]:
    """Every followed agreement of ``cases`` with its compliance, worst first (one query, and two more when a
    summary must be computed)."""
    rows = follow_up_rows(_followed(cases), today)  # sorted here: a summary may be computed after the read
    return sorted(rows, key=_worst_first)


# The mediator home's read, compiled once per process and number of cases (four joined tables and their columns).
_FOLLOWED_OF = Precompiled(lambda *case_ids: _followed(Case.objects.filter(pk__in=case_ids)))


def follow_up_overview_of(case_ids: list[int], today: date | None = None) -> list[FollowUpRow]:
    """``follow_up_overview`` of the cases with these ids."""
    if not case_ids:
        return []
    return sorted(follow_up_rows(_FOLLOWED_OF.rows(*case_ids), today), key=_worst_first)
