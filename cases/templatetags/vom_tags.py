from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """``{{ mapping|get_item:key }}``: a dict lookup with a variable key."""
    return mapping.get(key) if mapping else None


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
