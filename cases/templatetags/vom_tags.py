from django import template

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
