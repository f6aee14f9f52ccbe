"""An issue queued in several batches (each its own transaction) reaches every confirmed
subscriber once, through the real outbox and SMTP sink."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from node.brief import issues


async def test_an_issue_is_queued_in_batches_once_to_each(
    mail_node: Any, smtp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    node = mail_node
    await node.add_member("ana", "Ana", "admin", "a long enough password")
    people = [f"p{n}@example.org" for n in range(5)]
    for address in people:
        await node.brief.sign_up(address, "", "", [], "brief")
    await node.brief.sign_up("waiting@example.org", "", "", [], "home")
    while await node.mail.worker.run_once():
        pass
    for address in people:
        body = smtp.sink.to(address)[-1].get_body(("plain",)).get_content()
        link = next(w for w in body.split() if "/brief/confirm?" in w)
        q = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
        await node.brief.confirm(q["s"], q["e"], q["t"])
    smtp.sink.messages.clear()

    monkeypatch.setattr(issues, "BATCH", 2)
    issue = await node.brief.issues.save("ana", None, "Brief #1", "Hello *all*.")
    await node.brief.issues.send("ana", issue.id)
    assert await node.brief.issues.queue_pending() == 5
    assert await node.brief.issues.queue_pending() == 0
    progress = await node.brief.issues.progress(issue.id)
    assert (progress.count("queued"), progress.finished) == (5, True)
    while await node.mail.worker.run_once():
        pass
    assert sorted(m["To"] for m in smtp.sink.messages) == people
    assert (await node.brief.issues.progress(issue.id)).count("sent") == 5
