{% include "header.py" %}
"""Your code: one module per entity, called by its router around every write."""
