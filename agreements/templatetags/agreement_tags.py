from django import template

from agreements.documents import money
from agreements.selectors import signer_role, text_in

register = template.Library()


@register.filter(name="money")
def money_filter(amount, currency: str) -> str:
    """``{{ amount|money:currency }}`` — e.g. $1,250.00, formatted for the active language."""
    return money(amount, currency)


@register.filter
def get_image(images: dict, key: str) -> str:
    return images.get(key, "")


@register.filter(name="text_in")
def text_in_filter(obj, language: str) -> str:
    """``{{ term|text_in:lang }}``: a term's description as written for that language."""
    return text_in(obj, language)


@register.filter
def reason_in(agreement, language: str) -> str:
    return text_in(agreement, language, "amendment_reason")


@register.filter(name="signer_role")
def signer_role_filter(signer) -> str:
    return signer_role(signer)
