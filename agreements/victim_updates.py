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
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Party, Person, TimelineEvent
from cases.services import timeline_add
from vom.audit.models import AuditEvent
from vom.audit.services import audit_record
from vom.core.i18n import document_language, format_day
from vom.notifications.services import Outgoing, notifications_cancel, notifications_queue

from .documents import money
from .ledger import case_ledger
from .models import Agreement, Disbursement, Term

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


def updates(case: Case, parties: list[Party], event: str, write, *, non_completion: bool = False,
            now=None) -> list[Outgoing]:  # fmt: skip
    """One update per recipient among ``parties`` (the case's victim side), keyed by ``event`` so it goes once.
    ``write()`` gives (headline, details) in the active language: each recipient reads their own."""
    items = []
    for party in recipients(parties, non_completion=non_completion):
        language = document_language(party.preferred_language, case.program.document_languages)
        with translation.override(language):
            headline, details = (str(text) for text in write())
        stop_url = settings.SITE_URL + reverse("agreements:updates_stop", args=[stop_token(party)])
        context = {"case_number": case.number, "program": case.program.name, "headline": str(headline),
                   "details": str(details), "stop_url": stop_url, "contact": _contact(case.program)}  # fmt: skip
        items.append(Outgoing(update_key(party, event), "victim_update", now or timezone.now(), context,
                              email=party.email, name=str(party.person), case_id=case.pk,
                              language=language))  # fmt: skip
    return items


def update_key(party: Party, event: str) -> str:
    return f"victim:{party.pk}:{event}"


def missed_update_keys(parties: list[Party], *, key: str) -> list[str]:
    """The dedupe keys ``missed_updates`` queues a missed item's updates under (one per victim told)."""
    return [update_key(party, f"missed:{key}") for party in recipients(parties)]


def _queue(case: Case, event: str, write, *, non_completion: bool = False) -> int:
    parties = victim_side([case.pk])[case.pk]
    return notifications_queue(updates(case, parties, event, write, non_completion=non_completion))


def missed_item(what, currency: str) -> str:
    """A missed item as people read it in the active language: (installment number, open amount) or a term's
    kind."""
    if isinstance(what, tuple):
        number, amount = what
        return gettext("Installment %(number)s of %(amount)s") % {"number": number, "amount": money(amount, currency)}
    return str(Term.Kind(what).label)


def missed_updates(case: Case, parties: list[Party], *, key: str, item, due_on, now=None) -> list[Outgoing]:
    """A missed payment or other item, now being followed up (``key`` names the item, so once per item;
    ``item`` as ``reminders.missed_item`` reads it)."""

    def write():
        return _("A part of the agreement was missed and is being followed up"), _(
            "%(item)s, due on %(due)s, was not received on time. The program is in contact about it and will tell "
            "you how it goes."
        ) % {"item": missed_item(item, case.program.currency), "due": format_day(due_on)}

    return updates(case, parties, f"missed:{key}", write, now=now)


def victim_update_forwarded(*, disbursement: Disbursement) -> int:
    case = disbursement.term.agreement.case

    def write():
        amount = money(disbursement.amount, case.program.currency)
        return _("%(amount)s has been forwarded to you") % {"amount": amount}, _(
            "The program forwarded %(amount)s of the restitution agreed in case %(number)s on %(day)s."
        ) % {"amount": amount, "number": case.number, "day": format_day(disbursement.paid_on)}

    return _queue(case, f"forwarded:{disbursement.pk}", write)


def victim_update_amended(*, agreement: Agreement) -> int:
    case = agreement.case

    def write():
        return _("The restitution plan was changed"), _(
            "The agreement in case %(number)s was amended and signed again (version %(version)s). Your mediator "
            "can tell you what changed."
        ) % {"number": case.number, "version": agreement.number}

    return _queue(case, f"amended:{agreement.pk}", write)


def victim_update_returned(*, case: Case, parties: list[Party]) -> int:
    count = len(parties)

    def write():
        who = (
            _("One of the people responsible")
            if count == 1
            else _("%(count)s of the people responsible") % {"count": count}
        )
        return _("Part of the agreement was not kept: returned to the court or referral source"), _(
            "%(who)s did not keep the agreement in case %(number)s, and the program returned their part to the "
            "referral source. The rest of the agreement is still being followed."
        ) % {"who": who, "number": case.number}

    return _queue(case, f"returned:{'-'.join(str(p.pk) for p in parties)}", write, non_completion=True)


CLOSED = {
    Case.Outcome.COMPLETED: (_("The agreement has been completed"), _("Every part of the agreement in case "
                             "%(number)s has been kept. Thank you for taking part.")),
    Case.Outcome.RETURNED: (_("The agreement was not completed"), _("The agreement in case %(number)s was not kept, "
                            "and the program returned the case to the court or referral source.")),
    Case.Outcome.MIXED: (_("The agreement was completed in part"), _("Some of the people responsible kept their "
                         "part of the agreement in case %(number)s; the others' parts were returned to the court or "
                         "referral source.")),
}  # fmt: skip


def victim_update_closed(*, case: Case, actor=None) -> int:
    """At closure after follow-up (a closure listener): completion, return or both."""
    if case.outcome not in CLOSED or case.closed_at is None:
        return 0
    headline, details = CLOSED[case.outcome]
    held = case_ledger(case).held

    def write():
        text = str(details) % {"number": case.number}
        if held > 0:
            text += " " + _("The program still holds %(amount)s for you and will forward it.") % {
                "amount": money(held, case.program.currency)
            }
        return headline, text

    return _queue(case, f"closed:{case.pk}:{case.closed_at:%Y%m%d%H%M}", write,
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
