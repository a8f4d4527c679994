{% include "header.py" %}
"""Initial schema: every table of app/models.py.

Revision ID: 0001_initial
Revises:
"""

import sqlalchemy as sa
from alembic import op


revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
{% for t in api.tables %}
    op.create_table(
        {{ t.table | pystr }},
{% for c in t.columns %}
{{ call("        ", "sa.Column", [c.name | pystr] + (c.args | reject("equalto", "default=uuid.uuid4") | map("replace", "apitypes.BIG_INT", "sa.BigInteger().with_variant(sa.Integer(), \"sqlite\")") | list), ",") }}
{% endfor %}
    )
{% endfor %}


def downgrade() -> None:
{% for t in api.tables | reverse %}
    op.drop_table({{ t.table | pystr }})
{% endfor %}
