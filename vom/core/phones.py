"""Phone numbers: stored as E.164 (+15551230000), read in a region when typed without +country code,
shown in the region's usual way. The rules are Google's libphonenumber (the ``phonenumbers`` package)."""

from functools import lru_cache

import phonenumbers
from django.conf import settings


class InvalidPhone(ValueError):
    pass


def to_e164(raw: str, region: str = "") -> str:
    """``raw`` as E.164, or "" for nothing typed; ``InvalidPhone`` with a readable reason otherwise."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    region = (region or settings.PHONE_REGION).upper()
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"{raw!r} is not a phone number.") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(
            f"{raw!r} is not a valid phone number in {region}: give the full number, or start with + and the "
            "country code."
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def shown(e164: str, region: str = "") -> str:
    """A stored number as people write it: national format at home, international abroad."""
    if not e164.startswith("+"):
        return e164  # recorded before numbers were checked: shown as it was typed
    return _shown(e164, (region or settings.PHONE_REGION).upper())


@lru_cache(maxsize=4096)
def _shown(e164: str, region: str) -> str:
    """Remembered: parsing and formatting take about a millisecond, and a page shows a number many times."""
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return e164
    home = phonenumbers.region_code_for_number(number) == region
    style = phonenumbers.PhoneNumberFormat.NATIONAL if home else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)
