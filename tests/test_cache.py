import time

import pytest
from django.core.cache import cache


@pytest.mark.django_db
def test_mongo_cache_set_get_add_incr_and_expiry():
    cache.set("a", {"x": [1, 2]}, 60)
    assert cache.get("a") == {"x": [1, 2]}
    assert cache.add("a", "other") is False
    assert cache.add("counter", 1, 60) is True
    assert cache.incr("counter", 4) == 5
    assert cache.get("counter") == 5
    cache.set("short", "v", 1)
    assert cache.has_key("short")
    time.sleep(1.2)
    # Expired entries are invisible before the TTL sweep removes them.
    assert cache.get("short") is None
    assert cache.add("short", "again", 60) is True
    assert cache.delete("a") is True
    assert cache.get("a", "gone") == "gone"
    with pytest.raises(ValueError):
        cache.incr("missing")
