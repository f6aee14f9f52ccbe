"""The parts of a message from jinja2 templates (``node/mail/templates``): each kind's
body as ``KIND.txt`` and ``KIND.html``, and the layout both are wrapped in, with the
footer saying why the person receives it."""

from __future__ import annotations

from typing import Any

import jinja2
from markupsafe import Markup

_HTML = jinja2.Environment(
    loader=jinja2.PackageLoader("node.mail", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_TEXT = jinja2.Environment(
    loader=jinja2.PackageLoader("node.mail", "templates"),
    autoescape=False,  # noqa: S701 - plain text, never read as HTML
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def body(kind: str, **context: Any) -> tuple[str, str]:
    """The text and HTML body of a message of ``kind`` (without the layout)."""
    text = _TEXT.get_template(f"{kind}.txt").render(**context)
    html = _HTML.get_template(f"{kind}.html").render(**context)
    return text, html


def wrap(
    text: str, html: str, *, subject: str, reason: str, org: str, unsubscribe: str | None
) -> tuple[str, str]:
    """Both parts in the layout, closed by the footer."""
    context = {"subject": subject, "reason": reason, "org": org, "unsubscribe": unsubscribe}
    whole_text = _TEXT.get_template("layout.txt").render(body=text.rstrip("\n"), **context)
    whole_html = _HTML.get_template("layout.html").render(body=Markup(html), **context)  # noqa: S704 - escaped by its template
    return whole_text, whole_html
