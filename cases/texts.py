"""Replies to the program's text messages: STOP and HELP as carriers require, everything else to a person.

STOP (and STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT) withdraws consent to texts at once for every party with
that number, in every case; the number is recorded as opted out, so no text goes to it again until it
replies START; texts already queued for it are cancelled; one confirmation is sent. HELP is answered with
the program's name and phone. Any other reply is shown to the mediators of the cases with that number,
never answered automatically. Every reply is audited (without its words, which may be private).
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from vom.audit.models import AuditEvent
from vom.audit.services import audit_record
from vom.notifications.models import Notification, TextOptOut
from vom.notifications.services import Outgoing, notifications_queue

from .models import Case, Party, TimelineEvent
from .services import timeline_add
from .stages import Stage

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
START_WORDS = {"START", "UNSTOP"}
HELP_WORDS = {"HELP", "INFO"}
# Declared in the cases extension (CasesConfig.ready), beside the reminders' templates.
NOTIFICATION_TEMPLATES = {
    "text_stopped": {"program"},
    "text_started": {"program"},
    "text_help": {"program", "phone"},
    "text_reply": {"case_number", "party", "words", "url"},
}


def _text(key: str, template: str, number: str, context: dict, *, after_stop: bool = False) -> None:
    context = context | ({"after_stop": True} if after_stop else {})
    notifications_queue(
        [Outgoing(key, template, timezone.now(), context, phone=number, channel=Notification.Channel.SMS)]
    )


@transaction.atomic
def text_received(*, number: str, words: str, message_id: str) -> str:
    """Act on one reply from ``number`` (E.164); returns what it was taken as (stop, start, help, reply)."""
    keyword = words.strip().upper()
    parties = list(
        Party.objects.filter(phone=number).select_related(
            "case__program", "case__lead_mediator", "case__co_mediator", "person"
        )
    )
    program = parties[0].case.program if parties else None
    named = {"program": program.name if program else "VOM Case Manager"}
    if keyword in STOP_WORDS:
        kind = "stop"
        opt_out, created = TextOptOut.objects.get_or_create(
            number=number, defaults={"keyword": keyword, "at": timezone.now()}
        )
        Party.objects.filter(phone=number, texts_consented_at__isnull=False).update(
            texts_consented_at=None, texts_consent_recorded_by=None
        )
        Notification.objects.filter(
            channel=Notification.Channel.SMS, phone=number, status=Notification.Status.PENDING
        ).exclude(dedupe_key__startswith="text-stop:").update(
            status=Notification.Status.CANCELLED, last_error="The number replied STOP."
        )  # all but the one confirmation
        if created:
            _text(f"text-stop:{number}:{opt_out.pk}", "text_stopped", number, named, after_stop=True)
            for case_id in {p.case_id for p in parties}:
                timeline_add(case=Case(pk=case_id), kind=TimelineEvent.Kind.CONTACT, actor=None,
                             summary="A party replied STOP to a text: no more texts to that number")  # fmt: skip
    elif keyword in START_WORDS:
        kind = "start"
        if TextOptOut.objects.filter(number=number).delete()[0]:
            _text(f"text-start:{message_id}", "text_started", number, named)
    elif keyword in HELP_WORDS:
        kind = "help"
        _text(f"text-help:{message_id}", "text_help", number, named | {"phone": program.phone if program else ""})
    else:
        kind = "reply"
        items = []
        for party in parties:
            case = party.case
            if case.stage == Stage.CLOSED:
                continue
            context = {"case_number": case.number, "party": str(party.person), "words": words[:1000],
                       "url": f"{settings.SITE_URL}/cases/{case.pk}/"}  # fmt: skip
            for user in {u for u in (case.lead_mediator, case.co_mediator) if u}:
                items.append(Outgoing(f"text-reply:{message_id}:{party.pk}:u{user.pk}", "text_reply",
                                      timezone.now(), context, user=user, case_id=case.pk,
                                      channel=Notification.Channel.IN_APP))  # fmt: skip
        notifications_queue(items)
    for case_id in {p.case_id for p in parties} or {None}:
        audit_record(
            action=AuditEvent.Action.TEXT, what=f"text reply taken as {kind}", case_id=case_id, username="sms provider"
        )
    return kind
