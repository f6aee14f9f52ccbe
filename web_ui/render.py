"""Pages from templates (jinja2, autoescaped, strict about unknown names): ``render`` gives
every template what the site's layout needs (the member, the CSRF token, notes for this
page, a refused form), and the filters show ids and times to people."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from node.accounts import Session
from protocol.ids import NODE_PREFIX
from web_ui.context import FLASH, NODE_KEY, REFUSED, SESSION, UNREAD
from web_ui.forms import FormState, blank, limit


def short(value: str | None) -> str:
    """A long id shortened for display (the full id stays in links and titles)."""
    if not value:
        return ""
    if "@" in value:
        handle, _, node = value.partition("@")
        return f"{handle}@{node[8:14]}" if node.startswith(NODE_PREFIX) else value
    return value[:14] + "…" if len(value) > 16 else value


def when(value: str | None) -> str:
    """A timestamp as people read it: date, hours and minutes, UTC."""
    if not value:
        return ""
    return value.replace("T", " ")[:16] + " UTC"


def org_name(app: web.Application, node_id: str) -> str:
    """The organization a node id belongs to: this node's name, or a linked peer's."""
    node = app[NODE_KEY]
    return node.org_names().get(node_id) or node_id[8:16]


def person(app: web.Application, actor: str) -> str:
    """A person as pages name them: a member of this node by display name, anyone else
    by handle (the organization is shown beside it)."""
    node = app[NODE_KEY]
    handle, _, node_id = actor.partition("@")
    if not node_id:
        return org_name(app, actor)
    if node_id == node.node_id:
        return node.people_names().get(handle) or handle
    return handle


def named(app: web.Application, actor: str) -> str:
    """A person named on their own: "Ana" for this node's member, "ben (Node B)" for
    another organization's."""
    handle, _, node_id = actor.partition("@")
    if not node_id or node_id == app[NODE_KEY].node_id:
        return person(app, actor)
    return f"{handle} ({org_name(app, node_id)})"


def setup_templates(app: web.Application) -> None:
    """Load the templates of ``web_ui/templates`` for ``app``, with the site's filters."""
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("web_ui", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
        auto_reload=False,
    )
    env.filters["short"] = short
    env.filters["when"] = when
    env.filters["short_pair"] = lambda value: (value, named(app, value))
    env.filters["date"] = lambda d: "" if d is None else str(d)
    env.globals["org_name"] = lambda node_id: org_name(app, node_id)
    env.globals["person"] = lambda actor: person(app, actor)
    env.globals["named"] = lambda actor: named(app, actor)
    env.globals["limit"] = limit


def render(request: web.Request, template: str, context: dict[str, Any]) -> web.Response:
    """The page of ``template`` for ``context``, with what the site's layout shows."""
    found = request.get(SESSION)
    session = found if isinstance(found, Session) else None
    node = request.app[NODE_KEY]
    messages = request.app[FLASH].pop(session.token_hash, []) if session else []
    refused = request.get(REFUSED)

    def form(name: str) -> FormState:
        return refused if isinstance(refused, FormState) and refused.name == name else blank(name)

    base = {
        "unread": request.get(UNREAD, 0),
        "me": session.member if session else None,
        "actor": node.actor_of(session.member.handle) if session else None,
        "csrf": session.csrf if session else "",
        "node_name": node.config.name,
        "lang": node.config.language,
        "messages": messages,
        "path": request.path,
        "refused_form": refused,
        "form": form,
    }
    return aiohttp_jinja2.render_template(template, request, {**base, **context})


__all__ = ["named", "org_name", "person", "render", "setup_templates", "short", "when"]
