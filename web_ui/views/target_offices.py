"""A target's offices in its form, without JavaScript: a row of fields per office it has
(``office-N-classification``, ``-address``, ``-phone``, and ``-remove`` to drop it), one
blank row to add another, up to the protocol's limit (``offices`` of a target)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web_ui.forms import Form, FormState, limit

#: At most this many offices a target (the protocol's ``max_length``).
MAX_OFFICES: int = limit("campaign.target.offices").max_length or 20


@dataclass(frozen=True, slots=True)
class OfficeRow:
    """One row of the form: ``n`` numbers its fields' names; ``new`` is the blank row."""

    n: int
    classification: str = ""
    address: str = ""
    phone: str = ""
    new: bool = False


def _posted_rows(posted: Any) -> list[int]:
    """The numbers of the rows posted (one more than the limit, to notice too many)."""
    fields = ("classification", "address", "phone")
    return [n for n in range(MAX_OFFICES + 1) if any(f"office-{n}-{k}" in posted for k in fields)]


def office_rows(offices: Any, refused: FormState | None) -> list[OfficeRow]:
    """The rows to show: those posted when the form was refused (with what was typed),
    else the target's offices; then a blank row while there is room for one."""
    if refused is not None and refused.posted is not None:
        posted = refused.posted
        rows = [
            OfficeRow(
                n,
                posted.get(f"office-{n}-classification", ""),
                posted.get(f"office-{n}-address", ""),
                posted.get(f"office-{n}-phone", ""),
                new=bool(posted.get(f"office-{n}-new")),
            )
            for n in _posted_rows(posted)
        ]
    else:
        rows = [OfficeRow(n, o.classification, o.address, o.voice) for n, o in enumerate(offices)]
    if len(rows) < MAX_OFFICES and not any(r.new for r in rows):
        rows.append(OfficeRow(max((r.n for r in rows), default=-1) + 1, new=True))
    return rows


def read_offices(form: Form) -> list[dict[str, str]]:
    """The offices the form describes, in its order: rows marked for removal, and rows
    with neither an address nor a phone, left out."""
    bounds = limit("campaign.office.field")
    offices = []
    for place, n in enumerate(_posted_rows(form.posted), start=1):
        which = f"office {place}"
        office = {
            "classification": form.text(f"office-{n}-classification", f"kind of {which}", bounds),
            "address": form.text(f"office-{n}-address", f"address of {which}", bounds),
            "voice": form.text(f"office-{n}-phone", f"phone of {which}", bounds),
        }
        if form.raw(f"office-{n}-remove") or not (office["address"] or office["voice"]):
            continue
        offices.append(office)
    if len(offices) > MAX_OFFICES:
        form.fail("", f"A target has at most {MAX_OFFICES} offices: remove one to add another.")
    return offices


__all__ = ["MAX_OFFICES", "OfficeRow", "office_rows", "read_offices"]
