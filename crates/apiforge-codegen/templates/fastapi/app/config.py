{% include "header.py" %}
"""Settings, read once from the environment (see .env.example)."""

import os

DEFAULT_DATABASE_URL = "sqlite:///./app.db"


def database_url() -> str:
    """The SQLAlchemy URL: `DATABASE_URL`, else a SQLite file in the working directory.

    `postgres://` and `postgresql://` URLs use the psycopg 3 driver.
    """
    url = os.environ.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def create_tables() -> bool:
    """Whether the app creates missing tables on startup (default: only on SQLite).

    Production databases are migrated with `alembic upgrade head` instead.
    """
    default = "1" if database_url().startswith("sqlite") else "0"
    value = os.environ.get("CREATE_TABLES", default).strip().lower()
    return value in ("1", "true", "yes")
{% if api.auth %}


def jwt_secret() -> str:
    """The HMAC key signing bearer tokens (`JWT_SECRET`); empty when unset."""
    return os.environ.get("JWT_SECRET", "")


def jwt_expires_in() -> int:
    """Token lifetime in seconds (`JWT_EXPIRES_IN`, default one hour)."""
    return int(os.environ.get("JWT_EXPIRES_IN", "3600"))


def auth_users() -> str:
    """The users who may log in (`AUTH_USERS`, JSON; see .env.example)."""
    return os.environ.get("AUTH_USERS", "{}")
{% endif %}
