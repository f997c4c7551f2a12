from django import template
from django.template.defaultfilters import date as date_filter
from django.utils.html import conditional_escape as esc

from agreements.documents import money
from agreements.selectors import signer_role, text_in
from cases.templatetags.vom_tags import OVERDUE_ROW, ROW, joined
from vom.core.reversing import reverse_once

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


def _follow_up_row(row) -> str:
    # The markup the list's loop of tags wrote, in a tenth of the time (see cases' ``vom_tags.caseload_table_rows``).
    url = reverse_once("agreements:follow_up", args=(row["case_id"], row["pk"]))
    return (
        f'{OVERDUE_ROW if row["behind"] else ROW}<th scope="row"><a href="{esc(url)}">'
        f'{esc(row["number"])}</a></th><td><span class="compliance compliance--{esc(row["status"])}">'
        f"{esc(row['label'])}</span></td><td>{esc(date_filter(row['next_due'], 'M j, Y') or '—')}</td>"
        f"<td>{esc(row['outstanding'])}</td><td>{esc(row['lead'])}</td></tr>"
    )


@register.simple_tag
def follow_up_table_rows(rows) -> str:
    """``<tr>`` per row of the Follow-up list (``agreements.follow_up.follow_up_list_rows``)."""
    return joined(_follow_up_row, rows)
