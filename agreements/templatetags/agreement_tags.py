from django import template

from agreements.documents import money

register = template.Library()


@register.filter(name="money")
def money_filter(amount, currency: str) -> str:
    """``{{ amount|money:currency }}`` — e.g. $1,250.00."""
    return money(amount, currency)


@register.filter
def get_image(images: dict, key: str) -> str:
    return images.get(key, "")
