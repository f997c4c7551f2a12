from django import template
from django.template.defaultfilters import linebreaksbr
from django.utils.html import conditional_escape as esc
from django.utils.safestring import mark_safe

from vom.core.phones import shown

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
    return mark_safe("".join(map(_timeline_item, events)))  # noqa: S308  # nosec B308 B703 -- values escaped


@register.simple_tag
def access_rows(entries) -> str:
    """``<tr>`` per entry of the access log (``cases.selectors.AccessRow``)."""
    return mark_safe("".join(map(_access_row, entries)))  # noqa: S308  # nosec B308 B703 -- values escaped


@register.simple_tag
def note_items(notes) -> str:
    """``<li>`` per note (``cases.selectors.NoteRow``): author, time, whether confidential, the text's lines."""
    return mark_safe("".join(map(_note_item, notes)))  # noqa: S308  # nosec B308 B703 -- values escaped
