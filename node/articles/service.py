"""``node.articles``: who may write articles (editors, granted by an admin; admins
always may), writing and publishing them, their images, and what strangers may read.
Every command checks the writer's right itself, so no page can forget to."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from node.articles import images
from node.articles.circle import CircleArticles
from node.articles.markdown import plain, render
from node.articles.records import DRAFT, PUBLISHED, STATES, Article, ArticleRefused, Image
from node.articles.slugs import MAX_SLUG, SLUG, slug_of
from node.domain.errors import DomainError
from node.store import articles as table
from node.store import public_site
from protocol import ErrorCode, format_ts

if TYPE_CHECKING:
    from node.core import NodeCore

MAX_TITLE: Final = 200
MAX_SUMMARY: Final = 300
MAX_BODY: Final = 100_000


def _article(row: Any) -> Article:
    return Article(*row)


class Articles:
    """Articles of the node's public site, their editors and images."""

    def __init__(self, node: NodeCore) -> None:
        self.node = node
        self.render = render
        self.plain = plain
        self.circle = CircleArticles(node)

    def html(self, article: Article) -> str:
        """An article as safe HTML; a circle's without images (PROTOCOL.md §13.11)."""
        return render(article.body, images=not article.circle)

    # --- editors ----------------------------------------------------------------------

    async def may_write(self, handle: str) -> bool:
        """Whether the member may write articles: an admin, or an editor."""
        member = await self.node.member(handle)
        if member is None or member.disabled:
            return False
        if member.role == "admin":
            return True
        return await self.node.store.fetchone(public_site.IS_EDITOR, (handle,)) is not None

    async def editors(self) -> set[str]:
        """The handles granted the editor's role."""
        return {r[0] for r in await self.node.store.fetchall(public_site.EDITORS)}

    async def set_editor(self, handle: str, editor: bool, by: str) -> None:
        """Grant or withdraw the editor's role (the admin pages ask only admins)."""
        if await self.node.member(handle) is None:
            raise DomainError(ErrorCode.ARTICLE_NOT_EDITOR, f"No member has the handle {handle}.")
        now = format_ts(self.node.clock.now())
        await self.node.store.write(
            lambda conn: public_site.set_editor(conn, handle, editor, by, now)
        )

    async def _require_writer(self, handle: str) -> None:
        if not await self.may_write(handle):
            raise DomainError(
                ErrorCode.ARTICLE_NOT_EDITOR,
                "Only the node's editors write articles; an admin can make you one.",
            )

    # --- articles ---------------------------------------------------------------------

    async def all(self) -> list[Article]:
        """Every article, drafts first: the editors' list."""
        return [_article(r) for r in await self.node.store.fetchall(table.ALL)]

    async def published(self, limit: int = 50) -> list[Article]:
        """Published articles, the node's own and its circles' adopted ones, newest
        first: what strangers read. One article an address: the node's own first, then
        the circles' latest adopted."""
        own = [_article(r) for r in await self.node.store.fetchall(table.PUBLISHED, (limit,))]
        taken = {a.slug for a in own}
        shared = []
        for a in await self.circle.published():
            if a.slug not in taken:
                taken.add(a.slug)
                shared.append(a)
        merged = sorted(own + shared, key=lambda a: a.published_at or "", reverse=True)
        return merged[:limit]

    async def get(self, article_id: int) -> Article | None:
        row = await self.node.store.fetchone(table.BY_ID, (article_id,))
        return None if row is None else _article(row)

    async def public(self, slug: str) -> Article | None:
        """The published article of this slug; None for a draft or none such."""
        row = await self.node.store.fetchone(table.BY_SLUG, (slug,))
        found = None if row is None else _article(row)
        if found is not None and found.published:
            return found
        return next((a for a in await self.circle.published() if a.slug == slug), None)

    async def save(
        self,
        handle: str,
        article_id: int | None,
        *,
        title: str,
        slug: str,
        summary: str,
        body: str,
        status: str,
    ) -> Article:
        """Write a new article (``article_id`` None) or change one; an empty slug is
        made from the title. Refused whole, with the first problem, or saved whole."""
        await self._require_writer(handle)
        title, summary, slug = title.strip(), summary.strip(), slug.strip().lower()
        slug = slug or slug_of(title)
        problem = _problem(title, slug, summary, body, status)
        if problem is not None:
            raise problem
        now = format_ts(self.node.clock.now())

        def run(conn: Any) -> int:
            if table.slug_taken(conn, slug, article_id):
                raise ArticleRefused(
                    ErrorCode.ARTICLE_SLUG_TAKEN,
                    f"Another article has the address /articles/{slug}; choose another.",
                    "slug",
                )
            if article_id is None:
                return table.insert(conn, slug, title, summary, body, status, handle, now)
            if not table.update(conn, article_id, slug, title, summary, body, status, now):
                raise DomainError(ErrorCode.ARTICLE_UNKNOWN, "There is no such article.")
            return article_id

        saved = await self.get(await self.node.store.write(run))
        assert saved is not None
        return saved

    # --- images -----------------------------------------------------------------------

    async def upload(self, handle: str, data: bytes, alt: str) -> Image:
        """Keep an image for articles; refused (nothing written) for a wrong type, a
        file too large or a missing alt text."""
        await self._require_writer(handle)
        content_type, ext = images.check(data, alt)
        data_dir = self.node.config.data_dir
        name = images.store(data_dir, data, ext)
        now = format_ts(self.node.clock.now())
        try:
            await self.node.store.write(
                lambda conn: table.insert_image(
                    conn, name, content_type, len(data), alt.strip(), handle, now
                )
            )
        except BaseException:
            (images.image_dir(data_dir) / name).unlink(missing_ok=True)
            raise
        return Image(name, content_type, len(data), alt.strip(), now)

    async def images(self, limit: int = 50) -> list[Image]:
        return [Image(*r) for r in await self.node.store.fetchall(table.IMAGES, (limit,))]

    async def image_file(self, name: str) -> tuple[Path, str] | None:
        """(file, content type) of an uploaded image; None for any other name."""
        path = images.path_of(self.node.config.data_dir, name)
        row = None if path is None else await self.node.store.fetchone(table.IMAGE, (name,))
        if path is None or row is None or not path.is_file():
            return None
        return path, str(row[0])


def _problem(title: str, slug: str, summary: str, body: str, status: str) -> ArticleRefused | None:
    """The first problem of an article as written; None: none."""
    invalid = ErrorCode.ARTICLE_INVALID
    if not title or len(title) > MAX_TITLE:
        return ArticleRefused(
            invalid, f"Give the article a title of 1 to {MAX_TITLE} characters.", "title"
        )
    if len(slug) > MAX_SLUG or not SLUG.fullmatch(slug):
        return ArticleRefused(
            ErrorCode.ARTICLE_SLUG_INVALID,
            "The address is lower-case letters and digits joined by dashes"
            f" (for example what-kind-of-ally-are-you), at most {MAX_SLUG} characters.",
            "slug",
        )
    if len(summary) > MAX_SUMMARY:
        return ArticleRefused(
            invalid, f"Keep the summary under {MAX_SUMMARY} characters.", "summary"
        )
    if not body.strip() or len(body) > MAX_BODY:
        return ArticleRefused(invalid, f"Write the article: 1 to {MAX_BODY:,} characters.", "body")
    if status not in STATES:
        return ArticleRefused(invalid, f"An article is {DRAFT} or {PUBLISHED}.", "status")
    return None


__all__ = ["MAX_BODY", "MAX_SLUG", "MAX_SUMMARY", "MAX_TITLE", "Articles", "slug_of"]
