"""The account page's mail: an address confirmed by the link of a real mail (caught by
the test SMTP server), then the member's choices kept; with mail off, the page says so."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any


async def test_a_member_confirms_an_address_and_chooses_their_mail(
    web: Any, browser: Any, smtp: Any
) -> None:
    node = web.a.node
    carl = browser(web.a.url)
    await carl.login("carl")
    _, page = await carl.get("/password")
    assert "This node sends no mail" in page

    node.config = replace(node.config, mail=smtp.mail_config())
    _, page = await carl.get("/password")
    status, page = await carl.post("/password/mail", {"address": "carl at home"})
    assert status == 400
    assert "carl at home" in page  # kept as typed
    assert "is not an e-mail address" in page
    status, page = await carl.post("/password/mail", {"address": "carl@riverside.example"})
    assert status == 200
    assert "open it to confirm" in page
    assert "Waiting for your confirmation" in page
    await node.mail.worker.run_once()
    [msg] = smtp.sink.messages
    link = re.search(r"(/account/mail/confirm/\S+)", msg.get_body(("plain",)).get_content())
    assert link is not None

    _, page = await carl.get(link.group(1))  # a link scanner's GET confirms nothing
    assert "Confirm my address" in page
    assert (await node.mail.members.choices("carl")).address is None
    status, page = await carl.post(link.group(1), {})
    assert status == 200
    assert "Mail goes to <strong>carl@riverside.example</strong>" in page
    assert re.search(r'value="reminders" checked', page)  # the default

    status, page = await carl.post("/password/mail/choices", {"mail": "digest"})
    assert status == 200
    assert re.search(r'value="digest" checked', page)
    assert not re.search(r'value="reminders" checked', page)
    chosen = await node.mail.members.choices("carl")
    assert (chosen.reminders, chosen.digest) == (False, True)

    assert (await carl.post("/password/mail/forget", {}, csrf="forged"))[0] == 403
    assert (await node.mail.members.choices("carl")).address == "carl@riverside.example"
    status, page = await carl.post("/password/mail/forget", {})
    assert status == 200
    assert "Your address is forgotten" in page
    assert "No address yet" in page
    assert "Stop all mail" not in page
    assert (await node.mail.members.choices("carl")).address is None


async def test_the_admin_page_says_whether_mail_is_on(web: Any, browser: Any, smtp: Any) -> None:
    ana = browser(web.a.url)
    await ana.login("ana")
    _, page = await ana.get("/admin")
    assert "Mail is off:" in page
    node = web.a.node
    node.config = replace(node.config, mail=smtp.mail_config())
    _, page = await ana.get("/admin")
    assert f"Sent through 127.0.0.1:{smtp.port} (none): 0 waiting" in page
