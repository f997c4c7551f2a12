import pytest
from django.template import Context, Template, engines
from django.test import override_settings
from django.urls import NoReverseMatch, get_resolver, reverse, set_script_prefix

from vom.core.reversing import reverse_once


def _names_with_int_arguments():
    """Every named pattern of the app that takes only integer ids, with how many."""
    found = {}
    for name, entries in get_resolver().reverse_dict.lists():
        if isinstance(name, str):
            for possibility, _pattern, _defaults, converters in entries:
                for _result, params in possibility:
                    if params and all(type(converters.get(p)).__name__ == "IntConverter" for p in params):
                        found[name] = len(params)
    return found


def _namespaced():
    """Each namespaced URL name (``cases:detail``) taking integer ids, with how many."""
    names = {}
    for namespace, (_prefix, resolver) in get_resolver().namespace_dict.items():
        for name, entries in resolver.reverse_dict.lists():
            if not isinstance(name, str):
                continue
            for possibility, _pattern, _defaults, converters in entries:
                for _result, params in possibility:
                    if params and all(type(converters.get(p)).__name__ == "IntConverter" for p in params):
                        names[f"{namespace}:{name}"] = len(params)
    return names


def test_every_address_with_ids_is_what_reverse_writes():
    names = {**_names_with_int_arguments(), **_namespaced()}
    assert "cases:detail" in names and len(names) > 20
    for name, count in names.items():
        for ids in ([1] * count, list(range(7, 7 + count)), [10**12 + n for n in range(count)], [0] * count):
            assert reverse_once(name, args=ids) == reverse(name, args=ids), name
            assert reverse_once(name, args=ids) == reverse(name, args=ids), name  # from what was kept


def test_names_without_ids_keyword_ids_and_anything_else_as_reverse():
    assert reverse_once("cases:list") == reverse("cases:list")
    assert reverse_once("cases:detail", kwargs={"pk": 42}) == reverse("cases:detail", kwargs={"pk": 42})
    # Not an id: reverse() itself, refusals included.
    for args in (["42"], [-3], [True]):
        with pytest.raises(NoReverseMatch):
            reverse_once("cases:detail", args=args) if args != ["42"] else reverse_once("cases:list", args=args)
    assert reverse_once("cases:detail", args=["42"]) == reverse("cases:detail", args=["42"])
    with pytest.raises(NoReverseMatch):
        reverse_once("cases:no_such_page")
    with pytest.raises(NoReverseMatch):
        reverse_once("cases:detail", args=[1, 2])


def test_the_script_prefix_is_part_of_what_is_kept():
    plain = reverse_once("cases:detail", args=[5])
    set_script_prefix("/vom/")
    try:
        assert reverse_once("cases:detail", args=[5]) == "/vom" + plain == reverse("cases:detail", args=[5])
        assert reverse_once("cases:list") == reverse("cases:list")
    finally:
        set_script_prefix("/")
    assert reverse_once("cases:detail", args=[5]) == plain


def test_another_urlconf_is_reversed_afresh():
    plain = reverse_once("cases:detail", args=[3])
    with override_settings(ROOT_URLCONF="tests.vom.urls_moved"):
        assert reverse_once("cases:detail", args=[3]) == "/moved" + plain == reverse("cases:detail", args=[3])
    assert reverse_once("cases:detail", args=[3]) == plain


def test_the_url_tag_is_the_projects_with_djangos_syntax_and_errors():
    engine = engines["django"].engine
    rendered = Template(
        "{% url 'cases:detail' 7 %}|{% url 'cases:detail' pk=8 %}|{% url 'cases:list' as home %}{{ home }}|"
        "{% url 'cases:no_such_page' as missing %}[{{ missing }}]|{% url 'cases:move' 9 'assign' %}",
        engine=engine,
    ).render(Context({}))
    assert rendered == "|".join([
        reverse("cases:detail", args=[7]), reverse("cases:detail", args=[8]), reverse("cases:list"), "[]",
        reverse("cases:move", args=[9, "assign"]),
    ])  # fmt: skip
    with pytest.raises(NoReverseMatch):
        Template("{% url 'cases:no_such_page' %}", engine=engine).render(Context({}))
