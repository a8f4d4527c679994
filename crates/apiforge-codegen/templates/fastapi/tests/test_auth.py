{% include "header.py" %}
"""Tests of login, tokens and the current user."""

from tests import support


def test_login_returns_a_bearer_token(anonymous):
    credentials = {"username": "tester", "password": "tester-password"}
    token = anonymous.call("post", "/auth/login", 200, json=credentials).json()
    assert token["token_type"] == "bearer"
    assert token["expires_in"] > 0


def test_login_with_a_wrong_password_is_401(anonymous):
    credentials = {"username": "tester", "password": "wrong"}
    anonymous.call("post", "/auth/login", 401, json=credentials)
    credentials = {"username": "no-such-user", "password": "wrong"}
    anonymous.call("post", "/auth/login", 401, json=credentials)


def test_login_validates_its_body(anonymous):
    anonymous.call("post", "/auth/login", 422, json={"username": "tester"})
    anonymous.call("post", "/auth/login", 422, json={"username": 1, "password": "x"})
    body = {"username": "tester", "password": "tester-password", "extra": 1}
    anonymous.call("post", "/auth/login", 422, json=body)


def test_me_names_the_user_and_roles(api):
    me = api.call("get", "/auth/me", 200).json()
    assert me["username"] == "tester"
    assert sorted(me["roles"]) == sorted({{ api.roles | tojson }})


def test_missing_or_bad_tokens_are_401(anonymous):
    anonymous.call("get", "/auth/me", 401)
    bad = {"Authorization": "Bearer not-a-jwt"}
    response = anonymous.call("get", "/auth/me", 401, headers=bad)
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.headers["content-type"].startswith(support.PROBLEM_JSON)
