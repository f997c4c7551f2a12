"""``reverse()`` once per process for each URL name and shape of arguments.

A page's links are the same on every request but for the ids in them, yet Django resolves each ``{% url %}``
tag and ``reverse()`` call from the pattern again (some 40 µs each; the case page makes about fifty). The
address of a name with no arguments is kept as it is; one with non-negative integer ids (``<int:pk>``, the app's
only converter in links) is reversed once with marker ids and kept as the pieces around them, so a later call
joins strings. Anything else (text arguments, names that do not reverse) goes to ``reverse()`` each time.

The key holds what ``reverse()`` reads besides its arguments: the URLconf (``settings.ROOT_URLCONF`` or the
request's), the script prefix and the current application (namespaced instances such as the admin's). The
project defines no ``i18n_patterns``: addresses do not depend on the language.
"""

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

MARKER = 7_319_604_285_000  # ids far above any real one, each written as digits only once in an address

_kept: dict = {}


def _pieces(viewname: str, shape: tuple, current_app) -> tuple[str, ...] | None:
    """The address split around each id, or ``None`` when the markers do not come back verbatim."""
    positional, names = shape
    markers = [MARKER + n for n in range(positional + len(names))]
    try:
        url = reverse(
            viewname,
            args=markers[:positional],
            kwargs=dict(zip(names, markers[positional:], strict=True)),
            current_app=current_app,
        )
    except NoReverseMatch:  # a pattern narrower than any id (none today)
        return None
    pieces, rest = [], url
    for marker in markers:
        before, found, rest = rest.partition(str(marker))
        if not found or str(marker) in rest:
            return None
        pieces.append(before)
    return (*pieces, rest)


def reverse_once(viewname: str, args=(), kwargs=None, current_app=None) -> str:
    """``reverse(viewname, args=args, kwargs=kwargs, current_app=current_app)``, from what the first call kept."""
    kwargs = kwargs or {}
    values = [*args, *kwargs.values()]
    if not isinstance(viewname, str) or not all(type(v) is int and v >= 0 for v in values):
        return reverse(viewname, args=args, kwargs=kwargs, current_app=current_app)
    shape = (len(args), tuple(kwargs))
    key = (get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), current_app, viewname, shape)
    pieces = _kept.get(key)
    if pieces is None:
        pieces = _pieces(viewname, shape, current_app) if values else (reverse(viewname, current_app=current_app),)
        if pieces is None:  # a pattern that changes or narrows its ids (none today): reversed each time
            return reverse(viewname, args=args, kwargs=kwargs, current_app=current_app)
        _kept[key] = pieces
    if not values:
        return pieces[0]
    parts = [pieces[0]]
    for value, piece in zip(values, pieces[1:], strict=True):
        parts.extend((str(value), piece))
    return "".join(parts)


@receiver(setting_changed)
def _forget(*, setting, **kwargs):
    """A test that swaps the URLconf module's patterns under the same name starts afresh, as Django's caches do."""
    if setting == "ROOT_URLCONF":
        _kept.clear()
