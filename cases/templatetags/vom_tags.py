from django import template
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import linebreaksbr
from django.utils.html import conditional_escape as esc
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime

from cases.models import VICTIM_SIDE
from vom.core.phones import shown
from vom.core.reversing import reverse_once

register = template.Library()


@register.filter
def get_item(mapping, key):
    """``{{ mapping|get_item:key }}``: a dict lookup with a variable key."""
    return mapping.get(key) if mapping else None


@register.filter
def phone(number: str) -> str:
    """A stored number (E.164) as people write it: (612) 555-0101 at home, +252 61 512 3456 abroad."""
    return shown(number or "")


@register.filter
def minutes_as_hours(minutes) -> str:
    minutes = int(minutes or 0)
    return f"{minutes // 60} h {minutes % 60:02d} min"


@register.filter
def attr_display(obj, name: str):
    """A model field's value as shown to people (choice labels, related objects' names)."""
    display = getattr(obj, f"get_{name}_display", None)
    if callable(display):
        return display()
    value = getattr(obj, name, "")
    return "" if value is None else value


@register.filter
def field_error_links(form) -> list[tuple[str, str, str]]:
    """(anchor id, label, error) for each error of a visible field: the error summary links each to its field
    (a choice list to its first option, as the GOV.UK summary does)."""
    return [
        (field.id_for_label or field.auto_id, field.label, error)
        for field in form.visible_fields()
        for error in field.errors
    ]


def joined(write, items) -> str:
    """``write(item)`` for each of ``items``, joined into HTML: each ``write`` escapes every value it writes in."""
    return mark_safe("".join(map(write, items)))  # noqa: S308  # nosec B308 B703 -- values escaped by ``write``


# The case page's journal, one line of HTML per row written here rather than by a loop of tags: the same markup
# the loops wrote (every value escaped as ``{{ }}`` escapes it), for up to 100 timeline events, 30 accesses and
# every note, whose loops were the largest part of the page's rendering.

MUTED_ACTOR = ' <span class="muted">— {}</span>'
CONFIDENTIAL_NOTE, CONFIDENTIAL_MARK = ' class="note--confidential"', " · <strong>Confidential</strong>"


def _timeline_item(e) -> str:
    actor = MUTED_ACTOR.format(esc(e.actor)) if e.actor else ""
    return f'<li><time datetime="{esc(e.iso)}">{esc(e.when)}</time> {esc(e.summary)}{actor}</li>'


def _access_row(e) -> str:
    return (
        f"<tr><td>{esc(e.when)}</td><td>{esc(e.username or '—')}</td>"
        f"<td>{esc(e.get_action_display())} {esc(e.what)}</td><td>{esc(e.ip_address or '—')}</td></tr>"
    )


def _note_item(n) -> str:
    css, mark = (CONFIDENTIAL_NOTE, CONFIDENTIAL_MARK) if n.confidential else ("", "")
    return (
        f'<li{css}><p class="meta">{esc(n.author)} · {esc(n.when)}{mark}</p>'
        f"<p>{linebreaksbr(n.body, autoescape=True)}</p></li>"
    )


@register.simple_tag
def timeline_items(events) -> str:
    """``<li>`` per event (``cases.selectors.TimelineRow``): when, what, and who when someone did it."""
    return joined(_timeline_item, events)


@register.simple_tag
def access_rows(entries) -> str:
    """``<tr>`` per entry of the access log (``cases.selectors.AccessRow``)."""
    return joined(_access_row, entries)


@register.simple_tag
def note_items(notes) -> str:
    """``<li>`` per note (``cases.selectors.NoteRow``): author, time, whether confidential, the text's lines."""
    return joined(_note_item, notes)


# The lists' rows, written here for the same reason: a loop of tags over fifty rows took about 2 ms, more than
# the rest of the caseload's page; these write the same markup in about a tenth of that.

OVERDUE_ROW, ROW = '<tr class="row--overdue">', "<tr>"
OVERDUE_BADGE, TODAY_BADGE, INDIRECT_BADGE = (
    ' <span class="badge badge--overdue">Overdue</span>', ' <span class="badge">Today</span>',
    ' <span class="badge">Indirect</span>',
)  # fmt: skip
NO_ACTION = '<span class="muted">—</span>'


def _stage(row) -> str:
    return f'<span class="stage stage--{esc(row["stage"])}">{esc(row["stage_label"])}</span>'


def _caseload_row(row) -> str:
    badges = (OVERDUE_BADGE if row["overdue"] else "") + (INDIRECT_BADGE if row["indirect"] else "")
    return (
        f'{OVERDUE_ROW if row["overdue"] else ROW}<th scope="row" class="case-number"><a href="{esc(row["url"])}">'
        f"{esc(row['number'])}</a></th><td>{_stage(row)}{badges}</td><td>{esc(row['offense'])}</td>"
        f'<td class="party-lines">{esc(row["parties"])}</td><td>{esc(row["referred"])}</td>'
        f"<td>{esc(row['source'])}</td><td>{esc(row['mediators'])}</td></tr>"
    )


def _action(action) -> str:
    if not action:
        return NO_ACTION
    if action.url:
        return f'<a href="{esc(action.url)}">{esc(action.label)}</a>'
    return esc(action.label)


def _my_case_row(row) -> str:
    due = ""
    if row["due"]:
        due = esc(row["due_text"]) + (OVERDUE_BADGE if row["overdue"] else TODAY_BADGE if row["due_today"] else "")
    return (
        f'{OVERDUE_ROW if row["overdue"] else ROW}<th scope="row"><a href="{esc(row["url"])}">{esc(row["number"])}'
        f"</a></th><td>{_stage(row)}{INDIRECT_BADGE if row['indirect'] else ''}</td><td>{_action(row['action'])}"
        f'</td><td>{due}</td><td class="party-lines">{esc(row["parties"])}</td></tr>'
    )


@register.simple_tag
def caseload_table_rows(rows) -> str:
    """``<tr>`` per row of the caseload list (``cases.selectors.caseload_rows``)."""
    return joined(_caseload_row, rows)


@register.simple_tag
def my_cases_table_rows(rows) -> str:
    """``<tr>`` per open case on the mediator's home (``cases.selectors.my_cases_rows``)."""
    return joined(_my_case_row, rows)


# The case page's parties, written here too: a loop with an include per party, about a fifth of the page's
# rendering. The same markup as the loop wrote but for the runs of white space between tags (one here).

CONFIDENTIAL_CONTACT = '<div class="muted">Contact details are confidential.</div>'


def _contact(party) -> str:
    method = str(party.get_contact_method_display()).lower() if party.contact_method else ""
    if party.consent_to_contact:
        spans = [f"<span>Consents to be contacted{f' by {esc(method)}' if method else ''}</span>"]
    else:
        spans = [f'<span class="muted">No consent to contact recorded{f" (prefers {esc(method)})" if method else ""}'
                 "</span>"]  # fmt: skip
    if party.email:
        spans.append(f"<span>{esc(party.email)}</span>")
    if party.phone:
        spans.append(f"<span>{esc(shown(party.phone))}</span>")
    if getattr(party, "texts_stopped", False):
        spans.append("<span><strong>Replied STOP</strong>: no texts</span>")
    elif party.texts_consented_at:
        spans.append(f"<span>Texts since {esc(date_filter(template_localtime(party.texts_consented_at), 'M j, Y'))}"
                     "</span>")  # fmt: skip
    if party.address:
        spans.append(f"<span>{linebreaksbr(party.address, autoescape=True)}</span>")
    return '<div class="contact">\n' + "\n".join(spans) + "\n</div>"


@register.simple_tag
def party_contact(party) -> str:
    """A party's consent to contact, email, phone, texts and address: only where the user may see them."""
    return joined(_contact, [party])


def _party_item(case, party, perms: dict, earlier: dict) -> str:
    person = esc(party.person)
    head = f"<strong>{person}</strong> — {esc(party.get_role_display())}"
    if party.related_party:
        head += f' <span class="muted">for {esc(party.related_party.person)}</span>'
    lines = [head]
    if party.person.date_of_birth:
        lines.append(f'<span class="muted">· born {esc(date_filter(party.person.date_of_birth, "M j, Y"))}</span>')
    needs = esc(party.get_preferred_language_display())
    if party.interpreter_needed:
        needs += ", <strong>interpreter needed</strong>"
    if party.accessibility_needs:
        needs += f" · {esc(party.accessibility_needs)}"
    lines.append(f'<div class="muted">{needs}</div>')
    shown_contact = party.role not in VICTIM_SIDE or perms.get("view_victim_contact")
    lines.append(_contact(party) if shown_contact else CONFIDENTIAL_CONTACT)
    if others := earlier.get(party.person_id):
        links = ", ".join(
            f'<a href="{esc(reverse_once("cases:detail", args=(other.case_id,)))}">{esc(other.case_number)}</a> '
            f"({esc(str(other.get_role_display()).lower())})"
            for other in others
        )
        lines.append(f'<div class="earlier">Also in: {links}</div>')
    if perms.get("edit_party"):
        url = reverse_once("cases:party_edit", args=(case.pk, party.pk))
        lines.append(f'<a class="small" href="{esc(url)}">Edit details<span class="visually-hidden"> of {person}'
                     "</span></a>")  # fmt: skip
    return "<li>\n" + "\n".join(lines) + "\n</li>"


@register.simple_tag
def party_items(case, parties, perms, earlier_by_person) -> str:
    """``<li>`` per party of the case page (``cases.selectors.parties_for_case_page``), contact details only where
    ``perms`` allow; "No parties recorded." when there are none."""
    if not parties:
        return joined(str, ["<li>No parties recorded.</li>"])
    return joined(lambda party: _party_item(case, party, perms, earlier_by_person or {}), parties)
