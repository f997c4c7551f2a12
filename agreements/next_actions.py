"""Next actions for cases whose agreement is being written and signed."""

from datetime import timedelta

from django.db.models import OuterRef
from django.utils import timezone

from cases.extensions import CaseFacts, NextAction
from cases.models import Case
from cases.selectors import count_of
from vom.core.precompiled import Precompiled
from vom.core.reversing import reverse_once

from .facts import agreement_facts
from .models import Agreement, Signature

SIGNING_DAYS = 7


FOLLOW_UP_LABELS = {
    "defaulted": "Agreement defaulted: talk to the offender, amend or return the case",
    "overdue": "Something is overdue: contact the offender",
    "due_soon": "Check that the next item is kept",
    "on_track": "Follow the agreement",
    "fulfilled": "Every term is fulfilled",
}


def _follow_up_actions(cases: list[Case]) -> dict[int, list[NextAction]]:
    from .follow_up import follow_up_overview_of

    followed = [c.pk for c in cases if c.stage == Case.Stage.FOLLOW_UP]
    return {row.case.pk: [_follow_up_action(row)] for row in follow_up_overview_of(followed)}


def _follow_up_action(row) -> NextAction:
    url = reverse_once("agreements:follow_up", args=[row.case.pk, row.agreement.pk])
    return NextAction(FOLLOW_UP_LABELS[row.status], row.next_due, url, priority=20)


def _signing_action(case: Case, agreement: Agreement | None, signed: int) -> NextAction:
    due = timezone.localtime(case.stage_changed_at).date() + timedelta(days=SIGNING_DAYS)
    if agreement is None:
        return NextAction("Draft the written agreement", due, reverse_once("cases:detail", args=[case.pk]), priority=20)
    url = reverse_once("agreements:detail", args=[case.pk, agreement.pk])
    if agreement.status == Agreement.Status.DRAFT:
        return NextAction("Add the terms and send the agreement for signatures", due, url, priority=20)
    return NextAction(f"Collect signatures ({signed} signed so far)", due, url, priority=20)


def case_next_actions(facts: CaseFacts) -> list[NextAction]:
    """The case page's: from its facts, as ``next_actions`` gives them for a list."""
    case, found = facts.case, agreement_facts(facts)
    if case.stage == Case.Stage.FOLLOW_UP:
        return [_follow_up_action(found.follow_up)] if found.follow_up else []
    if case.stage == Case.Stage.AGREEMENT:
        agreement = found.current
        return [_signing_action(case, agreement, agreement.signature_count if agreement else 0)]
    return []


def _open_versions(*case_ids: int):
    """The cases' agreements not superseded, each with how many have signed it, oldest version first."""
    signed = count_of(Signature.objects.filter(agreement=OuterRef("pk")), "agreement_id")
    current = Agreement.objects.filter(case_id__in=case_ids).exclude(status=Agreement.Status.SUPERSEDED)
    return current.annotate(signed=signed).order_by("number")


# Compiled once per process and number of cases, and prepared on each connection (the mediator home's).
_OPEN_VERSIONS = Precompiled(_open_versions)


def next_actions(cases: list[Case]) -> dict[int, list[NextAction]]:
    result = _follow_up_actions(cases)
    waiting = [c for c in cases if c.stage == Case.Stage.AGREEMENT]
    if not waiting:
        return result
    open_versions = {a.case_id: a for a in _OPEN_VERSIONS.rows(*(case.pk for case in waiting))}
    for case in waiting:
        agreement = open_versions.get(case.pk)
        result[case.pk] = [_signing_action(case, agreement, agreement.signed if agreement else 0)]
    return result
