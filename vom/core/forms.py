import copy
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from django import forms
from django.template.loader import render_to_string
from django.utils.choices import BaseChoiceIterator
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

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
        if isinstance(self.choices, RenderedChoices):
            parts.extend((self.choices.options_html(chosen), "</select>"))
            return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703
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


class RenderedChoices(BaseChoiceIterator):
    """A field's choices with each ``<option>`` already written (as ``LongSelect`` writes it): a long list
    kept in the cache renders by joining strings. Set as a ``ChoiceField``'s choices (not normalised again)."""

    key: str | None = None  # what the choices follow from, when they are kept under a key (see ``keyed``)

    def __init__(self, choices, options: list[str] | None = None, key: str | None = None):
        self.key = key
        self.choices = [(value, label) for value, label in choices]
        self.options = options if options is not None else [LongSelect._option(v, lb, set()) for v, lb in self.choices]
        self.index = {("" if value is None else str(value)): i for i, (value, _label) in enumerate(self.choices)}

    def __iter__(self):
        return iter(self.choices)

    def __len__(self):
        return len(self.choices)

    def preceded_by(self, value, label) -> "RenderedChoices":
        """The same choices after a first one (such as "All mediators"); made once per instance (choices kept in
        the process serve many requests)."""
        made = self.__dict__.setdefault("_preceded", {})
        if (value, label) not in made:
            made[(value, label)] = self._preceded_by(value, label)
        return made[(value, label)]

    def __getstate__(self):
        return {name: value for name, value in self.__dict__.items() if name != "_preceded"}

    def _preceded_by(self, value, label) -> "RenderedChoices":
        return RenderedChoices(
            [(value, label), *self.choices],
            [LongSelect._option(value, label, set()), *self.options],
            key=f"{self.key}|{value}|{label}" if self.key else None,
        )

    def keyed(self, key: str) -> "RenderedChoices":
        """The same choices, saying they are what the cache keeps under ``key`` (whatever is written from them
        alone may be kept under it too)."""
        keyed = copy.copy(self)
        keyed.__dict__.pop("_preceded", None)
        keyed.key = key
        return keyed

    def options_html(self, chosen: set[str]) -> str:
        options = self.options
        picked = [self.index[value] for value in chosen if value in self.index]
        if picked:
            options = list(options)
            for i in picked:
                value, label = self.choices[i]
                options[i] = LongSelect._option(value, label, chosen)
        return "".join(options)


class Fragments:
    """HTML kept in this process under keys that name everything it was written from (so an entry is never out of
    date, only unused): the latest ``kept`` of them. An entry may hold a ``slot`` (default: its key): a newer key
    for the same slot replaces it, so what was written from superseded records is dropped when it is superseded
    by use rather than when it is pushed out."""

    def __init__(self, kept: int = 256):
        self.kept = kept
        self.html: OrderedDict[Hashable, tuple[Hashable, Any]] = OrderedDict()

    def get(self, key: Hashable, write: Callable[[], Any], *, slot: Hashable = None) -> Any:
        slot = key if slot is None else slot
        found = self.html.get(slot)
        if found is not None and found[0] == key:
            self.html.move_to_end(slot)
            return found[1]
        html = write()
        if found is None and len(self.html) >= self.kept:
            self.html.popitem(last=False)
        self.html[slot] = (key, html)
        self.html.move_to_end(slot)
        return html


class KeptFieldsMixin:
    """A form whose ``KEPT_FIELDS`` are written once per process and language while it is unbound: their HTML then
    follows from the form's class alone (no initial value that changes, no choices read per request). ``{{
    form.fields_html }}`` writes every field as includes/fields.html does; the others (a one-time token) each time.
    """

    KEPT_FIELDS: tuple[str, ...] = ()
    FRAGMENTS = Fragments()

    def fields_html(self) -> str:
        parts = []
        for field in self:

            def write(field=field):
                return render_to_string("includes/field.html", {"field": field})

            if self.is_bound or field.name not in self.KEPT_FIELDS:
                parts.append(write())
            else:
                key = (type(self).__module__, type(self).__qualname__, field.name, self.prefix, self.auto_id,
                       get_language())  # fmt: skip
                parts.append(self.FRAGMENTS.get(key, write))
        return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703 -- each part is a rendered template
