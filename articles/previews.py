"""Share links: a signed, expiring, revocable address showing an unpublished story.

A token is the link's uuid signed with the site's secret (salted for this one use), so it
cannot be guessed or altered. Whether it still works is decided on the server at every visit
from the :class:`~articles.models.PreviewLink` row — its ``expires_at`` and ``revoked_at`` —
so the desk can cut a link short at any time; nothing in the token itself grants access.

Two errors, as in :mod:`articles.workflow`: ``PermissionDenied`` when the user may not share
previews (the admin answers 403), :class:`PreviewError` when the story or the requested life
does not allow a link (the admin shows the message).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from .models import Article, PreviewLink, State

SHARE_PERMISSION = "articles.share_preview_article"

# Namespaces the signature: a value signed elsewhere on the site is no preview token.
_SALT = "articles.preview-link"


class PreviewError(Exception):
    """A share link cannot be made for this story or with this life."""


def max_lifetime() -> timedelta:
    return timedelta(days=settings.NEWSROOM_PREVIEW_MAX_DAYS)


def _signer() -> signing.Signer:
    return signing.Signer(salt=_SALT)


def make_link(article: Article, *, by, expires_in: timedelta, note: str = "") -> PreviewLink:
    """Create a share link for ``article`` living ``expires_in`` (at most the configured days).

    Raises ``PermissionDenied`` unless ``by`` may share previews, and :class:`PreviewError`
    for a life outside (0, NEWSROOM_PREVIEW_MAX_DAYS] or a story that is live (share its
    public address) or withdrawn (taken off every outside surface).
    """
    if not by.has_perm(SHARE_PERMISSION):
        raise PermissionDenied("You may not share previews of stories.")
    if expires_in <= timedelta(0):
        raise PreviewError("A preview link must live for some time.")
    if expires_in > max_lifetime():
        raise PreviewError(
            f"A preview link may live at most {settings.NEWSROOM_PREVIEW_MAX_DAYS} days."
        )
    check_shareable(article)
    now = timezone.now()
    return PreviewLink.objects.create(
        article=article,
        note=note.strip(),
        created_by=by,
        created_at=now,
        expires_at=now + expires_in,
    )


def check_shareable(article: Article) -> None:
    """Raise :class:`PreviewError` unless ``article`` may be shared through a preview link."""
    if article.is_live:
        raise PreviewError("This story is live: share its public address instead.")
    if article.state == State.WITHDRAWN:
        raise PreviewError("A withdrawn story cannot be shared.")


def token_for(link: PreviewLink) -> str:
    """The token that goes in the link's URL; the same for the link's whole life."""
    return _signer().sign(link.uuid.hex)


def url_for(link: PreviewLink) -> str:
    """The link's path on the site; ``request.build_absolute_uri`` makes it shareable."""
    return reverse("article_preview", kwargs={"token": token_for(link)})


def resolve(token: str) -> PreviewLink | None:
    """The link ``token`` opens, with its story, or None.

    None when the token was altered or signed for something else, names no link, or its
    link has expired or been revoked — and when the story has since been withdrawn, since a
    withdrawal takes a story off every outside surface at once.
    """
    try:
        link_uuid = uuid.UUID(hex=_signer().unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return (
        PreviewLink.objects.select_related("article")
        .filter(
            uuid=link_uuid,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .exclude(article__state=State.WITHDRAWN)
        .first()
    )


def revoke(link: PreviewLink, *, by) -> PreviewLink:
    """Stop ``link`` working from now on. Revoking twice keeps the first time."""
    if not by.has_perm(SHARE_PERMISSION):
        raise PermissionDenied("You may not revoke preview links.")
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
    return link


def status(link: PreviewLink, now: datetime | None = None) -> str:
    """The link as the desk sees it: "active", "expired" or "revoked"."""
    if link.revoked_at is not None:
        return "revoked"
    if link.expires_at <= (now or timezone.now()):
        return "expired"
    return "active"
