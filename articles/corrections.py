"""Corrections, updates and clarifications on a live story.

Added only through :func:`add_correction`, so every one moves the story's ``updated_at`` and
``version`` and leaves a revision naming who added it. Printed on the story, newest first.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from .models import Article, Correction
from .revisions import record_revision

CORRECT_PERMISSION = "articles.correct_article"


class CorrectionError(Exception):
    """The correction cannot be added: the story is not live, or the text is missing."""


def add_correction(article: Article, *, kind: str, text: str, by) -> Correction:
    """Print a correction, update or clarification on the live ``article``.

    Raises ``PermissionDenied`` unless ``by`` may correct stories, :class:`CorrectionError`
    when the story is not live (an unpublished story is edited, not corrected) or the text is
    empty. The correction, the version bump and the revision are written together.
    """
    if not by.has_perm(CORRECT_PERMISSION):
        raise PermissionDenied("You may not add corrections to stories.")
    if kind not in Correction.Kind.values:
        raise CorrectionError(f"Unknown kind of correction “{kind}”.")
    text = text.strip()
    if not text:
        raise CorrectionError("Say what was corrected: the text is printed on the story.")
    with transaction.atomic():
        # Lock the row: a correction and a workflow action (a withdrawal, say) apply in turn.
        current = Article.objects.select_for_update().get(pk=article.pk)
        if not current.is_live:
            where = "scheduled" if current.is_scheduled else current.get_state_display().lower()
            raise CorrectionError(
                f"Only a live story takes corrections; this one is {where}. Edit it instead."
            )
        correction = Correction.objects.create(
            article=current, kind=kind, text=text, created_at=timezone.now()
        )
        current.version += 1
        # Only these two columns: the state belongs to the workflow.
        current.save(update_fields=["version", "updated_at"])
        record_revision(current, by=by, summary=f"{correction.get_kind_display()} added")
    article.version = current.version
    article.updated_at = current.updated_at
    return correction
