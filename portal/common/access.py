"""Access decisions. Every route declares one; a test fails on any route without."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable[..., object])

ACCESS_ATTRIBUTE = "access_rule"


def public(view: F) -> F:
    """Anyone may use this page, signed in or not."""
    setattr(view, ACCESS_ATTRIBUTE, "public")
    return view


def access_rule(view: Callable[..., object]) -> str | None:
    return getattr(view, ACCESS_ATTRIBUTE, None)
