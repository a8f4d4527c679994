{% include "header.py" %}
"""Tests of the service as a whole: the contract it serves, docs, routing errors and odd
input that must never cause a server error.
"""

import json

import pytest

from tests import support


def test_serves_the_committed_contract(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    committed = json.loads((support.ROOT / "openapi.json").read_text(encoding="utf-8"))
    assert response.json() == committed
    assert committed == support.CONTRACT


def test_docs_point_at_the_contract(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assert "/openapi.json" in response.text


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
