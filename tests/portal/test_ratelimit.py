"""Rate limits: atomic fixed-window counters in the cache."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from core import ratelimit

WINDOW_START = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)  # a whole multiple of 60 s


@pytest.fixture(autouse=True)
def _probe_limit(settings: Any) -> None:
    settings.RATE_LIMITS = {"probe": (3, 60), "other": (3, 60)}


def test_hit_allows_up_to_the_limit_then_refuses() -> None:
    verdicts = [ratelimit.attempt("probe", "alice@example.com") for _ in range(4)]

    assert [v.allowed for v in verdicts] == [True, True, True, False]


def test_hit_says_when_to_try_again() -> None:
    with time_machine.travel(WINDOW_START.replace(second=10), tick=False):
        for _ in range(3):
            ratelimit.attempt("probe", "alice@example.com")
        verdict = ratelimit.attempt("probe", "alice@example.com")

    assert not verdict.allowed
    assert verdict.retry_after == 50


def test_hit_counts_each_identifier_apart() -> None:
    for _ in range(3):
        ratelimit.attempt("probe", "alice@example.com")

    assert not ratelimit.attempt("probe", "alice@example.com").allowed
    assert ratelimit.attempt("probe", "bob@example.com").allowed
    assert ratelimit.attempt("other", "alice@example.com").allowed


def test_there_is_no_peek() -> None:
    """Checking a counter without counting is how parallel guesses got through (issue 11)."""
    assert not hasattr(ratelimit, "peek")


def test_attempt_all_counts_every_counter_of_an_allowed_attempt() -> None:
    assert ratelimit.attempt_all([("probe", "alice@example.com"), ("other", "alice")]).allowed

    for _ in range(2):
        assert ratelimit.attempt("probe", "alice@example.com").allowed
    assert not ratelimit.attempt("probe", "alice@example.com").allowed


def test_attempt_all_stops_at_the_narrower_refusal() -> None:
    """A refused attempt is not counted against the wider counter after it: one address cannot
    use up a person's ceiling."""
    for _ in range(3):
        ratelimit.attempt("probe", "alice|203.0.113.7")

    verdict = ratelimit.attempt_all([("probe", "alice|203.0.113.7"), ("probe", "alice")])

    assert (verdict.allowed, verdict.limit) == (False, "probe")
    assert verdict.retry_after > 0
    for _ in range(3):
        assert ratelimit.attempt("probe", "alice").allowed


def test_release_gives_one_attempt_back() -> None:
    for _ in range(3):
        ratelimit.attempt("probe", "alice@example.com")

    ratelimit.release("probe", "alice@example.com")

    assert ratelimit.attempt("probe", "alice@example.com").allowed
    assert not ratelimit.attempt("probe", "alice@example.com").allowed


def test_release_of_an_unused_counter_does_not_go_below_zero() -> None:
    ratelimit.release("probe", "alice@example.com")
    for _ in range(3):
        assert ratelimit.attempt("probe", "alice@example.com").allowed
    assert not ratelimit.attempt("probe", "alice@example.com").allowed


def test_reset_allows_again() -> None:
    for _ in range(4):
        ratelimit.attempt("probe", "alice@example.com")

    ratelimit.reset("probe", "alice@example.com")

    assert ratelimit.attempt("probe", "alice@example.com").allowed


def test_reset_leaves_other_identifiers_limited() -> None:
    for _ in range(4):
        ratelimit.attempt("probe", "alice@example.com")
        ratelimit.attempt("probe", "203.0.113.7")

    ratelimit.reset("probe", "alice@example.com")

    assert not ratelimit.attempt("probe", "203.0.113.7").allowed


def test_hit_in_the_next_window_is_allowed_again() -> None:
    with time_machine.travel(WINDOW_START.replace(second=5), tick=False) as traveller:
        for _ in range(3):
            ratelimit.attempt("probe", "alice@example.com")
        assert not ratelimit.attempt("probe", "alice@example.com").allowed

        traveller.move_to(WINDOW_START.replace(second=59))
        assert not ratelimit.attempt("probe", "alice@example.com").allowed

        traveller.move_to(WINDOW_START.replace(minute=1, second=0))
        verdict = ratelimit.attempt("probe", "alice@example.com")

    assert verdict.allowed
    assert verdict.retry_after == 60


def test_unknown_limit_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        ratelimit.attempt("no-such-limit", "alice@example.com")
