"""Field limits taken from the protocol's body schemas: how long a field's text may be,
the pattern it must match, the range of a number; the same numbers the templates put in
``maxlength``, ``pattern`` and ``min``/``max`` and ``web_ui.forms`` checks a posted form
against."""

from __future__ import annotations

import types
from dataclasses import dataclass, replace
from typing import Annotated, Any, Final, Literal, Union, get_args, get_origin

import msgspec

from node.domain.members import MIN_PASSWORD
from protocol.campaigns import (
    Action,
    Article,
    Campaign,
    Candidacy,
    Commitment,
    Demand,
    Evidence,
    Office,
    Plan,
    Position,
    Source,
    Target,
)
from protocol.fields import END
from protocol.ids import HANDLE_PATTERN
from protocol.schemas import (
    AgendaItem,
    CircleBody,
    DecisionBody,
    MeetingMinutes,
    MeetingSchedule,
    MessageBody,
    ProposalBody,
    SelectionOpen,
    SelectionReveal,
    SelectionStance,
    StanceBody,
)


@dataclass(frozen=True, slots=True)
class Limit:
    """How long a field's text may be (None: no bound) and the pattern it must match."""

    max_length: int | None = None
    min_length: int | None = None
    pattern: str | None = None
    least: int | None = None  # for numbers
    most: int | None = None
    hint: str = ""  # what the pattern allows, in words

    @property
    def html_pattern(self) -> str | None:
        """The pattern as an HTML ``pattern`` attribute takes it (browsers compile it
        with the v flag, which wants a hyphen at the end of a class escaped)."""
        return None if self.pattern is None else self.pattern.replace("-]", r"\-]")


def _limit_of(tp: Any) -> Limit | None:
    origin = get_origin(tp)
    if origin is Annotated:
        base, *metas = get_args(tp)
        for meta in metas:
            if isinstance(meta, msgspec.Meta):
                if base is int:
                    least = meta.ge if isinstance(meta.ge, int) else None
                    most = meta.le if isinstance(meta.le, int) else None
                    return Limit(least=least, most=most)
                return Limit(meta.max_length, meta.min_length, _bare(meta.pattern))
        return None
    if origin in (Union, types.UnionType) or origin is list:
        for arg in get_args(tp):
            if get_origin(arg) is Literal or arg is type(None):
                continue
            found = _limit_of(arg)
            if found is not None:
                return found
    return None


def _bare(pattern: str | None) -> str | None:
    """A schema's pattern as ``re.fullmatch`` and HTML take it: without its anchors."""
    if pattern is None:
        return None
    return pattern.removeprefix("^").removesuffix(END)


def schema_limit(schema: Any, name: str) -> Limit:
    """The bounds of field ``name`` of a body schema (for a list, of each item)."""
    for f in msgspec.structs.fields(schema):
        if f.name == name:
            found = _limit_of(f.type)
            if found is None:
                raise LookupError(f"{schema.__name__}.{name} has no limit")
            return found
    raise LookupError(f"{schema.__name__} has no field {name}")


LIMITS: Final[dict[str, Limit]] = {
    "proposal.title": schema_limit(ProposalBody, "title"),
    "proposal.text": schema_limit(ProposalBody, "text"),
    "proposal.changes": schema_limit(ProposalBody, "changes"),
    "proposal.measure": schema_limit(ProposalBody, "measures"),
    "stance.reason": schema_limit(StanceBody, "reason"),
    "decision.statement": schema_limit(DecisionBody, "statement"),
    "decision.rationale": schema_limit(DecisionBody, "rationale"),
    "message.text": schema_limit(MessageBody, "text"),
    "selection.role": schema_limit(SelectionOpen, "role"),
    "selection.description": schema_limit(SelectionOpen, "description"),
    "selection.term_months": schema_limit(SelectionOpen, "term_months"),
    "selection.reason": schema_limit(SelectionReveal, "reason"),
    "selection.stance_reason": schema_limit(SelectionStance, "reason"),
    "meeting.title": schema_limit(MeetingSchedule, "title"),
    "agenda.title": schema_limit(AgendaItem, "title"),
    "minutes.opening": schema_limit(MeetingMinutes, "opening"),
    "minutes.closing": schema_limit(MeetingMinutes, "closing"),
    # Not in any envelope: this node's own accounts and links.
    "member.handle": Limit(
        32, 1, HANDLE_PATTERN, hint="lower-case letters, digits and . _ - (first a letter or digit)"
    ),
    "member.display_name": Limit(200, 1),
    "member.password": Limit(1000, MIN_PASSWORD),
    "login.handle": Limit(64),
    "login.password": Limit(1000),
    "login.code": Limit(12),
    "member.email": Limit(254, 3),
    "link.note": Limit(200),
    "link.invite": Limit(4000),
    "phase.hours": schema_limit(CircleBody, "round_hours"),
    "circle.aim": schema_limit(CircleBody, "aim"),
    "circle.domain": schema_limit(CircleBody, "domain"),
}
_URLS = ("url", "target.contact_form", "target.website", "target.platform_url", "target.photo_url")
# The campaign objects' fields, as "campaign.<object>.<field>" (PROTOCOL.md §8.13).
_CAMPAIGN_FIELDS: Final = {
    Campaign: ("name", "goal", "description", "pressure_days"),
    Target: ("name", "given_name", "family_name", "office_type", "title", "jurisdiction",
             "ocd_division", "party", "email", "contact_form", "website", "platform_url",
             "photo_url", "notes"),
    Demand: ("title", "text", "reasoning", "script"),
    Commitment: ("what",),
    Action: ("outcome", "response", "notes"),
    Plan: ("title", "weekday", "script"),
    Article: ("title", "slug", "summary", "body"),
}  # fmt: skip
for _schema, _names in _CAMPAIGN_FIELDS.items():
    _object = _schema.__struct_config__.tag
    LIMITS.update({f"campaign.{_object}.{n}": schema_limit(_schema, n) for n in _names})
LIMITS.update(
    {
        "campaign.office.field": schema_limit(Office, "address"),
        "campaign.target.offices": schema_limit(Target, "offices"),  # how many
        "campaign.url": schema_limit(Source, "url"),
        "campaign.evidence.quote": schema_limit(Evidence, "quote"),
        "campaign.evidence.note": schema_limit(Evidence, "note"),
        "campaign.position.text": schema_limit(Position, "text"),
        # Needed only with an election date: the form says so, not the field.
        "campaign.candidacy.office": replace(schema_limit(Candidacy, "office"), min_length=None),
        "campaign.candidacy.district": schema_limit(Candidacy, "district"),
    }
)
# What the campaign fields' patterns allow, in words.
for _name, _hint in (
    ("campaign.target.office_type", "lower-case letters, digits and _ (first a letter)"),
    ("campaign.target.ocd_division", "an id like ocd-division/country:us/state:mn/place:riverton"),
    *((f"campaign.{u}", "a web address starting with https://") for u in _URLS),
):
    LIMITS[_name] = replace(LIMITS[_name], hint=_hint)


def limit(name: str) -> Limit:
    """A named field limit (templates call this for ``maxlength`` and ``required``)."""
    return LIMITS[name]


__all__ = ["LIMITS", "Limit", "limit", "schema_limit"]
