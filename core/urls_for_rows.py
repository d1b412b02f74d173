"""One URL per row of a list, at the cost of one reversal for the whole list."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

# A number no real id has; it marks where the id goes in the reversed address.
_MARK = 987654321987


def url_maker(name: str, *args: object) -> Callable[[int], str]:
    """`url_maker("billing:product-detail", org.slug)(pk)` is
    `reverse("billing:product-detail", args=[org.slug, pk])`, the id being the route's last
    argument. A list of 25 rows reversed its URL 25 times, a sizeable part of its time."""
    head, mark, tail = reverse(name, args=[*args, _MARK]).rpartition(str(_MARK))
    if not mark:
        raise ValueError(f"{name}: the id is not in the address")
    return lambda pk: f"{head}{int(pk)}{tail}"
