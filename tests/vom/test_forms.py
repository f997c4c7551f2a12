"""LongSelect writes the same <select> as Django's template-rendered one, faster."""

import re

from django import forms

from vom.core.forms import LongSelect

CHOICES = [("", "All mediators"), (1, "Grace <Okafor>"), (2, "Erik & Lindqvist"), ("Group", [(3, "Linh"), (4, "Kai")])]


def normalised(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


def test_long_select_writes_what_djangos_select_writes():
    for value in ["", 2, 3, None]:
        attrs = {"id": "id_mediator", "class": "wide", "required": True, "disabled": False}
        ours = LongSelect(choices=CHOICES).render("mediator", value, attrs=attrs)
        django = forms.Select(choices=CHOICES).render("mediator", value, attrs=attrs)
        assert normalised(ours) == normalised(django)
    assert "Grace &lt;Okafor&gt;" in ours and "Erik &amp; Lindqvist" in ours


def test_rendered_choices_write_what_djangos_select_writes():
    from vom.core.forms import RenderedChoices

    flat = [(1, "Grace <Okafor>"), (2, "Erik & Lindqvist"), (3, "Linh")]
    rendered = RenderedChoices(flat).preceded_by("", "All mediators")
    for value in ["", 2, 3, None, 99]:
        attrs = {"id": "id_mediator"}
        ours = LongSelect(choices=rendered).render("mediator", value, attrs=attrs)
        django = forms.Select(choices=[("", "All mediators"), *flat]).render("mediator", value, attrs=attrs)
        assert normalised(ours) == normalised(django)
