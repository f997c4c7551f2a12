from django import template
from django.template.defaultfilters import date as date_filter
from django.utils.html import conditional_escape as esc
from django.utils.timezone import template_localtime

from cases.templatetags.vom_tags import joined
from vom.core.reversing import reverse_once

register = template.Library()

MEETING_WHEN = "D M j, Y H:i"


def _meeting_row(case_pk: int, m, warnings: dict) -> str:
    # The case page's meeting rows, written here as the journal's are (``cases.templatetags.vom_tags``): an include
    # per meeting cost more than the rest of the meetings panel.
    url = reverse_once("mediation:meeting", args=(case_pk, m.pk))
    head = [f'<a href="{esc(url)}">{esc(m.get_kind_display())}</a>']
    head += [f'<br><strong class="warning">{esc(warning)}</strong>' for warning in warnings.get(m.pk, ())]
    if m.interpreter and m.status == "scheduled":
        language = f" ({esc(m.get_interpreter_language_display())})" if m.interpreter_language else ""
        head.append(f'<br><span class="muted">Interpreter: {esc(m.interpreter)}{language}</span>')
    when = esc(date_filter(template_localtime(m.scheduled_for), MEETING_WHEN)) if m.scheduled_for else "—"
    where = esc(m.location or "") + (" (video)" if m.video_link else "")
    status = f'<span class="status status--{esc(m.status)}">{esc(m.get_status_display())}</span>'
    if m.outcome:
        status += f": {esc(str(m.get_outcome_display()).lower())}"
    if m.reason:
        status += f' <span class="muted">— {esc(m.reason)}</span>'
    return f'<tr><th scope="row">{"".join(head)}</th><td>{when}</td><td>{where}</td><td>{status}</td></tr>'


@register.simple_tag
def meeting_rows(case, meetings, warnings) -> str:
    """``<tr>`` per meeting of the case page's meetings panel, with the interpreter warnings (``{pk: [text]}``)."""
    return joined(lambda m: _meeting_row(case.pk, m, warnings or {}), meetings)


def _screening_row(case, row, may_screen: bool) -> str:
    party, latest = row.party, row.latest
    person = esc(party.person)
    juvenile = ", juvenile" if row.juvenile else ""
    head = f'{person} <span class="muted">({esc(str(party.get_role_display()).lower())}{juvenile})</span>'
    if latest:
        screened = f'<span class="status status--{esc(latest.outcome)}">{esc(latest.get_outcome_display())}</span> '
        screened += esc(date_filter(latest.screened_on, "M j"))
    else:
        screened = '<span class="muted">Not screened</span>'
    reason = esc(latest.reason or "") if latest else ""
    action = ""
    if may_screen and row.required:
        url = reverse_once("mediation:screening", args=(case.pk, party.pk))
        label = "Re-screen" if latest else "Contact and screen"
        action = f'<a href="{esc(url)}">{label}<span class="visually-hidden"> {person}</span></a>'
    return f'<tr><th scope="row">{head}</th><td>{screened}</td><td>{reason}</td><td>{action}</td></tr>'


@register.simple_tag
def screening_rows(case, rows, perms) -> str:
    """``<tr>`` per party of the case page's screening panel (``mediation.selectors.screening_overview``)."""
    if not rows:
        return joined(str, ['<tr><td colspan="4">No party needs screening.</td></tr>'])
    may_screen = bool(perms.get("work")) and case.is_open
    return joined(lambda row: _screening_row(case, row, may_screen), rows)
