"""Which version of each campaign object the circle adopted, and which are drafts
(PROTOCOL.md §13.11); and the check of a decision's ``adopts`` list.

A version is adopted when a decision adopting a proposal version that names it is
applied. An object's adopted version is the latest adopted one in the circle order; the
object is a draft while its latest version is not adopted, and then, if it has an adopted
version, that latest version is a proposed change. Retracted versions count for nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from node.domain.errors import DomainError
from protocol.campaigns import ADOPTABLE
from protocol.errors import ErrorCode


@dataclass(frozen=True, slots=True)
class VersionRow:
    """One version (envelope) of a campaign object, at its position of the circle order."""

    envelope: str
    object: str
    object_type: str
    position: int
    retracted: bool = False


@dataclass(frozen=True, slots=True)
class Adoption:
    """An object's latest version and its adopted one (None: never adopted)."""

    object: str
    latest: str
    adopted: str | None

    @property
    def draft(self) -> bool:
        """The latest version is not adopted: members see it as a draft."""
        return self.latest != self.adopted

    @property
    def proposed_change(self) -> bool:
        """An adopted version stands, and a later one awaits a decision."""
        return self.adopted is not None and self.latest != self.adopted


def adoptions(versions: Iterable[VersionRow], adopted: Collection[str]) -> dict[str, Adoption]:
    """Each object's Adoption, by object id; ``adopted`` holds the adopted envelope ids."""
    latest: dict[str, VersionRow] = {}
    standing: dict[str, VersionRow] = {}
    for v in versions:
        if v.retracted:
            continue
        if v.object not in latest or v.position > latest[v.object].position:
            latest[v.object] = v
        if v.envelope in adopted and (
            v.object not in standing or v.position > standing[v.object].position
        ):
            standing[v.object] = v
    return {
        oid: Adoption(oid, row.envelope, standing[oid].envelope if oid in standing else None)
        for oid, row in latest.items()
    }


def check_adopts(adopts: Iterable[str], versions: Mapping[str, VersionRow]) -> None:
    """Raise DomainError ``consent.unknown_object`` unless every id of ``adopts`` is a
    version of a campaign, target, demand or article of the circle (``versions``, by envelope id)
    whose body is held."""
    for envelope in adopts:
        found = versions.get(envelope)
        if found is None or found.retracted or found.object_type not in ADOPTABLE:
            raise DomainError(
                ErrorCode.CONSENT_UNKNOWN_OBJECT,
                f"{envelope} is not a campaign, target, demand or article of this circle",
            )
