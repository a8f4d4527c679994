{% include "header.py" %}
"""Alembic environment: migrates `DATABASE_URL` (see app/config.py) to app/models.py."""

from alembic import context

from app import config, db, models

target_metadata = models.Base.metadata


def run_migrations_offline() -> None:
    """Emits the SQL instead of running it (`alembic upgrade head --sql`)."""
    context.configure(
        url=config.database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Runs the migrations on the database."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        engine = db.make_engine(config.database_url())
        with engine.connect() as connection:
            _run(connection)
    else:
        _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
