{% include "header.py" %}
"""The initial migration creates exactly the schema of app/models.py."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from tests import support


def test_migrations_match_the_models(app, tmp_path):
    from app import db, models

    engine = db.make_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    config = Config(str(support.ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(support.ROOT / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, models.Base.metadata)
    assert differences == []
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
