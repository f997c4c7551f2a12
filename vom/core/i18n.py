"""Languages parties speak, the languages the program writes documents in, and formatting for each.

Staff pages stay English. Everything a party reads (the agreement, emails and calendar entries to parties,
the survey pages) is rendered inside ``translation.override(language)`` with the party's document
language: their preferred language when the program offers documents in it, else English (with an
interpreter's attestation where one is needed). Money, dates and numbers are formatted by Babel for the
active language and the program's territory (``LOCALE_TERRITORY``), so "$1,250.00 due March 4, 2026"
becomes "$1,250.00 … 4 de marzo de 2026" in Spanish for a US program.
"""

from datetime import date, datetime
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_date
from babel.dates import format_skeleton, format_time
from babel.numbers import format_currency, format_decimal
from django.conf import settings
from django.utils import timezone, translation

ENGLISH = "en"
# What a party may speak (ISO 639 codes; "ase" is American Sign Language), in English for staff pages.
# The languages a program writes documents in are those of these that have a message catalogue
# (settings.LANGUAGES) and that the program lists in ``Program.document_languages``.
PARTY_LANGUAGES: list[tuple[str, str]] = [
    ("en", "English"),
    ("es", "Spanish"),
    ("so", "Somali"),
    ("vi", "Vietnamese"),
    ("hmn", "Hmong"),
    ("ar", "Arabic"),
    ("zh", "Chinese"),
    ("ht", "Haitian Creole"),
    ("fr", "French"),
    ("pt", "Portuguese"),
    ("ru", "Russian"),
    ("uk", "Ukrainian"),
    ("ko", "Korean"),
    ("tl", "Tagalog"),
    ("am", "Amharic"),
    ("om", "Oromo"),
    ("ne", "Nepali"),
    ("fa", "Persian (Farsi / Dari)"),
    ("ps", "Pashto"),
    ("sw", "Swahili"),
    ("kar", "Karen"),
    ("ase", "American Sign Language"),
    ("other", "Another language (see accessibility notes)"),
]
LANGUAGE_NAMES = dict(PARTY_LANGUAGES)


def catalogue_languages() -> list[str]:
    """The languages the app can write documents in: those with a complete message catalogue."""
    return [code for code, _name in settings.LANGUAGES]


def document_language(preferred: str, offered: list[str] | None) -> str:
    """The language a party reads what they are sent in: their own when the program offers it, else English."""
    offered = offered or [ENGLISH]
    return preferred if preferred in offered and preferred in catalogue_languages() else ENGLISH


def language_name(code: str, *, in_language: str | None = None) -> str:
    """A language's name in ``in_language`` (default: the active language), e.g. "español" / "Spanish"."""
    in_language = in_language or translation.get_language() or ENGLISH
    if in_language.startswith(ENGLISH) or code not in catalogue_languages():
        return LANGUAGE_NAMES.get(code, code)
    try:
        return Locale.parse(code).get_display_name(Locale.parse(_base(in_language)))
    except (UnknownLocaleError, ValueError):
        return LANGUAGE_NAMES.get(code, code)


def _base(language: str) -> str:
    return (language or ENGLISH).split("-")[0].split("_")[0]


def babel_locale(language: str | None = None) -> Locale:
    """The Babel locale for a language in the program's territory (``es`` in the US is ``es_US``)."""
    base = _base(language or translation.get_language() or ENGLISH)
    try:
        return Locale.parse(f"{base}_{settings.LOCALE_TERRITORY}")
    except (UnknownLocaleError, ValueError):
        return Locale.parse(base)


def format_money(amount: Decimal | None, currency: str, language: str | None = None) -> str:
    if amount is None:
        return ""
    return format_currency(amount, currency, locale=babel_locale(language))


def format_number(value, language: str | None = None) -> str:
    if value is None:
        return ""
    return format_decimal(value, locale=babel_locale(language))


def format_day(value: date | datetime | None, style: str = "long", language: str | None = None) -> str:
    """A date: ``long`` (March 4, 2026 / 4 de marzo de 2026), ``medium`` (Mar 4, 2026) or ``full`` (with the
    weekday). An aware datetime is first put in the program's zone."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return babel_date(value, style, locale=babel_locale(language))


def format_moment_short(value: datetime, language: str | None = None) -> str:
    """A date and time short enough for a text message: "Wed, Mar 4, 2:05 PM" / "mié, 4 mar, 14:05"."""
    value = timezone.localtime(value) if timezone.is_aware(value) else value
    locale = babel_locale(language)
    return f"{format_skeleton('MMMEd', value, locale=locale)}, {format_time(value.time(), 'short', locale=locale)}"


def format_moment(value: datetime | None, language: str | None = None) -> str:
    """A date and time in the program's zone, with the weekday: "Wednesday, March 4, 2026 at 2:05 PM"."""
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    locale = babel_locale(language)
    with translation.override(_base(language) if language else translation.get_language()):
        return translation.gettext("%(day)s at %(time)s") % {
            "day": babel_date(value.date(), "full", locale=locale),
            "time": format_time(value.time(), "short", locale=locale),
        }
