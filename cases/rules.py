"""Small pure rules about case facts, shared by forms, services and selectors."""

from datetime import date

ADULT_AGE = 18


def age_on(date_of_birth: date, on: date) -> int:
    return on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))


def age_reference_date(incident_date: date | None, referral_date: date | None) -> date | None:
    """The day a party's age is taken on (juvenile or adult, age bands): the incident date, which decides
    juvenile jurisdiction, or the referral date while the incident date is unknown."""
    return incident_date or referral_date


def is_juvenile(date_of_birth: date | None, incident_date: date | None) -> bool:
    """Under 18 on the incident date (the date of the offense decides juvenile jurisdiction)."""
    if date_of_birth is None or incident_date is None:
        return False
    return age_on(date_of_birth, incident_date) < ADULT_AGE
