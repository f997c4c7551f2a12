from django import forms
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe

from vom.core.errors import DomainError


def add_domain_error(form, error: DomainError) -> None:
    """Show a refused action on the form: its message, then each thing that is missing or wrong, at its
    field when the service named one the form has."""
    form.add_error(None, error.message)
    for problem in error.problems:
        field = getattr(problem, "field", None)
        form.add_error(field if field in form.fields else None, str(problem))


def _attributes(attrs: dict) -> str:
    """HTML attributes as django/forms/widgets/attrs.html writes them (True: bare name; False: left out)."""
    return format_html_join(
        "", " {}{}", ((name, "" if value is True else format_html('="{}"', value)) for name, value in attrs.items()
                      if value is not False and value is not None)
    )  # fmt: skip


class LongSelect(forms.Select):
    """A <select> written in Python rather than one template include per <option>.

    Django renders every option through its own template, about 0.1 ms each; the caseload filter offers
    every mediator of a program (hundreds in a large one), which made rendering the filter the costliest
    part of the caseload page. Same HTML, same attributes, same selected option.
    """

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        parts = [format_html('<select name="{}"{}>', name, _attributes(self.build_attrs(self.attrs, attrs)))]
        for group_value, group_label in self.choices:
            if isinstance(group_label, list | tuple):
                parts.append(format_html('<optgroup label="{}">', group_value))
                parts.extend(self._option(v, label, chosen) for v, label in group_label)
                parts.append("</optgroup>")
            else:
                parts.append(self._option(group_value, group_label, chosen))
        parts.append("</select>")
        # Safe to mark: every value and label was escaped on the way in.
        return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703

    @staticmethod
    def _option(value, label, chosen: set[str]) -> str:
        value = "" if value is None else str(value)
        selected = " selected" if value in chosen else ""
        return f'<option value="{escape(value)}"{selected}>{escape(label)}</option>'
