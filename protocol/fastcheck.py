"""The fast check of a body against its kind's schema, for the envelope fast path.

``body_ok`` gives the answer of ``schemas.validate_body`` without the reason, in a
fraction of the time; tests/protocol/test_speedups.py holds the two to the same answers.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from typing import Annotated, Any, Final, Union, get_args, get_origin

import msgspec
from msgspec import Meta, Struct

from protocol.schemas import SCHEMAS

# msgspec spends about half a microsecond on every pattern it matches, most of an
# envelope's body check. Each schema's twin takes the fields that are only a pattern
# (ids, members, times) as plain strings, and body_ok matches those values itself,
# remembering values already matched: the same rules, a fraction of the time.

_Check = tuple[str, Callable[[str], object], set[str]]


def _loose(
    tp: Any, searches: dict[str, Callable[[str], object]]
) -> tuple[Any, Callable[[str], object]] | None:
    """For a field typed only by a pattern (or that or None): (plain type, search)."""
    optional = get_origin(tp) in (Union, types.UnionType) and type(None) in get_args(tp)
    if optional:
        rest = [a for a in get_args(tp) if a is not type(None)]
        if len(rest) != 1:
            return None
        tp = rest[0]
    if get_origin(tp) is not Annotated:
        return None
    base, *metas = get_args(tp)
    if base is not str or len(metas) != 1 or not isinstance(metas[0], Meta):
        return None
    meta = metas[0]
    if meta.pattern is None or meta.min_length is not None or meta.max_length is not None:
        return None
    search = searches.setdefault(meta.pattern, re.compile(meta.pattern).search)
    return (str | None if optional else str), search


def _twin(schema: Any, searches: dict[str, Callable[[str], object]]) -> tuple[Any, list[_Check]]:
    if not (isinstance(schema, type) and issubclass(schema, Struct)):
        return schema, []
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {"__module__": __name__, "__annotations__": annotations}
    checks: list[_Check] = []
    for field in msgspec.structs.fields(schema):
        loose = _loose(field.type, searches)
        if loose is None:
            continue
        annotations[field.name] = loose[0]
        if field.default is not msgspec.NODEFAULT:
            namespace[field.name] = field.default
        elif field.default_factory is not msgspec.NODEFAULT:
            namespace[field.name] = msgspec.field(default_factory=field.default_factory)
        checks.append((field.encode_name, loose[1], set()))
    if not checks:
        return schema, []
    twin = types.new_class(
        f"{schema.__name__}Twin", (schema,), exec_body=lambda ns: ns.update(namespace)
    )
    return twin, checks


def _twins() -> dict[str, tuple[Any, list[_Check]]]:
    searches: dict[str, Callable[[str], object]] = {}
    return {kind: _twin(schema, searches) for kind, schema in SCHEMAS.items()}


_TWINS: Final = _twins()


def body_ok(kind: str, body: Any) -> bool:
    """Whether ``validate_body(kind, body)`` accepts ``body``, answered faster (the
    envelope fast path's check; the reasons for a refusal are validate_body's)."""
    twin = _TWINS.get(kind)
    if twin is None:
        return False
    schema, checks = twin
    try:
        msgspec.convert(body, schema)
    except msgspec.ValidationError:
        return False
    for name, search, matched in checks:
        value = body.get(name)
        if value is not None and value not in matched:
            if search(value) is None:
                return False
            if len(value) <= 128:  # ids and members, not sealed boxes
                if len(matched) >= 1024:
                    matched.clear()
                matched.add(value)
    return True
