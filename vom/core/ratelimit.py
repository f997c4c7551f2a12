"""A per-client limit on public pages, counted in the cache (Redis in production, so every gunicorn worker
and web node shares the count; memory on one process in the embedded default).

A fixed window per client: the first hit in a window creates the counter with the window as its lifetime,
later ones increment it (both atomic in Redis). Clients are counted by address; an IPv6 client by its /64
network, which one household or phone is given whole.
"""

import ipaddress
import logging
import math
import time

from django.core.cache import cache

log = logging.getLogger(__name__)


def client_key(address: str | None) -> str:
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def rate_limit_hit(*, scope: str, address: str | None, limit: int, window_seconds: int) -> int:
    """Count one request; 0 when it is allowed, else the seconds until the client may try again.

    When the cache cannot be reached the request is allowed (and logged): the page stays up."""
    now = time.time()
    window = int(now // window_seconds)
    key = f"ratelimit:{scope}:{client_key(address)}:{window}"
    try:
        count = 1 if cache.add(key, 1, timeout=window_seconds + 5) else cache.incr(key)
    except ValueError:  # the counter expired between add and incr: this is the first hit of a new window
        cache.add(key, 1, timeout=window_seconds + 5)
        count = 1
    except Exception:
        log.warning("rate limit for %s not counted: the cache is unreachable", scope, exc_info=True)
        return 0
    if count <= limit:
        return 0
    return max(1, math.ceil((window + 1) * window_seconds - now))
