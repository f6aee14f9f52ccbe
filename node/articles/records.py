"""What the public site's service hands out: an article, an uploaded image, the words of
the public home. Plain frozen values: the pages only read them."""

from __future__ import annotations

from dataclasses import dataclass

from node.domain.errors import DomainError

DRAFT = "draft"
PUBLISHED = "published"
STATES = (DRAFT, PUBLISHED)


@dataclass(frozen=True, slots=True)
class Article:
    """An article; ``created_by`` is a local handle, for the editors' pages only. One
    of a circle's (``node.articles.circle``) names the circle in ``circle`` and its
    object in ``object_id``, and has no local ``id`` (0)."""

    id: int
    slug: str
    title: str
    summary: str
    body: str  # Markdown, as the editor wrote it
    status: str
    created_by: str
    created_at: str
    updated_at: str
    published_at: str | None
    circle: str = ""
    object_id: str = ""

    @property
    def published(self) -> bool:
        return self.status == PUBLISHED


@dataclass(frozen=True, slots=True)
class Image:
    """An uploaded image: served at ``/media/<name>``."""

    name: str
    content_type: str
    size: int
    alt: str
    uploaded_at: str

    @property
    def path(self) -> str:
        return f"/media/{self.name}"


@dataclass(frozen=True, slots=True)
class SiteHome:
    """The words of the public home: the organization's name, its aim, what it is
    fighting for (one cause a line) and the language of its pages."""

    name: str
    aim: str
    causes: tuple[str, ...]
    language: str


class ArticleRefused(DomainError):
    """A refusal of the public site's rules, naming the field of the form it concerns
    (title, slug, summary, body, status, file, alt; "" for none)."""

    def __init__(self, code: str, message: str, field: str = "") -> None:
        super().__init__(code, message)
        self.field = field
