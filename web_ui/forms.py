"""Forms that keep what was typed: a posted form is read field by field against limits
taken from the protocol's body schemas (the same numbers the templates put in
``maxlength``), and a refusal is said in words beside the field it concerns.

A view reads ``Form(name, data)``; ``check()`` raises ``FormRefused`` with every problem
found, and ``refuse(error)`` turns a rule's DomainError into one. ``page(..., again=view)``
in ``web_ui.guard`` then renders the form's page again, status 400, with a ``FormState``
the templates use for values, errors and ``aria-*`` attributes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from multidict import MultiDict, MultiDictProxy

from node.domain.errors import DomainError
from protocol import RemoteProtocolError
from web_ui.limits import LIMITS, Limit, limit, schema_limit

# A field bounded only by what the form's own reading says.
NO_LIMIT: Final = Limit()

# --- state shown by the templates --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FormState:
    """One form as a template shows it: what was posted (None: fresh, show defaults) and
    the problems found, by field ("" for the form as a whole)."""

    name: str
    posted: MultiDict[str] | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def sent(self) -> bool:
        return self.posted is not None

    @property
    def invalid(self) -> bool:
        return bool(self.errors)

    def id(self, name: str) -> str:
        return f"{self.name}-{name}"

    def value(self, name: str, default: str = "") -> str:
        if self.posted is None:
            return default
        return self.posted.get(name, "")

    def values(self, name: str, default: Collection[str] = ()) -> list[str]:
        if self.posted is None:
            return list(default)
        return self.posted.getall(name, [])

    def checked(self, name: str, value: str, default: bool = False) -> bool:
        if self.posted is None:
            return default
        return value in self.posted.getall(name, [])

    def error(self, name: str) -> str | None:
        return self.errors.get(name)

    def links(self) -> list[tuple[str, str]]:
        """(anchor, message) of every problem, for the summary at the top of the page: a
        field's anchor holds its label, its message and the field itself."""
        return [(f"{self.id(k)}-field" if k else self.name, v) for k, v in self.errors.items()]


class FormRefused(Exception):
    """A form that cannot be accepted as sent; its page shows it again with the reasons."""

    def __init__(self, state: FormState) -> None:
        super().__init__(state.name, state.errors)
        self.state = state


# --- reading a posted form ---------------------------------------------------------------

_MSGSPEC_PATH = re.compile(r" - at `\$\.([a-z_]+)[^`]*`$")


def sentence(text: str) -> str:
    """``text`` as a sentence: capital first letter, final full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


class Form:
    """A posted form, read field by field; every problem is noted against its field and
    raised together by ``check``."""

    def __init__(self, name: str, data: MultiDictProxy[Any] | MultiDict[Any]) -> None:
        self.name = name
        self.posted: MultiDict[str] = MultiDict(
            (k, v) for k, v in data.items() if isinstance(v, str) and k != "_csrf"
        )
        self.errors: dict[str, str] = {}
        self.labels: dict[str, str] = {}

    @property
    def state(self) -> FormState:
        return FormState(self.name, self.posted, dict(self.errors))

    def fail(self, name: str, message: str) -> None:
        """Note a problem with field ``name`` ("" for the whole form); the first stays."""
        self.errors.setdefault(name, message)

    def raw(self, name: str) -> str:
        return self.posted.get(name, "")

    def text(
        self,
        name: str,
        label: str,
        bounds: Limit = NO_LIMIT,
        *,
        required: bool = False,
        lower: bool = False,
    ) -> str:
        """A text field, line ends as ``\\n``, surrounding spaces dropped (and lower-case
        with ``lower``); too long, empty when required, or not matching the pattern is
        noted in words."""
        self.labels[name] = label
        value = self.raw(name).replace("\r\n", "\n").replace("\r", "\n").strip()
        if lower:
            value = value.lower()
        least = max(bounds.min_length or 0, 1 if required else 0)
        if not value and least:
            self.fail(name, f"The {label} must not be empty.")
        elif bounds.max_length is not None and len(value) > bounds.max_length:
            self.fail(
                name,
                f"The {label} is too long: at most {bounds.max_length:,} characters"
                f" (this one has {len(value):,}).",
            )
        elif value and len(value) < least:
            self.fail(name, f"The {label} is too short: at least {least} characters.")
        elif value and bounds.pattern and not re.fullmatch(bounds.pattern, value):
            allowed = f": use only {bounds.hint}" if bounds.hint else ""
            self.fail(name, f"The {label} is not in the right form{allowed}.")
        return value

    def secret(self, name: str, label: str, bounds: Limit = NO_LIMIT) -> str:
        """A password: taken exactly as typed (spaces count), never shown again."""
        self.labels[name] = label
        value = self.raw(name)
        if not value:
            self.fail(name, f"The {label} must not be empty.")
        elif bounds.max_length is not None and len(value) > bounds.max_length:
            self.fail(name, f"The {label} is too long: at most {bounds.max_length:,} characters.")
        elif bounds.min_length and len(value) < bounds.min_length:
            self.fail(name, f"The {label} is too short: at least {bounds.min_length} characters.")
        return value

    def lines(self, name: str, label: str, bounds: Limit) -> list[str]:
        """A text field of one item per line; each line within ``bounds``."""
        self.labels[name] = label
        value = self.raw(name).replace("\r\n", "\n").replace("\r", "\n")
        items = [line.strip() for line in value.split("\n") if line.strip()]
        for n, item in enumerate(items, 1):
            if bounds.max_length is not None and len(item) > bounds.max_length:
                self.fail(
                    name,
                    f"Line {n} of the {label} is too long: at most {bounds.max_length:,}"
                    f" characters (it has {len(item):,}).",
                )
                break
        return items

    def choice(
        self, name: str, label: str, options: Collection[str], *, required: bool = True
    ) -> str:
        """One of ``options`` (a radio group or a select)."""
        self.labels[name] = label
        value = self.raw(name).strip()
        if not value:
            if required:
                self.fail(name, f"Choose the {label}.")
        elif value not in options:
            self.fail(name, f"Choose the {label} from the list.")
        return value

    def number(self, name: str, label: str, bounds: Limit, *, default: int | None = None) -> int:
        """A whole number within ``bounds``; empty gives ``default``."""
        self.labels[name] = label
        value = self.raw(name).strip()
        if not value and default is not None:
            return default
        try:
            number = int(value)
        except ValueError:
            self.fail(name, f"The {label} must be a whole number.")
            return default or 0
        if (bounds.least is not None and number < bounds.least) or (
            bounds.most is not None and number > bounds.most
        ):
            self.fail(name, f"The {label} must be from {bounds.least} to {bounds.most}.")
        return number

    def date(self, name: str, label: str) -> dt.date | None:
        """A date (YYYY-MM-DD, as a date input sends it), or None when left empty."""
        self.labels[name] = label
        value = self.raw(name).strip()
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.fail(name, f"The {label} is not a date: write it as 2026-12-31.")
            return None

    def moment(self, name: str, label: str) -> dt.datetime | None:
        """A date and time in UTC (as a datetime-local input sends it)."""
        self.labels[name] = label
        value = self.raw(name).strip()
        if not value:
            self.fail(name, f"The {label} must not be empty.")
            return None
        try:
            return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)
        except ValueError:
            self.fail(name, f"The {label} is not a date and time: write it as 2026-12-31 18:00.")
            return None

    def check(self) -> None:
        """Raise ``FormRefused`` if any problem was noted."""
        if self.errors:
            raise FormRefused(self.state)

    def refuse(
        self, error: DomainError | RemoteProtocolError, fields: Mapping[str, str] | None = None
    ) -> FormRefused:
        """The refusal of a rule, said in words, beside the field it concerns: ``fields``
        maps error codes to field names; a schema error names its own field."""
        code = str(error.code)
        message = error.message
        name = (fields or {}).get(code, "")
        if code.startswith("schema."):
            found = _MSGSPEC_PATH.search(message)
            if found and found.group(1) in self.labels:
                name = name or found.group(1)
            detail = _MSGSPEC_PATH.sub("", message).partition(": ")[2]
            if not detail or detail[:1].isupper():  # the validator's own words
                label = self.labels.get(name, "form")
                message = f"The {label} is not accepted as it is."
            else:
                message = detail
        self.fail(name, sentence(message))
        return FormRefused(self.state)


def blank(name: str) -> FormState:
    """A form as first shown: nothing posted, no problem."""
    return FormState(name)


__all__ = [
    "LIMITS",
    "Form",
    "FormRefused",
    "FormState",
    "Limit",
    "blank",
    "limit",
    "schema_limit",
    "sentence",
]
