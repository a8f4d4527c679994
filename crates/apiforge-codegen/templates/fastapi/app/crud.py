{% include "header.py" %}
"""Database helpers shared by every router: lookups, saving, listing pages."""

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import Request
from sqlalchemy import exc, orm

from app.errors import ApiError

CONFLICT = "A unique value is already taken, or a referenced record does not exist."
REFERENCED = "Other records still refer to this one; delete or change them first."


def get_or_404(session: orm.Session, model: type, key: Any, words: str) -> Any:
    """The record of `model` with primary key `key`, or a 404 problem."""
    record = session.get(model, key)
    if record is None:
        raise ApiError(404, f"No {words} has the key {key}.")
    return record


def check_references(session: orm.Session, references: list[tuple]) -> None:
    """409 unless every given foreign key `(model, key, name)` points at a record."""
    for model, key, name in references:
        if key is not None and session.get(model, key) is None:
            raise ApiError(409, f"`{name}` refers to a record that does not exist.")


def commit(session: orm.Session, conflict: str) -> None:
    """Commits; a constraint violation rolls back and becomes a 409 problem."""
    try:
        session.commit()
    except exc.IntegrityError:
        session.rollback()
        raise ApiError(409, conflict) from None


def page(
    session: orm.Session,
    model: type,
    conditions: list,
    order: list,
    limit: int,
    offset: int,
    dump: Callable[[Any], dict],
) -> dict:
    """One page of `model` rows matching `conditions`, with the total of all matches."""
    statement = sa.select(model).where(*conditions)
    total = session.scalar(sa.select(sa.func.count()).select_from(statement.subquery()))
    rows = session.scalars(statement.order_by(*order).limit(limit).offset(offset))
    return {
        "items": [dump(row) for row in rows],
        "total": total or 0,
        "limit": limit,
        "offset": offset,
    }


def sort_order(columns: dict[str, Any], sort: str, key: Any) -> list:
    """ORDER BY for a `sort` value (`name` or `-name`), the key breaking ties."""
    column = columns[sort.lstrip("-")]
    if sort.startswith("-"):
        return [column.desc(), key.desc()]
    return [column.asc(), key.asc()]


def equal(filters: list[tuple]) -> list:
    """WHERE conditions for the `(column, value)` filters that were given."""
    return [column == value for column, value in filters if value is not None]


def location(collection: str, key: Any) -> str:
    """The path of the record with `key` in `collection`."""
    return f"{collection}/{quote(str(key), safe='')}"


def link_page(
    session: orm.Session,
    owner: Any,
    target_key: Any,
    target: type,
    limit: int,
    offset: int,
    dump: Callable[[Any, Any], dict],
) -> dict:
    """One page of link rows matching `owner`, each with its target record."""
    link = target_key.class_
    total = session.scalar(sa.select(sa.func.count()).select_from(link).where(owner))
    statement = (
        sa.select(link, target)
        .join(target, target_key == target.id)
        .where(owner)
        .order_by(target_key)
        .limit(limit)
        .offset(offset)
    )
    return {
        "items": [dump(row, linked) for row, linked in session.execute(statement)],
        "total": total or 0,
        "limit": limit,
        "offset": offset,
    }


async def reject_null_body(request: Request) -> None:
    """422 for a JSON `null` body where the body may be omitted but must be an object."""
    if (await request.body()).strip() == b"null":
        error = {"location": "body", "message": "must be an object, not null"}
        raise ApiError(422, "The request body must be a JSON object.", [error])
