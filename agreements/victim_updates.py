"""Victims kept informed, by their choice: how restitution is going, by email through the outbox.

A victim (or an organisation victim's representative) who opted in (``Party.victim_updates``, with consent
to contact by email) is told when money is forwarded to them, when a payment or other item was missed and
is being followed up, when the plan is amended, and when the case is completed or returned. An
organisation victim that consented to contact by email is told of non-completion through its
representative even without opting in. Messages say nothing of the offender beyond the case's agreement
and never carry anyone's contact details but the program's; each carries a signed link that stops them at
once. Default: no updates.
"""

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, Party, Person, TimelineEvent
from cases.services import timeline_add
from vom.audit.models import AuditEvent
from vom.audit.services import audit_record
from vom.notifications.services import Outgoing, notifications_cancel, notifications_queue

from .documents import money
from .ledger import case_ledger
from .models import Agreement, Disbursement

SALT = "vom.agreements.victim-updates"
NOTIFICATION_TEMPLATES = {"victim_update": {"case_number", "program", "headline", "details", "stop_url", "contact"}}


def stop_token(party: Party) -> str:
    """The same link in every message to a party (no timestamp: stopping must work however old it is)."""
    return signing.Signer(salt=SALT).sign_object({"p": party.pk})


def party_for_token(token: str) -> Party | None:
    """The party a genuine stop link names, or None. The link does not expire: stopping must always work."""
    try:
        payload = signing.Signer(salt=SALT).unsign_object(token)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("p"), int):
        return None
    return Party.objects.select_related("case__program", "person").filter(pk=payload["p"]).first()


def victim_side(case_ids) -> dict[int, list[Party]]:
    """The victims and representatives of these cases, by case (one query)."""
    found: dict[int, list[Party]] = {case_id: [] for case_id in case_ids}
    parties = (
        Party.objects.filter(case__in=list(case_ids), role__in=[Party.Role.VICTIM, Party.Role.VICTIM_REPRESENTATIVE])
        .select_related("person")
        .order_by("pk")
    )
    for party in parties:
        found[party.case_id].append(party)
    return found


def recipients(parties: list[Party], *, non_completion: bool = False) -> list[Party]:
    """Who of a case's victim side is told: individual victims and organisations' representatives who opted
    in and may be emailed; for news of non-completion, an organisation's representative who consented to
    contact by email too (an organisation itself hears through its representative)."""
    chosen = []
    for party in parties:
        if not party.may_email or party.minimised_at:
            continue
        if party.role == Party.Role.VICTIM and party.person.kind != Person.Kind.INDIVIDUAL:
            continue
        organisation = party.role == Party.Role.VICTIM_REPRESENTATIVE
        if party.victim_updates or (non_completion and organisation):
            chosen.append(party)
    return chosen


def _contact(program) -> str:
    return " · ".join(part for part in [program.phone, program.email] if part) or program.name


def updates(case: Case, parties: list[Party], event: str, headline: str, details: str, *,
            non_completion: bool = False, now=None) -> list[Outgoing]:  # fmt: skip
    """One update per recipient among ``parties`` (the case's victim side), keyed by ``event`` so it goes once."""
    items = []
    for party in recipients(parties, non_completion=non_completion):
        stop_url = settings.SITE_URL + reverse("agreements:updates_stop", args=[stop_token(party)])
        context = {"case_number": case.number, "program": case.program.name, "headline": headline,
                   "details": details, "stop_url": stop_url, "contact": _contact(case.program)}  # fmt: skip
        items.append(Outgoing(f"victim:{party.pk}:{event}", "victim_update", now or timezone.now(), context,
                              email=party.email, name=str(party.person), case_id=case.pk))  # fmt: skip
    return items


def _queue(case: Case, event: str, headline: str, details: str, *, non_completion: bool = False) -> int:
    parties = victim_side([case.pk])[case.pk]
    return notifications_queue(updates(case, parties, event, headline, details, non_completion=non_completion))


def missed_updates(case: Case, parties: list[Party], *, key: str, item: str, due_on, now=None) -> list[Outgoing]:
    """A missed payment or other item, now being followed up (``key`` names the item, so once per item)."""
    return updates(case, parties, f"missed:{key}", "A part of the agreement was missed and is being followed up",
                   f"{item}, due on {due_on:%B %-d, %Y}, was not received on time. The program is in contact about "
                   "it and will tell you how it goes.", now=now)  # fmt: skip


def victim_update_forwarded(*, disbursement: Disbursement) -> int:
    case = disbursement.term.agreement.case
    amount = money(disbursement.amount, case.program.currency)
    return _queue(case, f"forwarded:{disbursement.pk}", f"{amount} has been forwarded to you",
                  f"The program forwarded {amount} of the restitution agreed in case {case.number} on "
                  f"{disbursement.paid_on:%B %-d, %Y}.")  # fmt: skip


def victim_update_amended(*, agreement: Agreement) -> int:
    case = agreement.case
    return _queue(case, f"amended:{agreement.pk}", "The restitution plan was changed",
                  f"The agreement in case {case.number} was amended and signed again (version {agreement.number}). "
                  "Your mediator can tell you what changed.")  # fmt: skip


def victim_update_returned(*, case: Case, parties: list[Party]) -> int:
    count = len(parties)
    who = "One of the people responsible" if count == 1 else f"{count} of the people responsible"
    return _queue(case, f"returned:{'-'.join(str(p.pk) for p in parties)}",
                  "Part of the agreement was not kept: returned to the court or referral source",
                  f"{who} did not keep the agreement in case {case.number}, and the program returned their part "
                  "to the referral source. The rest of the agreement is still being followed.",
                  non_completion=True)  # fmt: skip


CLOSED = {
    Case.Outcome.COMPLETED: ("The agreement has been completed", "Every part of the agreement in case {number} has "
                             "been kept. Thank you for taking part."),
    Case.Outcome.RETURNED: ("The agreement was not completed", "The agreement in case {number} was not kept, and the "
                            "program returned the case to the court or referral source."),
    Case.Outcome.MIXED: ("The agreement was completed in part", "Some of the people responsible kept their part of "
                         "the agreement in case {number}; the others' parts were returned to the court or referral "
                         "source."),
}  # fmt: skip


def victim_update_closed(*, case: Case, actor=None) -> int:
    """At closure after follow-up (a closure listener): completion, return or both."""
    if case.outcome not in CLOSED or case.closed_at is None:
        return 0
    headline, details = CLOSED[case.outcome]
    held_note = ""
    held = case_ledger(case).held
    if held > 0:
        held_note = f" The program still holds {money(held, case.program.currency)} for you and will forward it."
    return _queue(case, f"closed:{case.pk}:{case.closed_at:%Y%m%d%H%M}", headline,
                  details.format(number=case.number) + held_note,
                  non_completion=case.outcome != Case.Outcome.COMPLETED)  # fmt: skip


@transaction.atomic
def victim_updates_stop(*, party: Party, request=None) -> bool:
    """Stop every update to this party at once (from the link in a message); pending ones are cancelled.
    Returns whether they were on."""
    was_on = Party.objects.filter(pk=party.pk, victim_updates=True).update(victim_updates=False) == 1
    notifications_cancel(key_prefix=f"victim:{party.pk}:")
    if was_on:
        timeline_add(case=party.case, kind=TimelineEvent.Kind.EDITED,
                     summary=f"{party.person} stopped progress updates (link in an email)")  # fmt: skip
        audit_record(request=request, action=AuditEvent.Action.CHANGE, what=f"party {party.pk} stopped updates",
                     case_id=party.case_id, username="victim (emailed link)")  # fmt: skip
    return was_on
