"""Meeting reminders 48 hours and 2 hours ahead, to the mediators and to attendees who consented to email."""

from datetime import UTC, timedelta

from django.conf import settings
from django.utils import timezone

from vom.notifications.calendar import CANCEL, REQUEST, meeting_uid
from vom.notifications.models import Notification
from vom.notifications.services import Outgoing, notifications_cancel, notifications_queue

from .models import Meeting

OFFSETS = {"48h": timedelta(hours=48), "2h": timedelta(hours=2)}
HORIZON = timedelta(hours=49)
TEMPLATE = "meeting_reminder"
CHANGED, CANCELLED = "meeting_changed", "meeting_cancelled"
NOTIFICATION_TEMPLATES = {
    name: {"case_number", "kind", "when", "place", "ics"} for name in (TEMPLATE, CHANGED, CANCELLED)
}


def meeting_key_prefix(meeting: Meeting) -> str:
    return f"meeting:{meeting.pk}:"


def meeting_context(meeting: Meeting, method: str = REQUEST) -> dict:
    """What every message about a meeting says, with its calendar entry (one UID per meeting; the
    sequence rises with each change, since every change raises the meeting's version)."""
    when = timezone.localtime(meeting.scheduled_for)
    return {
        "case_number": meeting.case.number,
        "kind": meeting.get_kind_display(),
        "when": f"{when:%A %B %-d, %Y at %H:%M}",
        "place": meeting.location or "Video call",
        "video_link": meeting.video_link,
        "ics": {
            "uid": meeting_uid(meeting.pk),
            "sequence": meeting.version - 1,
            "method": method,
            "start": meeting.scheduled_for.astimezone(UTC).isoformat(),
            "minutes": meeting.duration_minutes,
            "summary": f"{meeting.get_kind_display()} (case {meeting.case.number})",
            "location": meeting.location or meeting.video_link,
        },
        "site": settings.SITE_URL,
    }


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
    meetings = meetings.select_related("case__lead_mediator", "case__co_mediator").prefetch_related("attendees__person")
    items = []
    for meeting in meetings:
        context = meeting_context(meeting)
        recipients = [(f"u{u.pk}", {"user": u}) for u in (meeting.case.lead_mediator, meeting.case.co_mediator) if u]
        for party in meeting.attendees.all():
            # Parties only by email they consented to; their address never goes to anyone else.
            if party.may_email:
                recipients.append((f"p{party.pk}", {"email": party.email, "name": str(party.person)}))
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
                        context=context,
                        case_id=meeting.case_id,
                        **recipient,
                    )
                )
    return notifications_queue(items)


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
    parties = {f"p{party.pk}": party for party in meeting.case.parties.select_related("person")}
    context = meeting_context(meeting, CANCEL if cancelled else REQUEST)
    items = {}
    for row in sent:
        who = row.dedupe_key.rpartition(":")[2]
        if row.user_id:
            recipient = {"user": row.user}
        elif (party := parties.get(who)) and party.may_email:
            recipient = {"email": party.email, "name": str(party.person)}
        else:
            continue
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
