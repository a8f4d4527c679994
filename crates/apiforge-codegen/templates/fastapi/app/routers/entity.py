{% include "header.py" %}
{% set e = entity %}
{% macro deco(method, path, status, roles) %}{{ call("@", "router." ~ method, [path | pystr] + (["status_code=" ~ status] if status else []) + (["dependencies=[Depends(require(" ~ roles ~ "))]"] if api.auth else [])) }}{% endmacro %}
{% macro session_param() %}    session: Annotated[orm.Session, Depends(get_session)],{% endmacro %}
{% macro page_params() %}
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=apitypes.INT64_MAX)] = 0,{% endmacro %}
{% macro listing(target, filters, path_key, fixed_attr, parent) %}
{% set child = api.entities[target] %}
{{ session_param() }}
{{ page_params() }}
    sort: schemas.{{ child.sort_alias }} = "id",
{% for f in filters %}
{% if f.alias %}
{{ subscript("    " ~ f.param ~ ": ", "Annotated", [f.ty, "Query(alias=" ~ f.alias ~ ")"], " = None,") }}
{% else %}
    {{ f.param }}: {{ f.ty }} = None,
{% endif %}
{% endfor %}
) -> dict:
{% if parent %}
{{ call("    ", "crud.get_or_404", ["session", "models." ~ parent.class, path_key, parent.words | pystr]) }}
{% endif %}
    columns = {
{% for s in child.sort %}
        {{ s.name | pystr }}: models.{{ child.class }}.{{ s.attr }},
{% endfor %}
    }
{% if filters or fixed_attr %}
    filters = [
{% if fixed_attr %}
{{ call("        ", "", ["models." ~ child.class ~ "." ~ fixed_attr, path_key], ",") }}
{% endif %}
{% for f in filters %}
{{ call("        ", "", ["models." ~ child.class ~ "." ~ f.attr, f.param], ",") }}
{% endfor %}
    ]
{% else %}
    filters = []
{% endif %}
    return crud.page(
        session,
        models.{{ child.class }},
        crud.equal(filters),
        crud.sort_order(columns, sort, models.{{ child.class }}.id),
        limit,
        offset,
        schemas.{{ child.dump_function }},
    ){% endmacro %}
"""Routes of {{ e.plural_words }}: `{{ e.path }}` and the paths below it."""

{% if e.uses_datetime %}
import datetime
{% endif %}
{% if e.uses_decimal %}
import decimal
{% endif %}
{% if e.uses_uuid %}
import uuid
{% endif %}
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse, Response
from sqlalchemy import orm

from app import crud, models, schemas
from app import types as apitypes
{% if api.auth %}
from app.auth import require
{% endif %}
from app.db import get_session
{% if e.key.kind == "string" or e.links %}
from app.errors import ApiError
{% endif %}
from app.hooks import {{ e.module }} as hooks

router = APIRouter(tags=[{{ e.name | pystr }}])

{{ call("Key = Annotated[" ~ e.key.path_type ~ ", ", "Path", e.key.path_args, "]") }}
{% for l in e.links %}
{% set t = api.entities[l.target] %}
{{ call(l.target_class ~ "Key = Annotated[" ~ t.key.path_type ~ ", ", "Path", t.key.path_args, "]") }}
{% endfor %}
{% set refs = e.fks %}


{{ deco("get", e.path, none, e.roles.read) }}
def list_{{ e.snake }}(
{{ listing(index, e.filters, none, none, none) }}


{{ deco("post", e.path, "201", e.roles.create) }}
def create_{{ e.snake }}(
    body: schemas.{{ e.create_schema }},
{{ session_param() }}
) -> JSONResponse:
    data = hooks.before_create(body.model_dump())
{% if refs %}
    references = [
{% for fk in refs %}
{{ call("        ", "", ["models." ~ fk.target_class, "data.get(" ~ (fk.attr | pystr) ~ ")", fk.name | pystr], ",") }}
{% endfor %}
    ]
    crud.check_references(session, references)
{% endif %}
    record = models.{{ e.class }}(**data)
    session.add(record)
    crud.commit(session, crud.CONFLICT)
    hooks.after_create(record)
    return JSONResponse(
        schemas.{{ e.dump_function }}(record),
        status_code=201,
        headers={"Location": crud.location({{ e.path | pystr }}, record.id)},
    )


{{ deco("get", e.item_path, none, e.roles.read) }}
def get_{{ e.snake }}(
    {{ e.param }}: Key,
{{ session_param() }}
) -> dict:
{{ call("    record = ", "crud.get_or_404", ["session", "models." ~ e.class, e.param, e.words | pystr]) }}
    return schemas.{{ e.dump_function }}(record)
{% for method in ["put", "patch"] %}


{{ deco(method, e.item_path, none, e.roles.update) }}
def {{ "replace" if method == "put" else "update" }}_{{ e.snake }}(
    {{ e.param }}: Key,
    body: schemas.{{ e.create_schema if method == "put" else e.update_schema }},
{{ session_param() }}
) -> dict:
{{ call("    record = ", "crud.get_or_404", ["session", "models." ~ e.class, e.param, e.words | pystr]) }}
{% if method == "put" %}
    data = body.model_dump()
{% if e.key.kind == "string" %}
    if data["id"] != {{ e.param }}:
        raise ApiError(
            422,
            "The body's `id` must equal the key in the path.",
            [{"location": "body", "field": "id", "message": "must equal the path key"}],
        )
{% endif %}
{% else %}
    data = body.model_dump(exclude_unset=True)
{% endif %}
    data = hooks.before_update(record, data)
{% if refs %}
    references = [
{% for fk in refs %}
{{ call("        ", "", ["models." ~ fk.target_class, "data.get(" ~ (fk.attr | pystr) ~ ")", fk.name | pystr], ",") }}
{% endfor %}
    ]
    crud.check_references(session, references)
{% endif %}
    for name, value in data.items():
        setattr(record, name, value)
    crud.commit(session, crud.CONFLICT)
    hooks.after_update(record)
    return schemas.{{ e.dump_function }}(record)
{% endfor %}


{{ deco("delete", e.item_path, "204", e.roles.delete) }}
def delete_{{ e.snake }}(
    {{ e.param }}: Key,
{{ session_param() }}
) -> Response:
{{ call("    record = ", "crud.get_or_404", ["session", "models." ~ e.class, e.param, e.words | pystr]) }}
    hooks.before_delete(record)
    session.delete(record)
    crud.commit(session, crud.REFERENCED)
    hooks.after_delete(record)
    return Response(status_code=204)
{% for c in e.children %}
{% set child = api.entities[c.child] %}


{{ deco("get", c.path, none, child.roles.read) }}
def {{ c.function }}(
    {{ e.param }}: Key,
{{ listing(c.child, c.filters, e.param, c.fk_attr, e) }}
{% endfor %}
{% for l in e.links %}
{% set t = api.entities[l.target] %}


{{ deco("get", l.path, none, e.roles.read) }}
def list_{{ l.function }}(
    {{ e.param }}: Key,
{{ session_param() }}
{{ page_params() }}
) -> dict:
{{ call("    ", "crud.get_or_404", ["session", "models." ~ e.class, e.param, e.words | pystr]) }}
    return crud.link_page(
        session,
        models.{{ l.class }}.{{ l.owner_column }} == {{ e.param }},
        models.{{ l.class }}.{{ l.target_column }},
        models.{{ t.class }},
        limit,
        offset,
        schemas.{{ l.dump_function }},
    )


{{ deco("put", l.item_path, none, e.roles.update) }}
def add_{{ l.function }}(
    {{ e.param }}: Key,
    {{ l.target_column }}: {{ l.target_class }}Key,
{{ session_param() }}
{% if l.input_schema and l.body_required %}
    body: schemas.{{ l.input_schema }},
{% elif l.input_schema %}
    _not_null: Annotated[None, Depends(crud.reject_null_body)],
    body: schemas.{{ l.input_schema }} | None = None,
{% endif %}
) -> JSONResponse:
{{ call("    ", "crud.get_or_404", ["session", "models." ~ e.class, e.param, e.words | pystr]) }}
{{ call("    target = ", "crud.get_or_404", ["session", "models." ~ t.class, l.target_column, t.words | pystr]) }}
{% if l.input_schema and l.body_required %}
    data = body.model_dump()
{% elif l.input_schema %}
    data = (body or schemas.{{ l.input_schema }}()).model_dump()
{% endif %}
{{ call("    link = ", "session.get", ["models." ~ l.class, "(" ~ e.param ~ ", " ~ l.target_column ~ ")"]) }}
    status = 200
    if link is None:
{{ call("        link = ", "models." ~ l.class, [l.owner_column ~ "=" ~ e.param, l.target_column ~ "=" ~ l.target_column]) }}
        session.add(link)
        status = 201
{% if l.input_schema %}
    for name, value in data.items():
        setattr(link, name, value)
{% endif %}
    crud.commit(session, crud.CONFLICT)
{{ call("    return ", "JSONResponse", ["schemas." ~ l.dump_function ~ "(link, target)", "status_code=status"]) }}


{{ deco("delete", l.item_path, "204", e.roles.update) }}
def remove_{{ l.function }}(
    {{ e.param }}: Key,
    {{ l.target_column }}: {{ l.target_class }}Key,
{{ session_param() }}
) -> Response:
{{ call("    ", "crud.get_or_404", ["session", "models." ~ e.class, e.param, e.words | pystr]) }}
{{ call("    ", "crud.get_or_404", ["session", "models." ~ t.class, l.target_column, t.words | pystr]) }}
{{ call("    link = ", "session.get", ["models." ~ l.class, "(" ~ e.param ~ ", " ~ l.target_column ~ ")"]) }}
    if link is None:
        raise ApiError(404, "They are not linked.")
    session.delete(link)
    crud.commit(session, crud.CONFLICT)
    return Response(status_code=204)
{% endfor %}
