"""Revisions of a story: snapshots of its content after every save and transition."""

from __future__ import annotations

from .models import Article, Revision


def snapshot(article: Article) -> dict:
    """The story's content as plain data: fields, bylines, credits, related links, tags."""
    return {
        "headline": article.headline,
        "slug": article.slug,
        "deck": article.deck,
        "body": article.body,
        "summary": article.summary,
        "section": article.section_id,
        "source": article.source_id,
        "article_type": article.article_type,
        "dateline_place": article.dateline_place,
        "state": article.state,
        "published_at": article.published_at.isoformat() if article.published_at else None,
        "contributions": [
            {"kind": c.kind, "person": c.person_id, "role": c.role, "position": c.position}
            for c in article.contributions.order_by("kind", "position", "pk")
        ],
        "related_links": [
            {
                "target": link.target_id,
                "url": link.url,
                "title": link.title,
                "position": link.position,
            }
            for link in article.related_links.order_by("position", "pk")
        ],
        "tags": sorted(article.tagged_items.values_list("tag__name", flat=True)),
    }


def record_revision(article: Article, *, by, summary: str = "") -> Revision:
    """Store the story as it is now, numbered by its version."""
    revision, _ = Revision.objects.update_or_create(
        article=article,
        number=article.version,
        defaults={"created_by": by, "summary": summary, "data": snapshot(article)},
    )
    return revision
