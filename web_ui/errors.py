"""Errors as pages of the site: every refusal a view raises carries a status, a stable
code and a sentence for the member; the middleware in ``web_ui.app`` renders it inside
the site's layout (navigation included), never as a bare text page."""

from __future__ import annotations

from typing import Any

from aiohttp import web

_CLASSES: dict[int, type[web.HTTPException]] = {
    400: web.HTTPBadRequest,
    401: web.HTTPUnauthorized,
    403: web.HTTPForbidden,
    404: web.HTTPNotFound,
    405: web.HTTPMethodNotAllowed,
    413: web.HTTPRequestEntityTooLarge,
    415: web.HTTPUnsupportedMediaType,
    500: web.HTTPInternalServerError,
}
# What aiohttp's own refusals (an unknown address, a wrong method, a body too large) mean.
_PLAIN: dict[int, tuple[str, str]] = {
    400: ("http.bad_request", "The request was not understood."),
    401: ("auth.login_required", "Log in first."),
    403: ("auth.forbidden", "This page is not for you."),
    404: ("http.not_found", "There is no page at this address."),
    405: ("http.method", "This page cannot be used that way."),
    413: ("http.too_large", "What was sent is too large."),
    500: ("http.internal", "Something went wrong on this node. Try again in a moment."),
}
_TITLES = {
    400: "That did not work",
    401: "Log in first",
    403: "Not allowed",
    404: "Not found",
    413: "Too large",
}


# The hint of a not-found page for something made elsewhere that may still be on its way.
NOT_YET = "If it was made a moment ago, the circle's home node may not have taken it in yet."


def page_error(status: int, code: str, message: str) -> web.HTTPException:
    """An HTTP error with a stable ``code`` and a sentence for the member."""
    cls = _CLASSES.get(status, web.HTTPBadRequest)
    exc = cls(text=f"{code}: {message}")
    exc.code_name = code  # type: ignore[attr-defined]
    exc.message = message  # type: ignore[attr-defined]
    return exc


def not_found(what: str, hint: str = "") -> web.HTTPException:
    """A 404 for a proposal, election, meeting, circle… this node does not know."""
    message = f"This node knows no such {what}."
    return page_error(404, f"{what.replace(' ', '_')}.unknown", f"{message} {hint}".strip())


def known(value: Any, what: str, hint: str = "") -> Any:
    """``value``, or a not-found page when it is None."""
    if value is None:
        raise not_found(what, hint)
    return value


def describe(exc: web.HTTPException) -> dict[str, Any]:
    """What the error page shows for ``exc``: title, sentence, code and status."""
    default_code, default_message = _PLAIN.get(
        exc.status, ("http.error", "Something went wrong with this request.")
    )
    return {
        "status": exc.status,
        "title": _TITLES.get(exc.status, "Something went wrong"),
        "code": getattr(exc, "code_name", default_code),
        "message": getattr(exc, "message", default_message),
    }


__all__ = ["NOT_YET", "describe", "known", "not_found", "page_error"]
