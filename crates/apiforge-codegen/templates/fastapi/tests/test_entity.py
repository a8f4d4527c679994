{% include "header.py" %}
{% set e = entity %}
{% set t = e.tests %}
"""Tests of {{ e.plural_words }}: every operation and error case the contract lists."""

import pytest

from tests import support

NAME = {{ e.name | pystr }}
ENTITY = support.DATA[NAME]
pytestmark = pytest.mark.skipif(
    not ENTITY["testable"], reason="no valid record could be derived from the manifest"
)


def test_create_and_read(api):
    support.check_create_and_read(api, NAME)


def test_replace(api):
    support.check_replace(api, NAME)


def test_update(api):
    support.check_update(api, NAME)


def test_delete(api):
    support.check_delete(api, NAME)


def test_not_found(api):
    support.check_not_found(api, NAME)


def test_list_and_paginate(api):
    support.check_list(api, NAME)


def test_sort(api):
    support.check_sort(api, NAME)
{% if t.filter %}


def test_filter(api):
    support.check_filter(api, NAME)
{% endif %}


def test_bad_queries(api):
    support.check_bad_queries(api, NAME)


def test_malformed_json(api):
    support.check_malformed_json(api, NAME)


def test_unknown_property(api):
    support.check_unknown_property(api, NAME)
{% if t.invalid %}


@pytest.mark.parametrize(
    "case", ENTITY["invalid"], ids=lambda case: f"{case['field']}: {case['why']}"
)
def test_invalid(api, case):
    support.check_invalid(api, NAME, case)
{% endif %}
{% if t.whole_floats %}


@pytest.mark.parametrize("case", ENTITY["whole_floats"], ids=lambda case: case["field"])
def test_whole_float_is_an_integer(api, case):
    support.check_whole_float(api, NAME, case)
{% endif %}
{% if t.unique or t.client_keys %}


def test_conflict(api):
    support.check_conflict(api, NAME)
{% endif %}
{% if t.fks %}


@pytest.mark.parametrize("fk", ENTITY["fks"], ids=lambda fk: fk["name"])
def test_missing_reference(api, fk):
    support.check_missing_reference(api, NAME, fk)
{% endif %}
{% if t.children %}


@pytest.mark.parametrize("child", ENTITY["children"], ids=lambda child: child["path"])
def test_children(api, child):
    support.check_children(api, NAME, child)


@pytest.mark.parametrize("child", ENTITY["children"], ids=lambda child: child["path"])
def test_delete_referenced(api, child):
    support.check_delete_referenced(api, NAME, child)
{% endif %}
{% if t.links %}


@pytest.mark.parametrize("link", ENTITY["links"], ids=lambda link: link["path"])
def test_link(api, link):
    support.check_link(api, NAME, link)
{% endif %}
{% if api.auth %}


def test_requires_a_token(anonymous):
    anonymous.call("get", ENTITY["path"], 401)
{% endif %}
{% if t.roles %}


@pytest.mark.parametrize("operation", {{ t.roles | list | tojson }})
def test_forbidden_without_role(api, nobody, operation):
    support.check_forbidden(api, nobody, NAME, operation)
{% endif %}
