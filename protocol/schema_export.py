"""The body schemas as JSON Schema (2020-12): what PROTOCOL.md and docs/schemas/v1.json
publish for implementations in other languages.
"""

from __future__ import annotations

import inspect
from typing import Any

import msgspec

from protocol.schemas import SCHEMAS


def json_schemas() -> dict[str, Any]:
    """JSON Schema (2020-12) of every kind's body, for PROTOCOL.md and other languages."""
    names = list(SCHEMAS)
    schemas, components = msgspec.json.schema_components([SCHEMAS[k] for k in names])
    return {
        "kinds": dict(zip(names, schemas, strict=True)),
        "$defs": clean_descriptions(components),
    }


def clean_descriptions(components: dict[str, Any]) -> dict[str, Any]:
    """Descriptions as ``inspect.cleandoc`` gives them: they come from docstrings, whose
    indentation msgspec releases keep or strip differently, and the published schema
    must come out the same under any of them."""
    return {
        name: {**c, "description": inspect.cleandoc(c["description"])}
        if isinstance(c.get("description"), str)
        else c
        for name, c in components.items()
    }
