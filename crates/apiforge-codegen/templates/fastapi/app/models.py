{% include "header.py" %}
"""The tables, as SQLAlchemy mapped classes (the initial migration creates the same)."""
{% set ns = namespace(uuid=false, apitypes=false) %}
{% for t in api.tables %}{% for c in t.columns %}{% for a in c.args %}{% if "uuid.uuid4" in a %}{% set ns.uuid = true %}{% endif %}{% if "apitypes." in a %}{% set ns.apitypes = true %}{% endif %}{% endfor %}{% endfor %}{% endfor %}

{% if ns.uuid %}
import uuid

{% endif %}
import sqlalchemy as sa
from sqlalchemy import orm

{% if ns.apitypes %}
from app import types as apitypes
{% endif %}
from app.db import Base
{% for t in api.tables %}


class {{ t.class }}(Base):
    """{{ t.doc }}"""

    __tablename__ = {{ t.table | pystr }}

{% for c in t.columns %}
{{ call("    " ~ c.attr ~ " = ", "orm.mapped_column", [c.name | pystr] + c.args) }}
{% endfor %}
{% endfor %}
