"""Next actions for cases whose agreement is being written and signed."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from cases.registry import NextAction

from .models import Agreement, Signature

SIGNING_DAYS = 7


def next_actions(cases: list[Case]) -> dict[int, list[NextAction]]:
    waiting = [c for c in cases if c.stage == Case.Stage.AGREEMENT]
    if not waiting:
        return {}
    open_versions = {
        a.case_id: a
        for a in Agreement.objects.filter(case__in=waiting)
        .exclude(status=Agreement.Status.SUPERSEDED)
        .order_by("number")
    }
    signed = {}
    for agreement_id in Signature.objects.filter(agreement__in=open_versions.values()).values_list(
        "agreement_id", flat=True
    ):
        signed[agreement_id] = signed.get(agreement_id, 0) + 1
    result = {}
    for case in waiting:
        due = timezone.localtime(case.stage_changed_at).date() + timedelta(days=SIGNING_DAYS)
        agreement = open_versions.get(case.pk)
        if agreement is None:
            action = NextAction(
                "Draft the written agreement", due, reverse("cases:detail", args=[case.pk]), priority=20
            )
        else:
            url = reverse("agreements:detail", args=[case.pk, agreement.pk])
            if agreement.status == Agreement.Status.DRAFT:
                action = NextAction("Add the terms and send the agreement for signatures", due, url, priority=20)
            else:
                action = NextAction(
                    f"Collect signatures ({signed.get(agreement.pk, 0)} signed so far)", due, url, priority=20
                )
        result[case.pk] = [action]
    return result
