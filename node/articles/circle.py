"""A circle's articles (``campaign`` object ``article``, PROTOCOL.md §8.13, §13.11): its
members draft them in the circle's scope, the circle adopts a version by decision, and
every member node then shows the adopted version among its public articles, "From the"
circle; an adopted version with ``withdrawn`` takes it down. No images in this version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec

from node.articles.records import PUBLISHED, Article
from node.articles.slugs import slug_of
from node.campaigns.adopted import adopted_versions
from node.domain.campaigns.adoption import VersionRow, adoptions
from node.domain.errors import DomainError
from node.governance.process import Process
from protocol import ErrorCode
from protocol.campaigns import Article as ArticleBody

if TYPE_CHECKING:
    from node.core import NodeCore

_IN_CIRCLE = (
    "SELECT a.id, a.body, v.envelope_id, v.pos, v.adopted_by IS NOT NULL, e.body IS NULL"
    " FROM campaign_articles a JOIN campaign_versions v ON v.object_id = a.id"
    " JOIN envelopes e ON e.id = v.envelope_id"
    " WHERE a.scope = ? AND EXISTS (SELECT 1 FROM envelopes f WHERE f.id = a.id"
    " AND f.body IS NOT NULL) ORDER BY a.created_pos, v.pos"
)


@dataclass(frozen=True, slots=True)
class CircleArticle:
    """A circle's article as its members see it: the latest version, and which one
    the circle adopted (None: never)."""

    id: str
    body: ArticleBody
    latest: str
    adopted: str | None

    @property
    def draft(self) -> bool:
        return self.latest != self.adopted


class CircleArticles(Process):
    """Draft a circle's articles; read them for the circle and for the public site."""

    def __init__(self, node: NodeCore) -> None:
        super().__init__(node)

    async def write(
        self,
        circle_id: str,
        handle: str,
        *,
        title: str,
        slug: str,
        summary: str,
        body: str,
        withdrawn: bool = False,
        article_id: str | None = None,
    ) -> str:
        """A new article of the circle (``article_id`` None) or a new version of one: a
        draft until the circle adopts it; an empty slug is made from the title. Returns
        the version's envelope id."""
        fields: dict[str, Any] = {
            "object": "article",
            "title": title.strip(),
            "slug": slug.strip().lower() or slug_of(title),
            "summary": summary.strip(),
            "body": body,
        }
        if withdrawn:
            fields["withdrawn"] = True
        if article_id is not None:
            if await self.article(circle_id, article_id) is None:
                raise DomainError(ErrorCode.CAMPAIGN_BAD_REF, "There is no such article here.")
            fields["ref"] = article_id
        refs = (article_id,) if article_id else ()
        return await self.act_id("campaign", circle_id, fields, handle, refs)

    async def in_circle(self, circle_id: str) -> list[CircleArticle]:
        """The circle's articles, oldest first, each with its standing."""
        rows = await self.node.store.fetchall(_IN_CIRCLE, (circle_id,))
        versions = [VersionRow(r[2], r[0], "article", r[3], bool(r[5])) for r in rows]
        standing = adoptions(versions, {r[2] for r in rows if r[4]})
        bodies = {r[0]: r[1] for r in rows}
        return [
            CircleArticle(
                oid, msgspec.json.decode(bodies[oid], type=ArticleBody), a.latest, a.adopted
            )
            for oid, a in standing.items()
        ]

    async def article(self, circle_id: str, article_id: str) -> CircleArticle | None:
        return next((a for a in await self.in_circle(circle_id) if a.id == article_id), None)

    async def published(self) -> list[Article]:
        """The adopted, not withdrawn, articles of this node's circles, newest first,
        as the public site shows them."""
        out = []
        for a in await adopted_versions(self.node, "article"):
            body = msgspec.convert(a.body, ArticleBody)
            if body.withdrawn:
                continue
            out.append(
                Article(
                    0,
                    body.slug,
                    body.title,
                    body.summary,
                    body.body,
                    PUBLISHED,
                    "",
                    a.first_adopted_at,
                    a.decided_at,
                    a.first_adopted_at,
                    circle=a.circle_name,
                    object_id=a.object_id,
                )
            )
        return sorted(out, key=lambda x: (x.published_at or "", x.object_id), reverse=True)
