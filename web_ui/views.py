"""The web UI's views. Every one is registered in ``routes`` through ``page(role)``."""

from __future__ import annotations

import datetime as dt
import difflib
import secrets
from collections.abc import Callable
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from node.accounts import SESSION_DAYS
from node.domain.consent import PHASE_TRANSITIONS
from node.domain.errors import DomainError
from node.service import Node
from protocol.ids import NODE_PREFIX
from web_ui.app import COOKIE, FORM, NODE_KEY, THROTTLE, back, render, session_of

STANCE_LABELS = {"consent": "Consent", "concern": "Consent with concern", "object": "Objection"}
# The phases a facilitator may move a proposal to, in the order the process goes.
_PHASE_ORDER = (
    "presented",
    "questions",
    "reactions",
    "consent",
    "integrating",
    "withdrawn",
    "referred",
)
NEXT_PHASE = {
    phase: [p for p in _PHASE_ORDER if p in following]
    for phase, following in PHASE_TRANSITIONS.items()
}


# --- helpers -------------------------------------------------------------------------------


def short(value: str | None) -> str:
    """A long id shortened for display (the full id stays in links and titles)."""
    if not value:
        return ""
    if "@" in value:
        handle, _, node = value.partition("@")
        return f"{handle}@{node[8:14]}" if node.startswith(NODE_PREFIX) else value
    return value[:14] + "…" if len(value) > 16 else value


def when(value: str | None) -> str:
    if not value:
        return ""
    return value.replace("T", " ")[:16] + " UTC"


def org_name(app: web.Application, node_id: str) -> str:
    """The organization a node id belongs to: this node's name, or a linked peer's."""
    node = app[NODE_KEY]
    return node.org_names().get(node_id) or node_id[8:16]


def _node(request: web.Request) -> Node:
    return request.app[NODE_KEY]


def _form(request: web.Request) -> MultiDictProxy[Any]:
    form = request[FORM]
    assert isinstance(form, MultiDictProxy)
    return form


def _field(request: web.Request, name: str, limit: int = 20000) -> str:
    value = str(_form(request).get(name, "")).strip()
    if len(value) > limit:
        raise DomainError("form.too_long", f"{name} is over {limit} characters")
    return value


def _ensure(value: Any, what: str) -> Any:
    if value is None:
        raise web.HTTPNotFound(text=f"no such {what}")
    return value


# --- login ---------------------------------------------------------------------------------


async def login_form(request: web.Request) -> web.Response:
    csrf = request.cookies.get("nst_csrf") or secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        {"csrf": csrf, "next": request.query.get("next", "/"), "error": None},
    )
    response.set_cookie("nst_csrf", csrf, httponly=True, samesite="Strict", secure=_secure(request))
    return response


def _secure(request: web.Request) -> bool:
    return _node(request).config.url.startswith("https://")


async def login(request: web.Request) -> web.Response:
    node = _node(request)
    handle = _field(request, "handle", 64).lower()
    password = str(_form(request).get("password", ""))
    target = str(_form(request).get("next", "/"))
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    address = request.remote or "?"
    throttle = request.app[THROTTLE]
    csrf = request.cookies.get("nst_csrf", "")
    if throttle.blocked(handle, address):
        response = render(
            request,
            "login.html",
            {"csrf": csrf, "next": target, "error": "Too many failed logins; wait a while."},
        )
        response.set_status(429)
        response.headers["Retry-After"] = "900"
        return response
    member = await node.check_login(handle, password) if handle and password else None
    if member is None:
        throttle.failed(handle, address)
        response = render(
            request,
            "login.html",
            {"csrf": csrf, "next": target, "error": "Wrong handle or password."},
        )
        response.set_status(401)
        return response
    throttle.succeeded(handle)
    token, _ = await node.accounts.start_session(member.handle)
    response = web.HTTPSeeOther(target)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="Lax",
        secure=_secure(request),
        max_age=SESSION_DAYS * 86400,
        path="/",
    )
    raise response


async def logout(request: web.Request) -> web.Response:
    await _node(request).accounts.end_session(session_of(request).token_hash)
    response = web.HTTPSeeOther("/login")
    response.del_cookie(COOKIE, path="/")
    raise response


async def password_form(request: web.Request) -> web.Response:
    return render(request, "password.html", {})


async def password(request: web.Request) -> web.Response:
    me = session_of(request).member
    new = str(_form(request).get("new", ""))
    if new != str(_form(request).get("repeat", "")):
        raise back(request, "/password", DomainError("member.mismatch", "The passwords differ."))
    try:
        await _node(request).accounts.change_password(
            me.handle, str(_form(request).get("current", "")), new
        )
    except DomainError as exc:
        raise back(request, "/password", exc) from None
    response = web.HTTPSeeOther("/login")
    response.del_cookie(COOKIE, path="/")
    raise response


# --- home ----------------------------------------------------------------------------------


async def home(request: web.Request) -> web.Response:
    node = _node(request)
    handle = session_of(request).member.handle
    agenda = await node.gov.agenda(node.actor_of(handle))
    messages = await node.notifications.unread_messages(handle)
    return render(request, "home.html", {**agenda, "new_messages": messages})


# --- circles -------------------------------------------------------------------------------


async def circles(request: web.Request) -> web.Response:
    node = _node(request)
    rows = await node.circles()
    children: dict[str | None, list[dict[str, Any]]] = {}
    for row in rows:
        children.setdefault(row["parent"], []).append(row)
    known = {r["id"] for r in rows}
    roots = [r for r in rows if r["parent"] is None or r["parent"] not in known]
    return render(request, "circles.html", {"roots": roots, "children": children})


async def circle(request: web.Request) -> web.Response:
    node = _node(request)
    circle_id = request.match_info["circle"]
    state = _ensure(await node.circle(circle_id), "circle")
    actor = node.actor_of(session_of(request).member.handle)
    by_org: dict[str, list[Any]] = {}
    for m in sorted(state.members.values(), key=lambda m: m.member):
        if not m.active:
            continue
        org = m.member if m.member.startswith(NODE_PREFIX) else m.member.partition("@")[2]
        by_org.setdefault(org, []).append(m)
    proposals = await node.gov.proposals(circle_id)
    rows = await node.circles()
    parent = next((r for r in rows if r["id"] == state.parent), None)
    subs = [r for r in rows if r["parent"] == circle_id]
    return render(
        request,
        "circle.html",
        {
            "circle": state,
            "charter": next(r for r in rows if r["id"] == circle_id),
            "by_org": by_org,
            "is_member": state.is_active(actor),
            "is_home": state.home == node.node_id,
            "open": [p for p in proposals if p["outcome"] is None],
            "decided": [p for p in proposals if p["outcome"] is not None],
            "elections": await node.gov.selections(circle_id),
            "meetings": await node.gov.meetings(circle_id),
            "logbook": await node.gov.logbook(circle_id),
            "parent": parent,
            "subs": subs,
        },
    )


async def new_proposal(request: web.Request) -> web.Response:
    node = _node(request)
    circle_id = request.match_info["circle"]
    handle = session_of(request).member.handle
    try:
        review = _field(request, "review_date", 10)
        root = await node.gov.propose(
            circle_id,
            handle,
            _field(request, "title", 200),
            _field(request, "text"),
            review_date=dt.date.fromisoformat(review) if review else None,
            measures=[m for m in _field(request, "measures").splitlines() if m.strip()],
        )
    except DomainError as exc:
        raise back(request, f"/circles/{circle_id}#new", exc) from None
    except ValueError:
        raise back(
            request,
            f"/circles/{circle_id}#new",
            DomainError("form.bad_date", "The review date is not a date (YYYY-MM-DD)."),
        ) from None
    raise web.HTTPSeeOther(f"/proposals/{root}")


# --- proposals -----------------------------------------------------------------------------


_DIFF_TAGS = {"+": "added", "-": "removed", " ": "same"}


def _diff(old: str, new: str) -> list[tuple[str, str]]:
    """The lines of ``new`` against ``old``: (added | removed | same, text)."""
    return [
        (_DIFF_TAGS[line[:1]], line[2:])
        for line in difflib.ndiff(old.splitlines(), new.splitlines())
        if line[:1] in _DIFF_TAGS
    ]


async def proposal(request: web.Request) -> web.Response:
    node = _node(request)
    root = request.match_info["root"]
    view = _ensure(await node.gov.proposal(root), "proposal")
    state = view.state
    circle_state = _ensure(await node.circle(view.circle_id), "circle")
    actor = node.actor_of(session_of(request).member.handle)
    versions = []
    previous = ""
    for v in state.history:
        text = view.texts.get(v.id, "")
        versions.append(
            {"v": v, "text": text, "diff": _diff(previous, text) if v.number > 1 else []}
        )
        previous = text
    stances = sorted(state.stances.values(), key=lambda s: s.member)
    voters = sorted(m.member for m in circle_state.members.values() if m.active and "@" in m.member)
    refused = [e for e in view.effects if e.status != "applied"]
    decision = next(
        (e for e in view.effects if e.kind == "decision" and e.status == "applied"), None
    )
    is_facilitator = actor in circle_state.holders("facilitator")
    return render(
        request,
        "proposal.html",
        {
            "state": state,
            "circle": circle_state,
            "versions": versions,
            "current_text": view.texts.get(state.version_id, ""),
            "stances": stances,
            "voters": voters,
            "silent": [m for m in voters if m not in state.stances],
            "labels": STANCE_LABELS,
            "my_stance": state.stances.get(actor),
            "is_member": circle_state.is_active(actor),
            "is_facilitator": is_facilitator,
            "can_amend": (actor == state.proposer or is_facilitator)
            and state.phase in ("draft", "presented", "questions", "reactions", "integrating"),
            "next_phases": NEXT_PHASE.get(state.phase, []) if state.outcome is None else [],
            "discussion": await node.gov.discussion(root, view),
            "refused": refused,
            "decision": decision,
            "pending": view.pending,
            "disputes": await node.gov.disputes(root),
        },
    )


async def _act(request: web.Request, fn: Callable[[str], Any]) -> web.Response:
    root = request.match_info["root"]
    try:
        await fn(session_of(request).member.handle)
    except DomainError as exc:
        raise back(request, f"/proposals/{root}", exc) from None
    raise web.HTTPSeeOther(f"/proposals/{root}")


async def stance(request: web.Request) -> web.Response:
    gov = _node(request).gov
    version = _field(request, "version", 100)
    value = _field(request, "stance", 20)
    reason = _field(request, "reason")
    return await _act(request, lambda h: gov.stance(version, h, value, reason))


async def move(request: web.Request) -> web.Response:
    gov = _node(request).gov
    root = request.match_info["root"]
    phase = _field(request, "phase", 20)
    hours = _field(request, "hours", 5)
    deadline = None
    if phase == "consent" and hours:
        try:
            deadline = _node(request).clock.now() + dt.timedelta(hours=int(hours))
        except ValueError:
            raise back(
                request, f"/proposals/{root}", DomainError("form.bad_hours", "Hours: a number.")
            ) from None
    return await _act(request, lambda h: gov.move(root, h, phase, deadline=deadline))


async def amend(request: web.Request) -> web.Response:
    gov = _node(request).gov
    root = request.match_info["root"]
    title, text = _field(request, "title", 200), _field(request, "text")
    changes = _field(request, "changes")
    return await _act(request, lambda h: gov.amend(root, h, title, text, changes))


async def decide(request: web.Request) -> web.Response:
    gov = _node(request).gov
    root = request.match_info["root"]
    return await _act(request, lambda h: gov.decide(root, h))


async def discuss(request: web.Request) -> web.Response:
    gov = _node(request).gov
    purpose = _field(request, "purpose", 20)
    target = _field(request, "target", 100)
    text = _field(request, "text")
    if purpose == "answer":
        return await _act(request, lambda h: gov.answer(target, h, text))
    if purpose == "reaction":
        return await _act(request, lambda h: gov.react(target, h, text))
    return await _act(request, lambda h: gov.ask(target, h, text))


# --- admin ---------------------------------------------------------------------------------


async def admin(request: web.Request) -> web.Response:
    node = _node(request)
    status = await node.status()
    return render(
        request,
        "admin.html",
        {
            "members": await node.members(),
            "status": status,
            "disputes": status["disputes"],
            "invites": await node.accounts.invitations(),
            "links": node.links is not None,
            "link_invites": await node.link_invites(),
            "settings": {
                "Name": node.config.name,
                "Public URL": node.config.url,
                "Listening on": f"{node.config.listen_host}:{node.config.listen_port}",
                "Development mode": "on" if node.config.dev_mode else "off",
                "Metrics": "public" if node.config.metrics_public else "loopback only",
            },
        },
    )


def routes(app: web.Application, page: Any, live: Any) -> None:
    get, post = app.router.add_get, app.router.add_post
    get("/login", page("public")(login_form))
    post("/login", page("public")(login))
    post("/logout", page("member")(logout))
    get("/password", page("member")(password_form))
    post("/password", page("member")(password))
    get("/", page("member")(home))
    get("/circles", page("member")(circles))
    get("/circles/{circle}", page("member")(circle))
    post("/circles/{circle}/proposals", page("member")(new_proposal))
    get("/proposals/{root}", page("member")(proposal))
    post("/proposals/{root}/stance", page("member")(stance))
    post("/proposals/{root}/move", page("member")(move))
    post("/proposals/{root}/amend", page("member")(amend))
    post("/proposals/{root}/decide", page("member")(decide))
    post("/proposals/{root}/discuss", page("member")(discuss))
    get("/admin", page("admin")(admin))
    get("/live", page("member")(live))
