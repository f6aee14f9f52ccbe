"""The ``nst demo`` public site: each organization's public home (its words, and the
coalition's campaign the general circle made public by its decision) and two short
articles: one the general circle publishes to all three by a decision, one each
organization's editor (a member its admin made one) writes and publishes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from node.cli.demo_campaign import Settle, Voice, adopt

if TYPE_CHECKING:
    from node.service import Node

CAUSES = (
    "Dismantling systemic racism",
    "Progressive criminal-justice reform",
    "Law-enforcement reform",
)

FIGHT = """\
Criminal justice reform is won in many small places: a city council meeting, a county
budget hearing, a call to a district attorney's office. Here is how to take part.

## Know who decides

Most decisions about policing and prosecution are made close to home. Your mayor and
council set police budgets and policies; your district attorney decides whom to charge
and what to ask for. Find out who holds these offices and when they stand for election.

## Ask for something specific

"Do better" is easy to agree with and easy to ignore. Ask for one clear change, such as
body cameras on every officer or an end to cash bail for minor offences, and ask for a
yes or a no.

## Keep up steady, polite pressure

One call is a message; a hundred calls over a month are a movement. Call, write, and
speak at public comment, again and again. Be courteous to the staff who answer: they
pass on what they hear.

## Work with others

Join a campaign with people from other organizations. Share what you learn, log every
contact, and celebrate each commitment you win.
"""

ALLY = """\
Many people want to stand with communities harmed by racism and an unfair justice
system. Allyship is not a label; it is what you do, again and again.

## Listen first

Start by listening to the people most affected. Read their words, come to their
meetings, and follow their lead on what they need.

## Use what you have

Everyone has something to offer: time to make calls, a voice at a hearing, a car to
drive neighbours to a meeting, a room to host one. Choose what you can keep doing.

## Speak up where you are

Talk with your family, your workplace and your place of worship. Change often starts in
the rooms where you are already trusted.

## Stay when it is hard

Progress is slow and sometimes painful. Being an ally means staying, learning from
mistakes and coming back next week.
"""

ARTICLES = (
    (
        "How to Fight for Criminal Justice Reform",
        "Know who decides, ask for something specific, and keep up steady pressure.",
        FIGHT,
    ),
    (
        "What Kind of Ally Are You?",
        "Allyship is what you do: listen, use what you have, speak up, and stay.",
        ALLY,
    ),
)


async def tell(
    nodes: Sequence[Node],
    editors: Sequence[str],
    circle_id: str,
    facilitator: Voice,
    voices: Sequence[Voice],
    settle: Settle,
) -> None:
    """On every node: the public home's words and two articles: the first drafted in
    the circle ``circle_id`` and published to every member by its decision, the second
    written and published by ``editors[i]`` of node ``i``."""
    (title, summary, body), own = ARTICLES[0], ARTICLES[1:]
    drafted = await facilitator.node.articles.circle.write(
        circle_id, facilitator.handle, title=title, slug="", summary=summary, body=body
    )
    await settle()
    await adopt(
        circle_id,
        facilitator,
        voices,
        settle,
        [drafted],
        "Publish 'How to Fight for Criminal Justice Reform'",
        "Every organization of the coalition publishes this article on its public site.",
    )
    for node, editor in zip(nodes, editors, strict=True):
        name = node.config.name
        await node.site.set_home(
            "admin",
            name,
            f"{name} works with its neighbours in the coalition for a just and fair America.",
            "\n".join(CAUSES),
        )
        await node.articles.set_editor(editor, True, "admin")
        for title, summary, body in own:
            await node.articles.save(
                editor, None, title=title, slug="", summary=summary, body=body, status="published"
            )
