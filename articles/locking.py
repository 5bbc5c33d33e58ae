"""Who has a story open, and no lost updates when two people save it.

Two guards, because each covers what the other cannot:

- **Edit leases** tell the desk who is working on a story ("being edited by Eddie Editor since
  10:40"). A lease lives only while its holder's page keeps renewing it (a heartbeat), so it
  lapses by itself when the tab closes or the laptop sleeps: no lock ever has to be cleared by
  hand. A senior role may take a lease over.
- **Optimistic locking** on the story's ``version`` refuses a save made from a version that is
  no longer current, whoever moved it on (a save, a workflow action, a restore), even when no
  lease was involved (an expired lease, a second tab).

Leases are rows in ``EditLease`` (one per story) rather than cache entries so they hold on
PostgreSQL with many app servers and on SQLite alike, and so the change list can show them
with one join.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import formats, timezone

from .models import Article, EditLease, Revision, WorkflowEvent
from .workflow import Action

TAKE_OVER_PERMISSION = "articles.take_over_article"
# The summary ArticleAdmin.save_related gives the revision of an ordinary save.
ADMIN_SAVE_SUMMARY = "Saved"


class EditConflict(Exception):
    """Saving now would overwrite someone else's work; ``str()`` says whose and what to do."""


def lease_seconds() -> int:
    return settings.NEWSROOM_EDIT_LEASE_SECONDS


def is_live(lease: EditLease | None, now: datetime | None = None) -> bool:
    """Whether ``lease`` was renewed within the lease time (a lapsed lease holds nothing)."""
    if lease is None:
        return False
    now = now or timezone.now()
    return lease.last_seen_at > now - timedelta(seconds=lease_seconds())


def display_name(user) -> str:
    return user.get_full_name() or user.get_username()


def clock(moment: datetime) -> str:
    """``10:42`` in the newsroom's time, with the date when it is not today."""
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return formats.date_format(local, "H:i")
    return formats.date_format(local, "H:i \\o\\n j F")


def current_holder(article: Article) -> EditLease | None:
    """The live lease on ``article`` (with its user loaded), or None when nobody holds one."""
    cutoff = timezone.now() - timedelta(seconds=lease_seconds())
    return (
        EditLease.objects.select_related("user")
        .filter(article_id=article.pk, last_seen_at__gt=cutoff)
        .first()
    )


def _locked_lease(article: Article, user) -> tuple[EditLease, bool]:
    """The story's lease row, locked until the transaction ends; made for ``user`` if none.

    ``of=("self",)`` keeps PostgreSQL from also locking the rows a join reaches (the user).
    Two first-comers racing to create the row meet on the unique ``article`` column:
    ``get_or_create`` catches the loser's IntegrityError and reads the winner's row.
    """
    now = timezone.now()
    return EditLease.objects.select_for_update(of=("self",)).get_or_create(
        article_id=article.pk, defaults={"user": user, "started_at": now, "last_seen_at": now}
    )


def acquire(article: Article, user) -> EditLease:
    """Take the lease on ``article`` for ``user`` if it is free, lapsed or already theirs.

    Returns the lease that holds the story afterwards: ``user``'s own, or the live lease of
    someone else (compare ``lease.user_id``), which is left untouched.
    """
    with transaction.atomic():
        lease, created = _locked_lease(article, user)
        if created:
            return lease
        now = timezone.now()
        if lease.user_id != user.pk:
            if is_live(lease, now):
                return lease
            lease.user = user
            lease.started_at = now
        elif not is_live(lease, now):
            # Back after a lapse: "since" counts from now, not from the first opening.
            lease.started_at = now
        lease.last_seen_at = now
        lease.save(update_fields=["user", "started_at", "last_seen_at"])
        return lease


def renew(article: Article, user) -> EditLease | None:
    """The heartbeat: keep ``user``'s lease alive. None when the lease is not theirs.

    A lease that lapsed but that nobody else claimed is still theirs and comes back to life.
    """
    with transaction.atomic():
        lease = (
            EditLease.objects.select_for_update(of=("self",))
            .filter(article_id=article.pk, user_id=user.pk)
            .first()
        )
        if lease is None:
            return None
        now = timezone.now()
        if not is_live(lease, now):
            lease.started_at = now
        lease.last_seen_at = now
        lease.save(update_fields=["started_at", "last_seen_at"])
        return lease


def release(article: Article, user, *, seen_at: datetime | None = None) -> bool:
    """Give up ``user``'s lease on ``article``; True if there was one to give up.

    ``seen_at`` is the last renewal the releasing page knows of. A lease renewed after it
    belongs to a newer page of the same user (a reload, "Save and continue editing", whose
    request reaches the server before the old page's goodbye) and is kept.
    """
    leases = EditLease.objects.filter(article_id=article.pk, user_id=user.pk)
    if seen_at is not None:
        leases = leases.filter(last_seen_at__lte=seen_at)
    deleted, _ = leases.delete()
    return bool(deleted)


def take_over(article: Article, user) -> EditLease:
    """Give ``user`` the lease on ``article`` whoever holds it now.

    Needs ``articles.take_over_article`` (PermissionDenied otherwise). The lease then names
    the new holder and the time they took it, which is what the previous holder's page is
    told at its next heartbeat; their own saves are refused from then on.
    """
    if not user.has_perm(TAKE_OVER_PERMISSION):
        raise PermissionDenied("You may not take over a story someone else is editing.")
    with transaction.atomic():
        lease, created = _locked_lease(article, user)
        if created:
            return lease
        now = timezone.now()
        if lease.user_id != user.pk or not is_live(lease, now):
            lease.user = user
            lease.started_at = now
        lease.last_seen_at = now
        lease.save(update_fields=["user", "started_at", "last_seen_at"])
        return lease


def was_taken_over(lease: EditLease, seen_at: datetime | None) -> bool:
    """Whether ``lease`` was taken from a page that last renewed its own lease at ``seen_at``.

    Only a take-over can hand a live lease to someone else; once it has lapsed anyone may
    open the story. So another holder who started before the old lease would have lapsed
    took it over.
    """
    if seen_at is None:
        return False
    return lease.started_at < seen_at + timedelta(seconds=lease_seconds())


# --- Saves -----------------------------------------------------------------------------------

_KEEP_YOUR_TEXT = (
    "Your changes have not been saved; they are still in the form below — copy what you "
    "need, then reload the story."
)


def _change_since(article: Article, loaded_version: int) -> str:
    """Who moved the story on after ``loaded_version``, and how, for the refusal message."""
    revision = (
        Revision.objects.filter(article_id=article.pk, number__gt=loaded_version)
        .select_related("created_by")
        .order_by("-number")
        .first()
    )
    if revision is not None:
        who = display_name(revision.created_by) if revision.created_by else "Someone"
        at = clock(revision.created_at)
        if revision.summary in Action.labels:
            # A workflow action: name it, the desk acts on "approved" differently from "saved".
            return f"{who} took the action “{revision.summary}” on this story at {at}"
        if revision.summary and revision.summary != ADMIN_SAVE_SUMMARY:
            return f"{who} changed this story at {at} ({revision.summary})"
        return f"{who} saved this story at {at}"
    event = (
        WorkflowEvent.objects.filter(article_id=article.pk)
        .select_related("by")
        .order_by("-at", "-pk")
        .first()
    )
    if event is not None and event.by is not None:
        return f"{display_name(event.by)} changed this story at {clock(event.at)}"
    return "Someone else saved this story"


def guard_save(article: Article, *, loaded_version: int | None, user=None) -> Article:
    """Lock ``article``'s row for the rest of the transaction; refuse a save that loses work.

    Call inside ``transaction.atomic`` before saving (the admin form does it in ``clean()``,
    inside the admin's transaction). Raises :class:`EditConflict` when the story moved on
    since ``loaded_version`` (the version the editor opened) or when someone other than
    ``user`` holds a live lease on it. On success ``article.version`` is the stored version,
    so the save that follows bumps it from there and never writes back a stale number.

    The row lock makes concurrent saves from the same version queue on PostgreSQL, where the
    second then sees the first one's version; SQLite gets the same order from its write lock,
    taken when the transaction begins (IMMEDIATE mode).
    """
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError(
            "guard_save() must run inside the transaction that saves the story."
        )
    stored = Article.objects.select_for_update(of=("self",)).only("pk", "version")
    stored = stored.get(pk=article.pk)
    if loaded_version is None:
        raise EditConflict(
            "This form does not say which version of the story it was opened on, so saving "
            f"it could overwrite someone's work. {_KEEP_YOUR_TEXT}"
        )
    if stored.version != loaded_version:
        raise EditConflict(
            f"{_change_since(article, loaded_version)}, after you opened it. {_KEEP_YOUR_TEXT}"
        )
    if user is not None:
        lease = current_holder(article)
        if lease is not None and lease.user_id != user.pk:
            way_out = (
                "save once they have closed it, or take it over"
                if user.has_perm(TAKE_OVER_PERMISSION)
                else "save once they have closed it"
            )
            raise EditConflict(
                f"{display_name(lease.user)} is editing this story (since "
                f"{clock(lease.started_at)}). Your changes have not been saved; they are "
                f"still in the form below — copy what you need, and {way_out}."
            )
    article.version = stored.version
    return article
