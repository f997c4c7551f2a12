"""Values derived from the database, kept in the cache (Redis in production, memory in the embedded
default) under keys that name what they were derived from: a key changes whenever its inputs do, so an
entry is never out of date, only unused (and left to expire)."""

import logging
from collections import OrderedDict
from collections.abc import Callable

from django.core.cache import cache

log = logging.getLogger(__name__)

DERIVED_TIMEOUT = 24 * 3600  # a day: keys change with their inputs; this only bounds what unused keys keep


LOCAL_KEPT = 64
_local: OrderedDict[str, object] = OrderedDict()


def derived(key: str, build: Callable, timeout: int = DERIVED_TIMEOUT):
    """The value cached under ``key``, else ``build()`` (cached for the next request).

    The latest ``LOCAL_KEPT`` values are also kept in this process, as read: a key names its inputs, so the copy
    is as current as the shared one, and a request spares the round trip and the unpickling (a large program's
    filter choices: about a millisecond). Callers treat values as read-only. When the cache cannot be reached
    the value is built (and the outage logged): the page stays up."""
    value = _local.get(key)
    if value is not None:
        return value
    try:
        value = cache.get(key)
    except Exception:
        log.warning("cache unreachable: %s built without it", key.split(":", 1)[0], exc_info=True)
        return build()
    if value is None:
        value = build()
        try:
            cache.set(key, value, timeout)
        except Exception:
            log.warning("cache unreachable: %s not kept", key.split(":", 1)[0], exc_info=True)
            return value
    if len(_local) >= LOCAL_KEPT:
        _local.popitem(last=False)
    _local[key] = value
    return value
