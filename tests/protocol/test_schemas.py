"""Body schemas: a valid body of every kind and variant, and each way a body can be wrong."""

from __future__ import annotations

import inspect
from typing import Any

import msgspec
import msgspec.inspect as mi
import pytest

from protocol import SCHEMAS, sha256_id, validate_body
from protocol.errors import ErrorCode, RemoteProtocolError
from protocol.schema_export import clean_descriptions, json_schemas

NODE = "ed25519:iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w"
OTHER = "ed25519:" + "B" * 42 + "A"
ALICE = f"alice@{NODE}"
BOB = f"bob@{NODE}"
ID1, ID2, ID3 = (sha256_id(bytes([i])) for i in range(3))
SIG = "A" * 86
TIME = "2026-11-22T10:00:00Z"

# One valid body for every kind, and for every variant of the kinds that have several.
VALID: list[tuple[str, dict[str, Any]]] = [
    ("circle", {"name": "General", "aim": "Coordinate the coalition."}),
    (
        "circle",
        {
            "name": "Housing",
            "aim": "Win rent control.",
            "domain": "housing",
            "parent": f"circle:general@{NODE}",
            "federated": True,
            "silence": "consent",
            "round_hours": 48,
        },
    ),
    ("membership", {"member": ALICE, "status": "active", "roles": ["leader", "secretary"]}),
    ("membership", {"member": NODE, "status": "removed", "term_end": "2027-01-31"}),
    ("proposal", {"title": "Budget", "text": "Spend it well."}),
    (
        "proposal",
        {
            "title": "Budget",
            "text": "Spend it better.",
            "root": ID1,
            "version": 2,
            "changes": "better",
            "review_date": "2027-06-01",
            "measures": ["spent"],
        },
    ),
    ("phase", {"proposal": ID1, "phase": "consent", "deadline": TIME, "note": "go"}),
    ("stance", {"proposal": ID1, "stance": "consent"}),
    ("stance", {"proposal": ID1, "stance": "object", "reason": "too expensive"}),
    (
        "decision",
        {
            "proposal": ID1,
            "outcome": "adopted",
            "stances": [ID2, ID3],
            "resolutions": [{"objection": ID2, "how": "amended", "version": ID3}],
            "silent": [BOB],
            "review_date": "2027-06-01",
            "measures": ["m"],
        },
    ),
    (
        "selection",
        {"op": "open", "role": "delegate", "description": "to the city", "term_months": 12},
    ),
    ("selection", {"op": "open", "role": "treasurer", "description": "", "term_months": 1}),
    ("selection", {"op": "nominate", "selection": ID1, "commitment": ID2}),
    (
        "selection",
        {"op": "reveal", "selection": ID1, "nomination": ID2, "nominee": BOB, "salt": "s" * 22},
    ),
    ("selection", {"op": "phase", "selection": ID1, "phase": "consent", "candidate": BOB}),
    ("selection", {"op": "stance", "selection": ID1, "candidate": BOB, "stance": "consent"}),
    (
        "selection",
        {
            "op": "result",
            "selection": ID1,
            "candidate": BOB,
            "term_start": "2026-12-01",
            "term_end": "2027-12-01",
            "stances": [ID2],
        },
    ),
    (
        "meeting",
        {
            "op": "schedule",
            "title": "Monthly",
            "starts": TIME,
            "agenda": [{"title": "Budget", "type": "decide", "proposal": ID1}],
        },
    ),
    (
        "meeting",
        {"op": "minutes", "meeting": ID1, "attendance": [ALICE, BOB], "agenda_consented": True},
    ),
    ("message", {"text": "hello"}),
    ("message", {"box": "c2VhbGVk", "thread": ID1, "purpose": "answer"}),
    # One body per object of kind campaign; tests/protocol/test_campaign_schemas.py has more.
    ("campaign", {"object": "campaign", "name": "Rent", "goal": "Rent control", "ref": ID1}),
    (
        "campaign",
        {
            "object": "target",
            "campaign": ID1,
            "name": "Mayor",
            "office_type": "mayor",
            "jurisdiction": "City",
            "term_end": "2028-01-01",
        },
    ),
    (
        "campaign",
        {"object": "demand", "campaign": ID1, "title": "Rents", "text": "Freeze", "target": ID2},
    ),
    (
        "campaign",
        {
            "object": "status",
            "campaign": ID1,
            "demand": ID2,
            "target": ID3,
            "status": "asked",
            "date": "2026-12-01",
            "evidence": {},
        },
    ),
    (
        "campaign",
        {
            "object": "commitment",
            "campaign": ID1,
            "target": ID2,
            "what": "A vote in May",
            "made": "2026-12-01",
        },
    ),
    (
        "campaign",
        {
            "object": "action",
            "campaign": ID1,
            "target": ID2,
            "channel": "call",
            "date": "2026-12-01",
        },
    ),
    (
        "campaign",
        {
            "object": "plan",
            "campaign": ID1,
            "title": "Call day",
            "channel": "call",
            "weekday": 1,
            "starts": "2026-12-01",
        },
    ),
    ("campaign", {"object": "pledge", "campaign": ID1, "plan": ID2, "date": "2026-12-08"}),
    (
        "campaign",
        {
            "object": "answer",
            "campaign": ID1,
            "target": ID2,
            "demand": ID3,
            "answer": "pledged",
            "evidence": {"quote": "Yes."},
        },
    ),
    ("key.rotate", {"new_key": NODE, "proof": SIG, "reason": "scheduled"}),
    ("retract", {"target": ID1}),
    ("retract", {"target": ID1, "reason": "posted by mistake", "decision": ID2}),
    ("home.vote", {"home": NODE, "to": OTHER, "pos": 41, "pos_id": ID1}),
    ("home.vote", {"home": NODE, "to": OTHER, "pos": 1, "pos_id": ID1, "withdrawn": True}),
]
IDS = [f"{kind}-{i}" for i, (kind, _) in enumerate(VALID)]


def code_of(kind: str, body: Any) -> ErrorCode:
    with pytest.raises(RemoteProtocolError) as info:
        validate_body(kind, body)
    return info.value.code


def schema_of(kind: str, body: dict[str, Any]) -> type[msgspec.Struct]:
    return type(validate_body(kind, body))


def test_every_kind_has_a_valid_body_here() -> None:
    assert {kind for kind, _ in VALID} == set(SCHEMAS)


@pytest.mark.parametrize(("kind", "body"), VALID, ids=IDS)
def test_valid_body_passes(kind: str, body: dict[str, Any]) -> None:
    typed = validate_body(kind, body)
    assert validate_body(kind, msgspec.to_builtins(typed)) == typed
    for name, value in body.items():
        if isinstance(value, str | int) and name not in ("op", "object"):
            assert msgspec.to_builtins(getattr(typed, name)) == value


@pytest.mark.parametrize(("kind", "body"), VALID, ids=IDS)
def test_unknown_field(kind: str, body: dict[str, Any]) -> None:
    assert code_of(kind, {**body, "unexpected": 1}) == ErrorCode.BODY_UNKNOWN_FIELD
    assert code_of(kind, {**body, "Text": "x"}) == ErrorCode.BODY_UNKNOWN_FIELD


@pytest.mark.parametrize(("kind", "body"), VALID, ids=IDS)
def test_missing_required_field(kind: str, body: dict[str, Any]) -> None:
    required = [f.name for f in msgspec.structs.fields(schema_of(kind, body)) if f.required]
    tag = [t for t in ("op", "object") if t in body]
    if kind != "message":  # a message's text and box are each optional, one is required
        assert required
    for name in required + tag:
        short = {k: v for k, v in body.items() if k != name}
        assert code_of(kind, short) == ErrorCode.BODY_MISSING_FIELD, name


@pytest.mark.parametrize(("kind", "body"), VALID, ids=IDS)
def test_wrong_type(kind: str, body: dict[str, Any]) -> None:
    for field in msgspec.structs.fields(schema_of(kind, body)):
        current = body.get(field.name, field.default)
        takes_int = any(
            isinstance(t, mi.IntType) for t in _leaf_types(mi.type_info(field.type), set())
        )
        wrong = "7" if isinstance(current, int) or takes_int else 7  # bool is an int here too
        assert code_of(kind, {**body, field.name: wrong}) == ErrorCode.BODY_INVALID, field.name
    for tag in ("op", "object"):
        if tag in body:
            assert code_of(kind, {**body, tag: "unknown"}) == ErrorCode.BODY_INVALID


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("circle", {"name": "", "aim": "x"}),
        ("circle", {"name": "x" * 201, "aim": "x"}),
        ("circle", {"name": "x", "aim": "x", "round_hours": 0}),
        ("circle", {"name": "x", "aim": "x", "round_hours": 2161}),
        ("circle", {"name": "x", "aim": "x", "federated": 1}),
        ("circle", {"name": "x", "aim": "x", "silence": "maybe"}),
        ("circle", {"name": "x", "aim": "x", "parent": ID1}),
        ("membership", {"member": "alice", "status": "active"}),
        ("membership", {"member": ALICE, "status": "active", "roles": [""]}),
        ("membership", {"member": ALICE, "status": "active", "term_end": "2027-02-30"}),
        ("phase", {"proposal": ID1, "phase": "consent", "deadline": "2026-11-22"}),
        ("stance", {"proposal": ID1[:-1], "stance": "consent"}),
        ("stance", {"proposal": ID1, "stance": "abstain"}),
        ("message", {"text": "x" * 20001}),
        ("message", {"box": "not base64!"}),
        (
            "selection",
            {"op": "reveal", "selection": ID1, "nomination": ID2, "nominee": BOB, "salt": "short"},
        ),
        ("key.rotate", {"new_key": NODE, "proof": "A" * 85}),
        ("key.rotate", {"new_key": NODE[:-1] + "B", "proof": SIG}),
        ("home.vote", {"home": NODE, "to": NODE, "pos": 41, "pos_id": ID1}),
        ("home.vote", {"home": NODE, "to": OTHER, "pos": 0, "pos_id": ID1}),
    ],
)
def test_value_out_of_range_or_format(kind: str, body: dict[str, Any]) -> None:
    assert code_of(kind, body) == ErrorCode.BODY_INVALID


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("stance", {"proposal": ID1, "stance": "object"}),
        ("stance", {"proposal": ID1, "stance": "concern", "reason": "  \n"}),
        ("selection", {"op": "stance", "selection": ID1, "candidate": BOB, "stance": "object"}),
        ("proposal", {"title": "t", "text": "x", "version": 2}),
        ("proposal", {"title": "t", "text": "x", "root": ID1}),
        ("proposal", {"title": "t", "text": "x", "root": ID1, "version": 1}),
        ("message", {"text": "hi", "box": "c2VhbGVk"}),
        ("message", {}),
        ("message", {"purpose": "chat"}),
        (
            "selection",
            {
                "op": "result",
                "selection": ID1,
                "candidate": BOB,
                "term_start": "2026-12-01",
                "term_end": "2026-12-01",
            },
        ),
        (
            "selection",
            {
                "op": "result",
                "selection": ID1,
                "candidate": BOB,
                "term_start": "2026-12-01",
                "term_end": "2026-11-30",
            },
        ),
        ("membership", {"member": ALICE, "status": "active", "roles": ["leader", "leader"]}),
        ("membership", {"member": NODE, "status": "active", "roles": ["delegate"]}),
        ("decision", {"proposal": ID1, "outcome": "adopted", "stances": [ID2, ID2]}),
        ("decision", {"proposal": ID1, "outcome": "adopted", "silent": [BOB, BOB]}),
        (
            "meeting",
            {"op": "minutes", "meeting": ID1, "attendance": [BOB, BOB], "agenda_consented": False},
        ),
    ],
)
def test_rules_beyond_types(kind: str, body: dict[str, Any]) -> None:
    assert code_of(kind, body) == ErrorCode.BODY_INVALID


@pytest.mark.parametrize("kind", ["", "Message", "messages", "key", "retract ", "envelope"])
def test_unknown_kind(kind: str) -> None:
    assert code_of(kind, {"text": "hi"}) == ErrorCode.UNKNOWN_KIND


def test_json_schemas_cover_every_kind() -> None:
    schemas = json_schemas()
    assert set(schemas["kinds"]) == set(SCHEMAS)
    assert all(schemas["kinds"][kind] for kind in SCHEMAS)
    assert schemas["$defs"]
    assert msgspec.json.decode(msgspec.json.encode(schemas)) == schemas


def _leaf_types(t: object, seen: set[int]) -> list[object]:
    """Every leaf type reachable from a msgspec type, with its constraints."""
    import msgspec.inspect as mi

    if id(t) in seen:
        return []
    seen.add(id(t))
    if isinstance(t, mi.Metadata):
        return _leaf_types(t.type, seen)
    if isinstance(t, mi.StructType):
        return [leaf for f in t.fields for leaf in _leaf_types(f.type, seen)]
    if isinstance(t, mi.UnionType):
        return [leaf for x in t.types for leaf in _leaf_types(x, seen)]
    if isinstance(t, mi.ListType):
        return _leaf_types(t.item_type, seen)
    return [t]


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_every_body_field_lies_inside_the_canonical_subset(kind: str) -> None:
    """parse_envelope's fast path skips the subset walk of bodies because their schemas
    admit nothing outside it: no Any, no floats, no dicts of free keys, bounded ints."""
    import msgspec.inspect as mi

    from protocol.canonical import MAX_INT

    allowed = (mi.StrType, mi.BoolType, mi.NoneType, mi.LiteralType, mi.DateType)
    for leaf in _leaf_types(mi.type_info(SCHEMAS[kind]), set()):
        if isinstance(leaf, mi.IntType):
            assert leaf.ge is not None, f"{kind}: int without a lower bound"
            assert leaf.le is not None, f"{kind}: int without an upper bound"
            assert leaf.ge >= -MAX_INT, f"{kind}: int below -(2^53-1)"
            assert leaf.le <= MAX_INT, f"{kind}: int beyond 2^53-1"
        else:
            assert isinstance(leaf, allowed), f"{kind}: {leaf!r} may lie outside the subset"


def test_published_descriptions_do_not_depend_on_how_msgspec_spells_docstrings() -> None:
    indented = {"A": {"title": "A", "description": "First line\n    second line."}}
    assert clean_descriptions(indented)["A"]["description"] == "First line\nsecond line."
    for name, component in json_schemas()["$defs"].items():
        if "description" in component:
            assert component["description"] == inspect.cleandoc(component["description"]), name
