"""Calendar entries (RFC 5545 with the iTIP methods of RFC 5546) attached to meeting emails.

One meeting is one calendar entry: every message about it carries the same UID, whichever reminder
(48 hours or 2 hours ahead) or update it rides on, so a calendar updates the entry instead of adding a
second one. ``sequence`` rises with every change to the meeting (a reschedule), and a cancelled meeting
is sent as METHOD:CANCEL with that UID, so the entry disappears. The library writes the text (escaping,
line folding at 75 octets, CRLF); times are in UTC.
"""

from datetime import datetime, timedelta
from email.utils import parseaddr

import icalendar
from django.conf import settings
from django.utils import timezone

REQUEST = "REQUEST"
CANCEL = "CANCEL"


def meeting_uid(meeting_pk: int) -> str:
    """The entry's identity: the meeting's, never the reminder's (both reminders update one entry)."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "vom-case-manager"
    return f"meeting-{meeting_pk}@{domain}"


def ics_for(
    event: dict,
    *,
    recipient_email: str = "",
    recipient_name: str = "",
    now: datetime | None = None,
    language: str = "en",
) -> str:
    """``event`` (JSON-safe, as stored in the outbox) holds uid, sequence, method, ISO start in UTC,
    minutes, summary and location. DTSTAMP is the moment of sending, not the meeting's start. The summary
    and place were written in the recipient's ``language`` when the reminder was planned, and say so."""
    method = event.get("method", REQUEST)
    start = datetime.fromisoformat(event["start"])
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//VOM Case Manager//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    entry = icalendar.Event()
    entry.add("uid", event["uid"])
    entry.add("sequence", int(event.get("sequence", 0)))
    entry.add("dtstamp", now or timezone.now())
    entry.add("dtstart", start)
    entry.add("dtend", start + timedelta(minutes=int(event.get("minutes", 60))))
    text = {} if language == "en" else {"LANGUAGE": language}
    entry.add("summary", event.get("summary", "Meeting"), parameters=text)
    if event.get("location"):
        entry.add("location", event["location"], parameters=text)
    entry.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    entry.add("organizer", f"mailto:{address}", parameters={"CN": name or "VOM program"})
    if recipient_email:
        parameters = {"ROLE": "REQ-PARTICIPANT", "RSVP": "FALSE"} | ({"CN": recipient_name} if recipient_name else {})
        entry.add("attendee", f"mailto:{recipient_email}", parameters=parameters)
    calendar.add_component(entry)
    return calendar.to_ical().decode()
