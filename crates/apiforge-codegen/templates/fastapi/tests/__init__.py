{% include "header.py" %}
