{% include "header.py" %}
"""Fixtures: the app on a fresh SQLite file per test session (or `TEST_DATABASE_URL`),
emptied after every test."""

import json
import os

import pytest
from fastapi.testclient import TestClient

from tests import support

#: Test users: `tester` holds every role, `nobody` none.
USERS = {
    "tester": {"password": "tester-password", "roles": {{ api.roles | tojson }}},
    "nobody": {"password": "nobody-password", "roles": []},
}


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    database = tmp_path_factory.mktemp("db") / "test.db"
    # TEST_DATABASE_URL runs the suite on another database (e.g. an empty PostgreSQL one).
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{database}"
    os.environ["DATABASE_URL"] = url
    os.environ["CREATE_TABLES"] = "1"
    os.environ["JWT_SECRET"] = "test-secret-for-the-generated-tests-only"
    os.environ["AUTH_USERS"] = json.dumps(USERS)
    from app.main import app

    return app


@pytest.fixture(scope="session")
def client(app):
    with TestClient(app) as client:
        yield client


@pytest.fixture(autouse=True)
def _empty_tables(app):
    yield
    from app import db, models

    with db.engine.begin() as connection:
        for table in reversed(models.Base.metadata.sorted_tables):
            connection.execute(table.delete())


def _login(client, username: str) -> str | None:
    response = client.post(
        "/auth/login",
        json={"username": username, "password": USERS[username]["password"]},
    )
    return response.json()["access_token"] if response.status_code == 200 else None


@pytest.fixture
def api(client) -> support.Api:
    """A client holding every role (no token when the API has no auth)."""
    return support.Api(client, _login(client, "tester") if support.AUTH else None)


@pytest.fixture
def nobody(client) -> support.Api:
    """A client authenticated without any role."""
    return support.Api(client, _login(client, "nobody") if support.AUTH else None)


@pytest.fixture
def anonymous(client) -> support.Api:
    """A client without a token."""
    return support.Api(client, None)
