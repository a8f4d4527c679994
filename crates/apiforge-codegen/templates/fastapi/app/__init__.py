{% include "header.py" %}
"""{{ api.title }}: a FastAPI service generated from its OpenAPI contract."""
