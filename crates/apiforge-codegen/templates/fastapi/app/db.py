{% include "header.py" %}
"""The database engine, sessions and the declarative base of the models."""

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy import orm

from app import config


class Base(orm.DeclarativeBase):
    """Base class of every mapped table."""


def make_engine(url: str) -> sa.Engine:
    """An engine for `url`; SQLite gets foreign-key enforcement and thread sharing."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False})

        @sa.event.listens_for(engine, "connect")
        def _enable_foreign_keys(connection, _record) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


engine = make_engine(config.database_url())
SessionLocal = orm.sessionmaker(bind=engine, expire_on_commit=False)


def get_session() -> Iterator[orm.Session]:
    """FastAPI dependency: one session per request."""
    with SessionLocal() as session:
        yield session
