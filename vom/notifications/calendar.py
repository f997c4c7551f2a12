"""A minimal iCalendar (RFC 5545) event for meeting reminders."""

from datetime import datetime, timedelta


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _utc(value: str) -> str:
    return datetime.fromisoformat(value).strftime("%Y%m%dT%H%M%SZ")


def ics_for(event: dict, *, uid: str) -> str:
    """``event`` holds ISO start (UTC), minutes, summary and location (JSON-safe, as stored in the outbox)."""
    start = datetime.fromisoformat(event["start"])
    end = start + timedelta(minutes=int(event.get("minutes", 60)))
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//VOM Case Manager//EN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{_escape(uid)}@vom-case-manager",
        f"DTSTAMP:{_utc(event['start'])}",
        f"DTSTART:{start.strftime('%Y%m%dT%H%M%SZ')}",
        f"DTEND:{end.strftime('%Y%m%dT%H%M%SZ')}",
        f"SUMMARY:{_escape(event.get('summary', 'Meeting'))}",
        f"LOCATION:{_escape(event.get('location', ''))}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"
