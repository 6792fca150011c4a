"""core.cache: TimedCache (entries count while younger than the ttl a read passes) and
BoundedDict (capped, oldest out first)."""

from __future__ import annotations

from datetime import timedelta

from core.cache import BoundedDict, TimedCache


def test_an_entry_lasts_its_ttl_then_is_gone(frozen):
    cache = TimedCache(max_items=10)
    cache.put("bank", [1, 2], timedelta(seconds=30))

    assert cache.get("bank", timedelta(seconds=30)) == [1, 2]
    frozen.shift(30)
    assert cache.get("bank", timedelta(seconds=30)) is None


def test_a_zero_ttl_keeps_nothing(frozen):
    cache = TimedCache(max_items=10)
    cache.put("bank", [1], timedelta(0))

    assert cache.get("bank", timedelta(seconds=30)) is None


def test_past_its_size_the_cache_starts_over(frozen):
    cache = TimedCache(max_items=2)
    ttl = timedelta(seconds=30)
    cache.put("a", 1, ttl)
    cache.put("b", 2, ttl)
    cache.put("c", 3, ttl)

    assert (cache.get("a", ttl), cache.get("b", ttl), cache.get("c", ttl)) == (None, None, 3)


def test_a_bounded_dict_drops_its_oldest_entries_first():
    cache = BoundedDict(max_items=2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("c", 3)
    cache.put("b", 4)  # already held: replaced, and the cap is still kept

    assert dict(cache) == {"c": 3, "b": 4}
