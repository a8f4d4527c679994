# Your code: SmartAPIForge created this file once and never overwrites it.
"""Hooks of {{ entity.plural_words }}: called by app/routers/{{ entity.module }}.py around every write.

`data` holds the validated fields by their Python attribute names; return it (changed or
not). Raise `app.errors.ApiError(status, detail)` to reject a request with a problem.
"""

from typing import Any


def before_create(data: dict[str, Any]) -> dict[str, Any]:
    """Called with the fields of a new {{ entity.words }} before it is saved."""
    return data


def after_create(record: Any) -> None:
    """Called with the saved {{ entity.words }}."""


def before_update(record: Any, data: dict[str, Any]) -> dict[str, Any]:
    """Called with the stored {{ entity.words }} and the fields about to change."""
    return data


def after_update(record: Any) -> None:
    """Called with the updated {{ entity.words }}."""


def before_delete(record: Any) -> None:
    """Called with the {{ entity.words }} about to be deleted."""


def after_delete(record: Any) -> None:
    """Called with the deleted {{ entity.words }}."""
