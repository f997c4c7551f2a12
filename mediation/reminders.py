"""Meeting reminders 48 hours and 2 hours ahead, to the mediators and to attendees who consented to email."""

from datetime import UTC, timedelta

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext

from cases.reminders import party_recipients
from vom.core.i18n import ENGLISH, format_moment, format_moment_short
from vom.notifications.calendar import CANCEL, REQUEST, meeting_uid
from vom.notifications.models import Notification
from vom.notifications.services import Outgoing, notifications_cancel, notifications_queue

from .models import Meeting
from .selectors import interpreter_line

OFFSETS = {"48h": timedelta(hours=48), "2h": timedelta(hours=2)}
HORIZON = timedelta(hours=49)
TEMPLATE = "meeting_reminder"
CHANGED, CANCELLED = "meeting_changed", "meeting_cancelled"
NOTIFICATION_TEMPLATES = {  # and, to the mediators, "interpreter": whom to expect
    name: {"case_number", "kind", "when", "place", "ics"} for name in (TEMPLATE, CHANGED, CANCELLED)
}


def meeting_key_prefix(meeting: Meeting) -> str:
    return f"meeting:{meeting.pk}:"


def meeting_context(meeting: Meeting, method: str = REQUEST, language: str = ENGLISH) -> dict:
    """What every message about a meeting says, written in ``language`` (the kind of meeting, the date, the
    calendar entry), with its calendar entry (one UID per meeting; the sequence rises with each change,
    since every change raises the meeting's version)."""
    with translation.override(language):
        kind = str(meeting.get_kind_display())
        return {
            "case_number": meeting.case.number,
            "kind": kind,
            "when": format_moment(meeting.scheduled_for),
            "when_short": format_moment_short(meeting.scheduled_for),  # for texts
            "place": meeting.location or gettext("Video call"),
            "video_link": meeting.video_link,
            "ics": {
                "uid": meeting_uid(meeting.pk),
                "sequence": meeting.version - 1,
                "method": method,
                "start": meeting.scheduled_for.astimezone(UTC).isoformat(),
                "minutes": meeting.duration_minutes,
                "summary": gettext("%(kind)s (case %(number)s)") % {"kind": kind, "number": meeting.case.number},
                "location": meeting.location or meeting.video_link,
            },
            "site": settings.SITE_URL,
        }


def _recipient_context(meeting: Meeting, contexts: dict, who: str, recipient: dict, method: str = REQUEST) -> dict:
    """The context for one recipient: in their language (made once per language), and for the mediators
    with the interpreter to expect."""
    language = recipient.get("language", ENGLISH)
    if language not in contexts:
        contexts[language] = meeting_context(meeting, method, language)
    context = contexts[language]
    if who.startswith("u"):
        context = context | {"interpreter": interpreter_line(meeting)}
    return context


def plan_meeting_reminders(*, now=None, meeting_ids=None) -> int:
    """Queue the reminders of every scheduled meeting in the next 49 hours; returns how many were new.

    Scheduling a meeting calls this for that meeting in the same transaction, so its reminders exist
    even if Redis is down; the beat run every 15 minutes catches everything else and adds nothing twice.
    """
    now = now or timezone.now()
    meetings = Meeting.objects.filter(status=Meeting.Status.SCHEDULED, scheduled_for__gt=now)
    if meeting_ids is None:
        meetings = meetings.filter(scheduled_for__lte=now + HORIZON)
    else:
        meetings = meetings.filter(pk__in=meeting_ids)
    meetings = meetings.select_related("case__lead_mediator", "case__co_mediator", "case__program").prefetch_related(
        "attendees__person"
    )
    items = []
    for meeting in meetings:
        contexts = {}
        recipients = [(f"u{u.pk}", {"user": u}) for u in (meeting.case.lead_mediator, meeting.case.co_mediator) if u]
        for party in meeting.attendees.all():
            # Parties only by the channels they consented to; their address never goes to anyone else.
            for recipient in party_recipients(party, meeting.case.program):
                recipients.append((recipient.pop("who"), recipient))
        ahead = meeting.scheduled_for - now
        for label, offset in OFFSETS.items():
            due = meeting.scheduled_for - offset
            nearer = [o for o in OFFSETS.values() if o < offset]
            if nearer and ahead <= max(nearer):
                continue  # too late for this one: the nearer reminder covers it
            for who, recipient in recipients:
                items.append(
                    Outgoing(
                        dedupe_key=f"{meeting_key_prefix(meeting)}{meeting.scheduled_for:%Y%m%d%H%M}:{label}:{who}",
                        template=TEMPLATE,
                        due_at=max(due, now),
                        context=_recipient_context(meeting, contexts, who, recipient),
                        case_id=meeting.case_id,
                        quiet_earlier=label == "2h",  # before a 9:00 meeting: the evening before
                        **recipient,
                    )
                )
    return notifications_queue(items)


def refresh_interpreter_in_reminders(meeting: Meeting) -> int:
    """The mediators' reminders still waiting say which interpreter to expect now (an interpreter booked after
    the reminders were planned)."""
    line = interpreter_line(meeting)
    pending = Notification.objects.filter(
        dedupe_key__startswith=meeting_key_prefix(meeting), status=Notification.Status.PENDING, user__isnull=False
    )
    changed = 0
    for notification in pending:
        Notification.objects.filter(pk=notification.pk, status=Notification.Status.PENDING).update(
            context=notification.context | {"interpreter": line}
        )
        changed += 1
    return changed


def cancel_meeting_reminders(meeting: Meeting) -> int:
    return notifications_cancel(key_prefix=meeting_key_prefix(meeting))


def queue_calendar_change(meeting: Meeting, *, now=None) -> int:
    """A meeting moved or cancelled: everyone whose calendar already holds its entry gets the change now.

    Rescheduled, they get the entry again with the same UID and a higher sequence (METHOD:REQUEST), so
    the old time disappears; cancelled, a METHOD:CANCEL for that UID removes it. Who holds the entry is
    read from the reminders already sent; a party is written to only while they still consent to email.
    """
    now = now or timezone.now()
    cancelled = meeting.status == Meeting.Status.CANCELLED
    if meeting.status not in {Meeting.Status.SCHEDULED, Meeting.Status.CANCELLED} or meeting.scheduled_for <= now:
        return 0  # held, missed or already past: the entry is history, not a plan to change
    sent = Notification.objects.filter(
        dedupe_key__startswith=meeting_key_prefix(meeting), status=Notification.Status.SENT
    ).select_related("user")
    program = meeting.case.program
    reach = {
        r.pop("who"): r
        for party in meeting.case.parties.select_related("person")
        for r in party_recipients(party, program)
    }
    method = CANCEL if cancelled else REQUEST
    contexts = {}
    items = {}
    for row in sent:
        who = row.dedupe_key.rpartition(":")[2]
        if row.user_id:
            recipient = {"user": row.user}
        elif who in reach:  # the same channel they were told by, while they still consent to it
            recipient = reach[who]
        else:
            continue
        context = _recipient_context(meeting, contexts, who, recipient, method)
        key = f"calendar:{meeting.pk}:{context['ics']['sequence']}:{context['ics']['method']}:{who}"
        items[key] = Outgoing(
            dedupe_key=key,
            template=CANCELLED if cancelled else CHANGED,
            due_at=now,
            context=context,
            case_id=meeting.case_id,
            **recipient,
        )
    return notifications_queue(list(items.values()))
