import uuid
from collections import OrderedDict

from django.core.cache import cache

from vom.core import cache as derived_cache
from vom.core.cache import derived


def test_a_derived_value_is_built_once_then_read_from_this_process_and_a_new_key_builds_anew():
    key, built = f"test-derived:{uuid.uuid4()}", []

    def build():
        built.append(1)
        return {"value": len(built)}

    assert derived(key, build) == {"value": 1}
    cache.clear()  # the shared copy gone (another process's eviction, say): this process's copy serves
    assert derived(key, build) == {"value": 1} and len(built) == 1
    assert derived(f"{key}:next", build) == {"value": 2}  # a write changes the key: built again at once


def test_the_process_keeps_only_the_latest_values(monkeypatch):
    monkeypatch.setattr(derived_cache, "LOCAL_KEPT", 2)
    monkeypatch.setattr(derived_cache, "_local", OrderedDict())
    keys = [f"test-derived:{uuid.uuid4()}" for _ in range(3)]
    for n, key in enumerate(keys):
        derived(key, lambda n=n: n)
    assert keys[0] not in derived_cache._local and all(key in derived_cache._local for key in keys[1:])
