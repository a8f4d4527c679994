{% include "header.py" %}
"""Tests of the service as a whole: the contract it serves, docs, routing errors and odd
input that must never cause a server error.
"""

import json
import re

import pytest
from fastapi.testclient import TestClient

from tests import support


def test_serves_the_committed_contract(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    committed = json.loads((support.ROOT / "openapi.json").read_text(encoding="utf-8"))
    assert response.json() == committed
    assert committed == support.CONTRACT


#: What each docs asset is served as, by file suffix.
ASSET_TYPES = {".js": "javascript", ".css": "text/css", ".png": "image/png"}


def _media_type(url: str) -> str:
    if url.endswith("/openapi.json"):
        return "application/json"
    return ASSET_TYPES[url[url.rindex(".") :]]


def _page_urls(page: str) -> list[str]:
    """Every URL a docs page loads: href and src attributes, the spec URL."""
    urls = re.findall(r'(?:href|src|spec-url)="([^"]*)"', page)
    return sorted(urls + re.findall(r"url: '([^']*)'", page))


def _check_docs_page(client, page_path: str, root: str = "") -> list[str]:
    """The docs page loads only local URLs (under `root`), each of them served."""
    response = client.get(root + page_path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert "http://" not in page and "https://" not in page, page
    urls = _page_urls(page)
    assert f"{root}/docs/openapi.json" in urls, page
    for url in urls:
        assert url.startswith(root + "/docs/"), url
        served = client.get(url)
        assert served.status_code == 200, url
        assert served.content, url
        assert _media_type(url) in served.headers["content-type"], url
    return urls


def test_swagger_ui_uses_local_assets_only(client):
    urls = _check_docs_page(client, "/docs")
    assert urls == [
        "/docs/assets/favicon.png",
        "/docs/assets/swagger-ui-bundle.js",
        "/docs/assets/swagger-ui.css",
        "/docs/openapi.json",
    ]


def test_redoc_uses_local_assets_only(client):
    urls = _check_docs_page(client, "/redoc")
    assert "/docs/assets/redoc.standalone.js" in urls


def test_docs_contract_is_the_contract_with_a_relative_server(client):
    committed = json.loads((support.ROOT / "openapi.json").read_text(encoding="utf-8"))
    response = client.get("/docs/openapi.json")
    assert response.status_code == 200
    assert response.json() == {**committed, "servers": [{"url": "/"}]}
    # The committed contract itself is still served unchanged.
    assert client.get("/openapi.json").json() == committed


def test_docs_behind_a_path_prefix(app):
    # As behind uvicorn --root-path /p/x: the request path includes the prefix.
    root = "/p/x"
    prefixed = TestClient(app, root_path=root)
    for page in ("/docs", "/redoc"):
        _check_docs_page(prefixed, page, root)
    response = prefixed.get(root + "/docs/openapi.json")
    assert response.json()["servers"] == [{"url": root}]


def test_docs_routes_are_not_in_the_contract():
    for path in ("/docs", "/redoc", "/openapi.json", "/docs/openapi.json"):
        assert path not in support.CONTRACT["paths"]


def test_unknown_path_is_a_problem(client):
    response = client.get("/zz-no-such-path")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(support.PROBLEM_JSON)


@pytest.mark.parametrize("template", sorted(support.CONTRACT["paths"]))
def test_unsupported_method_is_405_with_allow(client, template):
    documented = {m.upper() for m in support.CONTRACT["paths"][template]}
    documented &= {"GET", "PUT", "POST", "DELETE", "PATCH"}
    unsupported = sorted({"GET", "PUT", "POST", "DELETE", "PATCH"} - documented)
    if not unsupported:
        pytest.skip("every method is documented")
    path = template
    for part in path.split("/"):
        if part.startswith("{"):
            path = path.replace(part, "1")
    response = client.request(unsupported[0], path)
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == documented


ODD_TEXTS = ["x" * 10000, "\u00e9\u6f22\u5b57\U0001f600", "' OR 1=1 --", "\x00\x01"]


@pytest.mark.parametrize("name", sorted(support.DATA))
@pytest.mark.parametrize("text", ODD_TEXTS, ids=["long", "unicode", "sql", "control"])
def test_odd_strings_never_fail(api, name, text):
    entity = support.DATA[name]
    if not entity["testable"]:
        pytest.skip("no valid record could be derived from the manifest")
    payload = api.payload(name, 0)
    for field, value in payload.items():
        if isinstance(value, str):
            response = api.client.post(
                entity["path"], json={**payload, field: text}, headers=api.headers
            )
            assert response.status_code in (201, 409, 422), response.text
    response = api.client.get(entity["path"] + "/" + "x" * 300, headers=api.headers)
    assert response.status_code in (404, 422)
    for field in payload:
        response = api.client.get(
            entity["path"], params={field: text}, headers=api.headers
        )
        assert response.status_code in (200, 422), response.text
