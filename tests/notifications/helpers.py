"""What the planner tests share: the program's time zone, a first due date, and a party that can be emailed."""

import datetime
from zoneinfo import ZoneInfo

CHICAGO = ZoneInfo("America/Chicago")
START = datetime.date(2027, 1, 1)


def at(day: datetime.date, hour: int) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=CHICAGO)


def emailable(party, address):
    party.consent_to_contact, party.contact_method, party.email = True, "email", address
    party.save()
