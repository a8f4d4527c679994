{% include "header.py" %}
"""JWT login and bearer-token checks with roles.

Users come from `AUTH_USERS` (JSON: `{"name": {"password": "...", "roles": ["..."]}}`);
replace `find_user` to use your own user store. Tokens are HS256 JWTs signed with
`JWT_SECRET`.
"""

import datetime
import hmac
import json
import secrets
from collections.abc import Callable
from functools import lru_cache

import jwt
from fastapi import APIRouter, Request

from app import config, schemas
from app.errors import ApiError

router = APIRouter(tags=["auth"])
{{ subscript("ROLES = ", "", api.roles | map("pystr") | list) }}
UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}


@lru_cache(maxsize=1)
def _secret() -> str:
    # Without JWT_SECRET, tokens are signed with a key that lives as long as the process.
    return config.jwt_secret() or secrets.token_urlsafe(32)


@lru_cache(maxsize=1)
def _users() -> dict:
    users = json.loads(config.auth_users())
    return users if isinstance(users, dict) else {}


def find_user(username: str, password: str) -> dict | None:
    """The user with these credentials (`{"username", "roles"}`), or None."""
    user = _users().get(username)
    if not isinstance(user, dict):
        return None
    expected = str(user.get("password", ""))
    if not expected or not hmac.compare_digest(expected.encode(), password.encode()):
        return None
    roles = [role for role in user.get("roles", []) if role in ROLES]
    return {"username": username, "roles": roles}


def issue_token(user: dict) -> dict:
    """A signed bearer token for `user`."""
    lifetime = config.jwt_expires_in()
    now = datetime.datetime.now(datetime.timezone.utc)
    claims = {
        "sub": user["username"],
        "roles": user["roles"],
        "iat": now,
        "exp": now + datetime.timedelta(seconds=lifetime),
    }
    token = jwt.encode(claims, _secret(), algorithm="HS256")
    return {"access_token": token, "token_type": "bearer", "expires_in": lifetime}


def current_user(request: Request) -> dict:
    """The user of the request's bearer token, or a 401 problem."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "A bearer token is required.", headers=UNAUTHORIZED)
    try:
        claims = jwt.decode(token.strip(), _secret(), algorithms=["HS256"])
    except jwt.PyJWTError:
        raise ApiError(
            401, "The bearer token is invalid or expired.", headers=UNAUTHORIZED
        )
    roles = claims.get("roles")
    if not isinstance(claims.get("sub"), str) or not isinstance(roles, list):
        raise ApiError(401, "The bearer token is invalid.", headers=UNAUTHORIZED)
    return {"username": claims["sub"], "roles": [r for r in roles if r in ROLES]}


def require(roles: tuple[str, ...] | None) -> Callable[[Request], dict]:
    """A dependency: a valid bearer token and, when `roles` is given, one of them."""

    def check(request: Request) -> dict:
        user = current_user(request)
        if roles is not None and not set(user["roles"]) & set(roles):
            raise ApiError(403, "Your roles do not allow this operation.")
        return user

    return check


@router.post("/auth/login")
def login(body: schemas.{{ api.login_schema }}) -> dict:
    """Exchanges a user name and password for a bearer token."""
    user = find_user(body.username, body.password)
    if user is None:
        raise ApiError(401, "The user name or password is wrong.", headers=UNAUTHORIZED)
    return issue_token(user)


@router.get("/auth/me")
def me(request: Request) -> dict:
    """The user the bearer token belongs to."""
    return current_user(request)
