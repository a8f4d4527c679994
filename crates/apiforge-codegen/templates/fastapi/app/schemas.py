{% include "header.py" %}
"""Request bodies (Pydantic models of the contract's schemas) and the JSON of records.

Bodies reject unknown properties (`additionalProperties: false`) and values of the wrong
JSON type; see app/types.py.
"""

from typing import Literal


from pydantic import BaseModel, ConfigDict, Field, model_validator

from app import models
from app import types as apitypes
{% for e in api.entities %}

{{ subscript(e.sort_alias ~ " = ", "Literal", e.sort_values) }}
{% endfor %}
{% for en in api.enums %}

{{ subscript(en.name ~ " = ", "Literal", en.values) }}
{% endfor %}
{% for e in api.entities %}


class {{ e.create_schema }}(BaseModel):
    """Fields of a new {{ e.words }}; also the full replacement (PUT)."""

    model_config = ConfigDict(extra="forbid")

{% if e.key.kind == "string" %}
{{ call("    id: " ~ e.key.body_type ~ " = ", "Field", e.key.body_args) if e.key.body_args else "    id: " ~ e.key.body_type }}
{% endif %}
{% for f in e.fields %}
{{ call("    " ~ f.attr ~ ": " ~ f.create_type ~ " = ", "Field", f.create_args) if f.create_args else "    " ~ f.attr ~ ": " ~ f.create_type }}
{% endfor %}
{% for fk in e.fks %}
{{ call("    " ~ fk.attr ~ ": " ~ fk.create_type ~ " = ", "Field", fk.create_args) if fk.create_args else "    " ~ fk.attr ~ ": " ~ fk.create_type }}
{% endfor %}


class {{ e.update_schema }}(BaseModel):
    """A partial update of a {{ e.words }}: only the given fields change."""

    model_config = ConfigDict(extra="forbid")

{% for f in e.fields %}
{{ call("    " ~ f.attr ~ ": " ~ f.update_type ~ " = ", "Field", f.update_args) }}
{% endfor %}
{% for fk in e.fks %}
{{ call("    " ~ fk.attr ~ ": " ~ fk.update_type ~ " = ", "Field", fk.update_args) }}
{% endfor %}

    @model_validator(mode="after")
    def _at_least_one(self):
        if not self.model_fields_set:
            raise ValueError("give at least one field to change")
        return self
{% for l in e.links %}
{% if l.input_schema %}


class {{ l.input_schema }}(BaseModel):
    """Fields stored on a link between a {{ e.words }} and a {{ api.entities[l.target].words }}."""

    model_config = ConfigDict(extra="forbid")

{% for f in l.fields %}
{{ call("    " ~ f.attr ~ ": " ~ f.create_type ~ " = ", "Field", f.create_args) if f.create_args else "    " ~ f.attr ~ ": " ~ f.create_type }}
{% endfor %}
{% endif %}
{% endfor %}


def {{ e.dump_function }}(record: models.{{ e.class }}) -> dict:
    """A {{ e.words }} as the contract's `{{ e.name }}` JSON."""
    return {
        "id": {{ e.key.dump | replace("{}", "record.id") }},
{% for f in e.fields %}
        {{ f.name | pystr }}: {{ f.dump }},
{% endfor %}
{% for fk in e.fks %}
        {{ fk.name | pystr }}: {{ fk.dump }},
{% endfor %}
    }
{% for l in e.links %}


def {{ l.dump_function }}(
    link: models.{{ l.class }},
    target: models.{{ l.target_class }},
) -> dict:
    """A link record with the linked {{ api.entities[l.target].words }} embedded."""
    return {
        {{ l.target_column | pystr }}: {{ api.entities[l.target].key.dump | replace("{}", "target.id") }},
{% for f in l.fields %}
        {{ f.name | pystr }}: {{ f.dump | replace("record.", "link.") }},
{% endfor %}
        {{ l.embedded | pystr }}: {{ api.entities[l.target].dump_function }}(target),
    }
{% endfor %}
{% endfor %}
{% if api.auth %}


class {{ api.login_schema }}(BaseModel):
    """Credentials exchanged for a bearer token."""

    model_config = ConfigDict(extra="forbid")

    username: apitypes.Text = Field(min_length=1)
    password: apitypes.Text = Field(min_length=1)
{% endif %}
