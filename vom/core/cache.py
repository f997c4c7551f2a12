"""Values derived from the database, kept in the cache (Redis in production, memory in the embedded
default) under keys that name what they were derived from: a key changes whenever its inputs do, so an
entry is never out of date, only unused (and left to expire)."""

import logging
from collections.abc import Callable

from django.core.cache import cache

log = logging.getLogger(__name__)

DERIVED_TIMEOUT = 24 * 3600  # a day: keys change with their inputs; this only bounds what unused keys keep


def derived(key: str, build: Callable, timeout: int = DERIVED_TIMEOUT):
    """The value cached under ``key``, else ``build()`` (cached for the next request).

    When the cache cannot be reached the value is built (and the outage logged): the page stays up."""
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
