"""Form limits come from the protocol's body schemas, and a schema's refusal reaches the
member in words, never in the validator's."""

from __future__ import annotations

from multidict import MultiDict

from protocol import RemoteProtocolError
from protocol.schemas import validate_body
from web_ui.forms import Form, limit


def test_limits_are_the_protocols() -> None:
    assert (limit("proposal.title").max_length, limit("proposal.title").min_length) == (200, 1)
    assert limit("proposal.text").max_length == 20_000
    assert limit("proposal.measure").max_length == 500
    assert (limit("selection.term_months").least, limit("selection.term_months").most) == (1, 120)
    assert limit("member.handle").html_pattern == r"[a-z0-9][a-z0-9_.\-]{0,31}"


def test_a_schema_refusal_is_said_in_words_beside_its_field() -> None:
    form = Form("new-proposal", MultiDict({"title": " ", "text": "x"}))
    form.text("title", "title")  # not required here: the schema refuses it
    try:
        validate_body("proposal", {"title": "", "text": "x"})
    except RemoteProtocolError as exc:
        refused = form.refuse(exc)
    assert refused.state.errors == {"title": "The title is not accepted as it is."}
    assert refused.state.value("title") == " "  # what was typed is kept


def test_a_rules_own_sentence_is_kept() -> None:
    form = Form("stance", MultiDict({"stance": "object"}))
    form.text("reason", "reason")
    try:
        validate_body("stance", {"proposal": "sha256:" + "A" * 43, "stance": "object"})
    except RemoteProtocolError as exc:
        refused = form.refuse(exc, {"schema.invalid": "reason"})
    assert refused.state.errors == {"reason": "A stance of 'object' needs a reason."}


def test_text_is_counted_with_the_line_ends_a_browser_counts() -> None:
    form = Form("x", MultiDict({"text": "a\r\nb" * 5}))
    assert form.text("text", "text", limit("proposal.text")) == "a\nb" * 5
    long = Form("x", MultiDict({"text": "y" * 20_001, "title": "\t "}))
    long.text("text", "text", limit("proposal.text"))
    long.text("title", "title", limit("proposal.title"), required=True)
    assert long.errors == {
        "text": "The text is too long: at most 20,000 characters (this one has 20,001).",
        "title": "The title must not be empty.",
    }
