"""Structural proposals in plain words (PROTOCOL.md §13.14): the choices the new-proposal
form offers (who, what status, which roles; the charter), the changes a posted form
asks for, and what a proposal would do, as sentences ("invite the node of Org B")."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from node.domain.circles import CircleState
from protocol import scope_owner
from protocol.ids import NODE_PREFIX
from web_ui.forms import Form
from web_ui.limits import limit

SILENCE_WORDS = {"absent": "absence", "consent": "consent", "object": "an objection"}
Org = Callable[[str], str]


def person(actor: str, org: Org) -> str:
    """``ana (Org A)``: a person by handle and organization."""
    handle, _, node = actor.partition("@")
    return f"{handle} ({org(node)})"


def who(member: str, org: Org) -> str:
    return f"the node of {org(member)}" if member.startswith(NODE_PREFIX) else person(member, org)


def member_choices(
    circle: CircleState, peers: Sequence[str], locals_: Sequence[str], org: Org
) -> list[tuple[str, str]]:
    """(value, label) of everyone a structural change may name: the circle's members,
    linked organizations' nodes and this node's members not in it yet."""
    held = {m.member for m in circle.members.values() if m.active or m.invited}
    options = [("", "No change of members")]
    options += [(m, who(m, org)) for m in sorted(held) if m != circle.home]
    options += [(p, f"the node of {org(p)} (not in the circle)") for p in peers if p not in held]
    options += [(a, f"{person(a, org)} (not in the circle)") for a in locals_ if a not in held]
    return options


def home_choices(circle: CircleState, org: Org) -> list[tuple[str, str]]:
    """(value, label) of the nodes a charter change may make the circle's home
    (§13.15): the current home first, then every other member node."""
    nodes = {
        m.member for m in circle.members.values() if m.active and m.member.startswith(NODE_PREFIX)
    }
    nodes.add(scope_owner(circle.id))
    options = [(circle.home, f"keep the home at {org(circle.home)}")]
    options += [(n, f"move the circle's home to {org(n)}") for n in sorted(nodes - {circle.home})]
    return options


def posted_structure(
    form: Form, circle: CircleState, charter: Mapping[str, Any], options: Sequence[str]
) -> list[dict[str, Any]]:
    """The structural changes a posted new-proposal form asks for (checked by ``form``)."""
    changes: list[dict[str, Any]] = []
    member = form.choice("structure_member", "member to change", options, required=False)
    if member:
        status = form.choice("structure_status", "change", ("active", "removed"))
        roles = [r for r in form.posted.getall("structure_roles", []) if r in circle.seats]
        node = member.startswith(NODE_PREFIX)
        change: dict[str, Any] = {"op": "member", "member": member, "status": status}
        if roles and status == "active" and not node:
            change["roles"] = roles
        changes.append(change)
    if form.raw("charter_change"):
        aim = form.text("charter_aim", "aim", limit("circle.aim"), required=True)
        domain = form.text("charter_domain", "domain", limit("circle.domain"))
        hours = form.number("charter_round_hours", "round length", limit("phase.hours"))
        silence = form.choice("charter_silence", "silence rule", tuple(SILENCE_WORDS))
        homes = [v for v, _ in home_choices(circle, str)]
        home = form.choice("charter_home", "home", homes, required=False) or circle.home
        # What the form does not show (quorum, role register, home timeout) stays as the
        # charter in force has it.
        body: dict[str, Any] = {
            k: v for k, v in (charter.get("charter") or {}).items() if k not in ("home", "parent")
        }
        body.update(
            name=charter["name"],
            aim=aim,
            domain=domain,
            federated=bool(charter["federated"]),
            silence=silence,
            round_hours=hours,
        )
        if charter.get("parent"):
            body["parent"] = charter["parent"]
        if home != scope_owner(circle.id):
            body["home"] = home  # null names the node the circle id names
        changes.append({"op": "charter", "charter": body})
    return changes


def describe(
    changes: Sequence[Mapping[str, Any]],
    circle: CircleState,
    charter: Mapping[str, Any],
    org: Org,
) -> list[str]:
    """What the changes would do to the circle, one plain sentence each."""
    words: list[str] = []
    for change in changes:
        if change.get("op") == "charter":
            new = change.get("charter") or {}
            said = _charter_words(new, charter)
            home = str(new.get("home") or scope_owner(circle.id))
            if home != circle.home:
                said.append(f"move the circle's home to {org(home)}")
            words += said or ["restate the charter unchanged"]
            continue
        member = str(change.get("member", ""))
        roles = list(change.get("roles", []))
        held = circle.members.get(member)
        inside = held is not None and (held.active or held.invited)
        if change.get("status") == "removed":
            words.append(f"remove {who(member, org)} from the circle")
        elif member.startswith(NODE_PREFIX):
            words.append(f"invite the node of {org(member)}")
        elif not inside:
            as_roles = f" as {_and(roles)}" if roles else ""
            words.append(f"add {person(member, org)} to the circle{as_roles}")
        elif roles:
            words.append(f"give {person(member, org)} the roles: {_and(roles)}")
        else:
            words.append(f"take every role from {person(member, org)}")
    return words


def _charter_words(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[str]:
    words = []
    if new.get("name", old["name"]) != old["name"]:
        words.append(f"rename the circle to “{new['name']}”")
    if new.get("aim", old["aim"]) != old["aim"]:
        words.append(f"change the aim to “{new['aim']}”")
    if new.get("domain", "") != (old.get("domain") or ""):
        words.append(f"change the domain to “{new.get('domain', '')}”")
    hours = new.get("round_hours", 72)
    if hours != old["round_hours"]:
        words.append(f"change the round length from {old['round_hours']} to {hours} hours")
    silence = new.get("silence", "absent")
    if silence != old["silence"]:
        words.append(
            f"count silence as {SILENCE_WORDS[silence]}"
            f" instead of {SILENCE_WORDS.get(old['silence'], old['silence'])}"
        )
    if bool(new.get("federated", False)) != bool(old["federated"]):
        words.append(
            "open the circle to other organizations"
            if new.get("federated")
            else "close the circle to other organizations"
        )
    return words


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
