"""Formatting for the active language (``{% language %}`` or ``translation.override``): what parties read."""

from django import template

from vom.core import i18n

register = template.Library()


@register.filter
def lmoney(amount, currency: str) -> str:
    """``{{ amount|lmoney:currency }}``: $1,250.00 in English and in Spanish for the US."""
    return i18n.format_money(amount, currency)


@register.filter
def ldate(value, style: str = "long") -> str:
    """``{{ day|ldate }}`` March 4, 2026 / 4 de marzo de 2026; ``|ldate:"medium"``, ``|ldate:"full"``."""
    return i18n.format_day(value, style)


@register.filter
def lmoment(value) -> str:
    """``{{ when|lmoment }}``: Wednesday, March 4, 2026 at 2:05 PM, in the program's zone."""
    return i18n.format_moment(value)


@register.filter
def lnumber(value) -> str:
    return i18n.format_number(value)


@register.filter
def language_name(code: str) -> str:
    """A language's name in the active language: ``{{ "es"|language_name }}`` is "Spanish" / "español"."""
    return i18n.language_name(code)
