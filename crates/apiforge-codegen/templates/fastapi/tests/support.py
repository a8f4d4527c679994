{% include "header.py" %}
"""Test helpers: the contract checks every response, factories make valid records, and
one `check_*` function per behaviour runs against any entity of tests/testdata.json.
"""

import copy
import json
import math
from pathlib import Path
from urllib.parse import quote

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
DATA = {
    entity["name"]: entity
    for entity in json.loads(
        (Path(__file__).parent / "testdata.json").read_text(encoding="utf-8")
    )
}
AUTH = {{ "True" if api.auth else "False" }}
PROBLEM_JSON = "application/problem+json"
_URI = "urn:apiforge:contract"
_REGISTRY = Registry().with_resource(_URI, DRAFT202012.create_resource(CONTRACT))


def _pointer(*parts: str) -> str:
    escaped = [part.replace("~", "~0").replace("/", "~1") for part in parts]
    return _URI + "#/" + "/".join(escaped)


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        node = _REGISTRY.resolver(_URI).lookup(node["$ref"]).contents
    return node


def contract_errors(value, *pointer: str) -> list[str]:
    """Messages of every way `value` breaks the schema at `pointer` in the contract."""
    validator = Draft202012Validator(
        {"$ref": _pointer(*pointer)},
        registry=_REGISTRY,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    return [error.message for error in validator.iter_errors(value)]


def check_contract(response, method: str, template: str) -> None:
    """The response's status, media type and body are what the contract documents."""
    status = str(response.status_code)
    if status == "405":
        assert response.headers.get("Allow"), "405 without an Allow header"
        return
    operation = CONTRACT["paths"][template][method]
    assert status in operation["responses"], (
        f"{method.upper()} {template} answered {status}, which the contract does not list"
    )
    documented = _resolve(operation["responses"][status])
    content = documented.get("content")
    if not content:
        assert not response.content, f"{status} must have no body"
        return
    media_type = response.headers.get("content-type", "").split(";")[0]
    assert media_type in content, f"{media_type} is not documented for {status}"
    if "$ref" in operation["responses"][status]:
        name = operation["responses"][status]["$ref"].rsplit("/", 1)[-1]
        pointer = ("components", "responses", name, "content", media_type, "schema")
    else:
        pointer = ("paths", template, method, "responses", status, "content")
        pointer = (*pointer, media_type, "schema")
    errors = contract_errors(response.json(), *pointer)
    assert not errors, f"{method.upper()} {template} {status}: {errors}"


def same(actual, expected) -> bool:
    """Equal as JSON values (numbers compared as numbers)."""
    numbers = (int, float)
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual == expected
    if isinstance(expected, numbers) and isinstance(actual, numbers):
        return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9)
    return actual == expected


def assert_fields(record: dict, payload: dict) -> None:
    """Every field of `payload` came back unchanged in `record`."""
    for name, value in payload.items():
        assert same(record.get(name), value), (
            f"{name}: {record.get(name)!r} != {value!r}"
        )


def query_value(value) -> str:
    """A JSON value as a query-string value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def item_path(entity: dict) -> str:
    return entity["path"] + "/{" + entity["param"] + "}"


class Api:
    """A test client that checks every response against the contract."""

    def __init__(self, client, token: str | None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.created: dict[tuple[str, int], dict] = {}

    def call(self, method: str, template: str, status: int, keys=None, **kwargs):
        """Requests `template` with `keys` filled in; asserts the status and the contract."""
        path = template
        for name, value in (keys or {}).items():
            path = path.replace("{" + name + "}", quote(str(value), safe=""))
        headers = {**self.headers, **kwargs.pop("headers", {})}
        response = self.client.request(method.upper(), path, headers=headers, **kwargs)
        assert response.status_code == status, (
            f"{method.upper()} {path}: expected {status}, got {response.status_code}: "
            f"{response.text}"
        )
        check_contract(response, method, template)
        return response

    def payload(self, name: str, n: int = 0) -> dict:
        """A valid create body of variant `n`, with its required parents created."""
        entity = DATA[name]
        n %= max(entity["capacity"], 1)
        body = copy.deepcopy(entity["samples"][n])
        if entity["client_keys"]:
            body["id"] = entity["client_keys"][n]
        for fk in entity["fks"]:
            if fk["required"]:
                body[fk["name"]] = self.create(fk["target"], n)["id"]
        return body

    def create(self, name: str, n: int = 0) -> dict:
        """Record `n` of `name`, created once per test."""
        entity = DATA[name]
        n %= max(entity["capacity"], 1)
        if (name, n) not in self.created:
            body = self.payload(name, n)
            response = self.call("post", entity["path"], 201, json=body)
            self.created[(name, n)] = response.json()
        return self.created[(name, n)]

    def get(self, name: str, key, status: int = 200):
        entity = DATA[name]
        return self.call("get", item_path(entity), status, {entity["param"]: key})


def problem_fields(response) -> set[str]:
    """The first segments of the fields a 422 problem names."""
    body = response.json()
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    return {error.get("field", "").split(".")[0] for error in body.get("errors", [])}


def check_create_and_read(api: Api, name: str) -> None:
    entity = DATA[name]
    payload = api.payload(name)
    response = api.call("post", entity["path"], 201, json=payload)
    record = response.json()
    assert_fields(record, payload)
    key = quote(str(record["id"]), safe="")
    assert response.headers["Location"] == f"{entity['path']}/{key}"
    assert api.get(name, record["id"]).json() == record


def check_replace(api: Api, name: str) -> None:
    entity = DATA[name]
    record = api.create(name, 0)
    payload = api.payload(name, 1)
    if entity["client_keys"]:
        payload["id"] = record["id"]
    keys = {entity["param"]: record["id"]}
    replaced = api.call("put", item_path(entity), 200, keys, json=payload).json()
    assert_fields(replaced, payload)
    assert api.get(name, record["id"]).json() == replaced


def check_update(api: Api, name: str) -> None:
    entity = DATA[name]
    record = api.create(name, 0)
    keys = {entity["param"]: record["id"]}
    if entity["patch"]:
        change = {entity["patch"]["field"]: entity["patch"]["value"]}
    else:
        field = next(k for k in api.payload(name, 0) if k != "id")
        change = {field: record[field]}
    updated = api.call("patch", item_path(entity), 200, keys, json=change).json()
    assert_fields(updated, change)
    unchanged = {k: v for k, v in record.items() if k not in change}
    assert_fields(updated, unchanged)
    api.call("patch", item_path(entity), 422, keys, json={})
    api.call("patch", item_path(entity), 422, keys, json={"zz_unknown_property": 1})


def check_delete(api: Api, name: str) -> None:
    entity = DATA[name]
    record = api.create(name, 0)
    keys = {entity["param"]: record["id"]}
    api.call("delete", item_path(entity), 204, keys)
    api.get(name, record["id"], 404)
    api.call("delete", item_path(entity), 404, keys)


def check_not_found(api: Api, name: str) -> None:
    entity = DATA[name]
    keys = {entity["param"]: entity["missing_key"]}
    api.call("get", item_path(entity), 404, keys)
    api.call("put", item_path(entity), 404, keys, json=api.payload(name, 0))
    field = next(iter(api.payload(name, 0)))
    patch = {field: api.payload(name, 0)[field]}
    api.call("patch", item_path(entity), 404, keys, json=patch)
    api.call("delete", item_path(entity), 404, keys)


def check_list(api: Api, name: str) -> None:
    entity = DATA[name]
    count = min(3, entity["capacity"])
    created = [api.create(name, n) for n in range(count)]
    page = api.call("get", entity["path"], 200).json()
    assert page["total"] == count
    assert sorted(map(str, (item["id"] for item in page["items"]))) == sorted(
        str(record["id"]) for record in created
    )
    page = api.call("get", entity["path"], 200, params={"limit": 1, "offset": 1}).json()
    assert (page["limit"], page["offset"], page["total"]) == (1, 1, count)
    assert len(page["items"]) == (1 if count > 1 else 0)
    page = api.call("get", entity["path"], 200, params={"offset": count}).json()
    assert page["items"] == [] and page["total"] == count


def check_sort(api: Api, name: str) -> None:
    entity = DATA[name]
    for n in range(min(3, entity["capacity"])):
        api.create(name, n)
    for sort in entity["sort"]:
        api.call("get", entity["path"], 200, params={"sort": sort})
    ascending = api.call("get", entity["path"], 200, params={"sort": "id"}).json()
    descending = api.call("get", entity["path"], 200, params={"sort": "-id"}).json()
    ids = [item["id"] for item in ascending["items"]]
    assert [item["id"] for item in descending["items"]] == list(reversed(ids))


def check_filter(api: Api, name: str) -> None:
    entity = DATA[name]
    for n in range(min(3, entity["capacity"])):
        api.create(name, n)
    field = entity["filter"]["name"]
    value = api.create(name, 0)[field]
    params = {field: query_value(value)}
    page = api.call("get", entity["path"], 200, params=params).json()
    assert page["total"] >= 1
    assert all(same(item[field], value) for item in page["items"])


def check_bad_queries(api: Api, name: str) -> None:
    entity = DATA[name]
    for params in (
        {"limit": 0},
        {"limit": 101},
        {"limit": "ten"},
        {"offset": -1},
        {"sort": "zz_not_a_field"},
    ):
        response = api.call("get", entity["path"], 422, params=params)
        assert set(params) <= problem_fields(response)


def check_invalid(api: Api, name: str, case: dict) -> None:
    entity = DATA[name]
    payload = api.payload(name, 0)
    if case.get("omit"):
        payload.pop(case["field"], None)
    else:
        payload[case["field"]] = case["value"]
    response = api.call("post", entity["path"], 422, json=payload)
    assert case["field"] in problem_fields(response), response.text


def check_unknown_property(api: Api, name: str) -> None:
    entity = DATA[name]
    payload = {**api.payload(name, 0), "zz_unknown_property": 1}
    api.call("post", entity["path"], 422, json=payload)


def check_whole_float(api: Api, name: str, case: dict) -> None:
    entity = DATA[name]
    payload = {**api.payload(name, 0), case["field"]: case["value"]}
    record = api.call("post", entity["path"], 201, json=payload).json()
    assert record[case["field"]] == case["stored"]
    assert isinstance(record[case["field"]], int)


def check_malformed_json(api: Api, name: str) -> None:
    entity = DATA[name]
    headers = {"Content-Type": "application/json"}
    response = api.call(
        "post", entity["path"], 400, content=b'{"oops": ', headers=headers
    )
    assert response.headers["content-type"].startswith(PROBLEM_JSON)


def check_conflict(api: Api, name: str) -> None:
    entity = DATA[name]
    payload = api.payload(name, 0)
    api.call("post", entity["path"], 201, json=payload)
    api.call("post", entity["path"], 409, json=payload)


def check_missing_reference(api: Api, name: str, fk: dict) -> None:
    entity = DATA[name]
    payload = {**api.payload(name, 0), fk["name"]: DATA[fk["target"]]["missing_key"]}
    api.call("post", entity["path"], 409, json=payload)


def _child_of(api: Api, child: dict, parent: dict) -> dict:
    entity = DATA[child["child"]]
    payload = {**api.payload(child["child"], 1), child["fk"]: parent["id"]}
    return api.call("post", entity["path"], 201, json=payload).json()


def check_children(api: Api, name: str, child: dict) -> None:
    entity = DATA[name]
    parent = api.create(name, 0)
    record = _child_of(api, child, parent)
    keys = {entity["param"]: parent["id"]}
    page = api.call("get", child["path"], 200, keys).json()
    assert [item["id"] for item in page["items"]] == [record["id"]]
    assert page["total"] == 1
    api.call("get", child["path"], 200, keys, params={"sort": "-id", "limit": 1})
    missing = {entity["param"]: entity["missing_key"]}
    api.call("get", child["path"], 404, missing)


def check_delete_referenced(api: Api, name: str, child: dict) -> None:
    entity = DATA[name]
    parent = api.create(name, 0)
    _child_of(api, child, parent)
    api.call("delete", item_path(entity), 409, {entity["param"]: parent["id"]})


def check_link(api: Api, name: str, link: dict) -> None:
    entity = DATA[name]
    owner = api.create(name, 0)
    target = api.create(link["target"], 0)
    keys = {entity["param"]: owner["id"], link["target_key"]: target["id"]}
    item = link["path"] + "/{" + link["target_key"] + "}"
    body = {"json": link["body"]} if link["has_body"] else {}
    if link["has_body"] and not link["body_required"]:
        headers = {"Content-Type": "application/json"}
        api.call("put", item, 422, keys, content=b"null", headers=headers)
    created = api.call("put", item, 201, keys, **body).json()
    assert created[link["target_key"]] == target["id"]
    assert created[link["embedded"]]["id"] == target["id"]
    api.call("put", item, 200, keys, **body)
    page = api.call("get", link["path"], 200, keys).json()
    assert page["total"] == 1
    assert page["items"][0][link["target_key"]] == target["id"]
    missing = {**keys, link["target_key"]: DATA[link["target"]]["missing_key"]}
    api.call("put", item, 404, missing, **body)
    api.call("delete", item, 204, keys)
    api.call("delete", item, 404, keys)
    assert api.call("get", link["path"], 200, keys).json()["total"] == 0
    for case in link["invalid"]:
        invalid = {**link["body"], case["field"]: case["value"]}
        api.call("put", item, 422, keys, json=invalid)


def check_forbidden(api: Api, nobody: Api, name: str, operation: str) -> None:
    entity = DATA[name]
    if operation == "read":
        nobody.call("get", entity["path"], 403)
    elif operation == "create":
        nobody.call("post", entity["path"], 403, json=api.payload(name, 0))
    else:
        record = api.create(name, 0)
        keys = {entity["param"]: record["id"]}
        if operation == "update":
            field = next(k for k in api.payload(name, 0) if k != "id")
            change = {field: record[field]}
            nobody.call("patch", item_path(entity), 403, keys, json=change)
        else:
            nobody.call("delete", item_path(entity), 403, keys)
