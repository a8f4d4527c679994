{% include "header.py" %}
"""One router per entity."""

{% for e in api.entities %}
from app.routers import {{ e.module }}
{% endfor %}

ROUTERS = [
{% for e in api.entities %}
    {{ e.module }}.router,
{% endfor %}
]
