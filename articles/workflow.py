"""The editorial workflow: one declared table, one function per verb, all atomic.

``TRANSITIONS`` maps ``(state, action)`` to the state it leads to and the permission it
needs. Nothing else writes ``Article.state``: the model refuses a state change that does not
come through :func:`perform` (see ``Article.save``).

Two errors, two meanings: :class:`~django.core.exceptions.PermissionDenied` when the user may
not take the action (the admin answers 403), :class:`WorkflowError` when the story is not in a
state the action applies to (the admin shows the message).

An explicit table rather than a state-machine library: django-fsm-2 declares transitions as
decorators scattered over model methods, while the desk, the admin buttons and the
permission matrix test all want the whole workflow as data they can read in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import models, transaction
from django.utils import timezone

from .models import Article, State, WorkflowEvent


class Action(models.TextChoices):
    SUBMIT = "submit", "Submit for review"
    SEND_BACK = "send_back", "Send back to reporter"
    APPROVE = "approve", "Approve"
    PUBLISH = "publish", "Publish"
    UNPUBLISH = "unpublish", "Unschedule"
    WITHDRAW = "withdraw", "Withdraw"
    RETURN_TO_DRAFT = "return_to_draft", "Return to draft"


class WorkflowError(Exception):
    """The action does not apply to the story as it is now."""


@dataclass(frozen=True)
class Transition:
    target: str
    permission: str
    # Extra precondition on the story, with the reason shown when it fails.
    condition: Callable[[Article], bool] | None = None
    condition_message: str = ""


def _scheduled(article: Article) -> bool:
    return article.is_scheduled


def _live(article: Article) -> bool:
    return article.is_live


TRANSITIONS: dict[tuple[str, str], Transition] = {
    (State.DRAFT, Action.SUBMIT): Transition(State.REVIEW, "articles.submit_article"),
    (State.REVIEW, Action.SEND_BACK): Transition(State.DRAFT, "articles.review_article"),
    (State.REVIEW, Action.APPROVE): Transition(State.READY, "articles.review_article"),
    (State.READY, Action.SEND_BACK): Transition(State.DRAFT, "articles.review_article"),
    (State.READY, Action.PUBLISH): Transition(State.PUBLISHED, "articles.publish_article"),
    (State.PUBLISHED, Action.UNPUBLISH): Transition(
        State.READY,
        "articles.publish_article",
        _scheduled,
        "Only a scheduled story can be unscheduled; withdraw a live one.",
    ),
    (State.PUBLISHED, Action.WITHDRAW): Transition(
        State.WITHDRAWN,
        "articles.publish_article",
        _live,
        "Only a live story can be withdrawn; unschedule a scheduled one.",
    ),
    (State.WITHDRAWN, Action.RETURN_TO_DRAFT): Transition(State.DRAFT, "articles.publish_article"),
}


def _permissions_by_action() -> dict[str, str]:
    permissions: dict[str, str] = {}
    for (_state, action), transition in TRANSITIONS.items():
        if permissions.setdefault(action, transition.permission) != transition.permission:
            raise ImproperlyConfigured(f"Action “{action}” needs different permissions by state.")
    return permissions


# Whether a user may take an action never depends on the story's state, so "not allowed"
# (403) is answered before "not possible now", and the same way whatever the state.
ACTION_PERMISSIONS: dict[str, str] = _permissions_by_action()


def permission_for(action: str) -> str:
    try:
        return ACTION_PERMISSIONS[action]
    except KeyError:
        raise WorkflowError(f"Unknown action “{action}”.") from None


def transition_for(article: Article, action: str) -> Transition:
    try:
        return TRANSITIONS[(article.state, action)]
    except KeyError:
        label = Action(action).label if action in Action.values else action
        raise WorkflowError(
            f"“{label}” is not possible for a story that is {article.get_state_display()}."
        ) from None


def check(article: Article, action: str, user) -> Transition:
    """The transition ``user`` would apply to ``article`` now; changes nothing.

    Raises ``WorkflowError`` for an unknown action, then ``PermissionDenied`` when the user may
    not take the action at all, then ``WorkflowError`` when the story's state or condition
    rules it out.
    """
    if not user.has_perm(permission_for(action)):
        raise PermissionDenied(f"You may not {Action(action).label.lower()} stories.")
    transition = transition_for(article, action)
    if transition.condition and not transition.condition(article):
        raise WorkflowError(transition.condition_message)
    return transition


def available_actions(article: Article, user) -> list[str]:
    """The actions ``user`` may take on ``article`` now, in the table's order."""
    actions = []
    for (state, action), transition in TRANSITIONS.items():
        if state != article.state or not user.has_perm(transition.permission):
            continue
        if transition.condition and not transition.condition(article):
            continue
        actions.append(action)
    return actions


def can(user, article: Article, action: str) -> bool:
    return action in available_actions(article, user)


def perform(
    article: Article,
    action: str,
    *,
    by,
    comment: str = "",
    at: datetime | None = None,
    notice: str = "",
) -> Article:
    """Apply ``action`` to ``article`` for ``by`` and record it; returns the saved story.

    ``at`` is the publication time for ``publish`` (default now; a future time schedules the
    story). ``notice`` is the public text for ``withdraw``. Raises ``PermissionDenied`` or
    ``WorkflowError`` and changes nothing when the action is not allowed or not possible.
    """
    from .revisions import record_revision

    with transaction.atomic():
        # Lock the row: two desks pressing buttons at once apply one after the other, and the
        # second is checked against the state the first left.
        current = Article.objects.select_for_update().get(pk=article.pk)
        transition = check(current, action, by)

        now = timezone.now()
        from_state = current.state
        current.state = transition.target
        publish_at = None
        if action == Action.PUBLISH:
            publish_at = at or now
            current.published_at = publish_at
            # Set once: a story withdrawn and published again keeps its first appearance.
            if current.first_published_at is None:
                current.first_published_at = publish_at
            current.withdrawal_notice = ""
        elif action == Action.WITHDRAW:
            current.withdrawal_notice = notice.strip()
        elif action == Action.UNPUBLISH and current.first_published_at == current.published_at:
            # It never went live: forget the time it was scheduled for.
            current.first_published_at = None
        current.version += 1
        current._workflow_write = True
        current.save()
        WorkflowEvent.objects.create(
            article=current,
            action=action,
            from_state=from_state,
            to_state=current.state,
            by=by,
            at=now,
            comment=comment.strip(),
            publish_at=publish_at,
        )
        record_revision(current, by=by, summary=Action(action).label)
    article.__dict__.update(
        {f.attname: getattr(current, f.attname) for f in Article._meta.concrete_fields}
    )
    article._loaded_state = current.state
    return current


def submit(article: Article, *, by, comment: str = "") -> Article:
    return perform(article, Action.SUBMIT, by=by, comment=comment)


def send_back(article: Article, *, by, comment: str = "") -> Article:
    return perform(article, Action.SEND_BACK, by=by, comment=comment)


def approve(article: Article, *, by, comment: str = "") -> Article:
    return perform(article, Action.APPROVE, by=by, comment=comment)


def publish(article: Article, *, by, at: datetime | None = None, comment: str = "") -> Article:
    """Publish now, or schedule for ``at`` (an embargo) when it lies ahead."""
    return perform(article, Action.PUBLISH, by=by, at=at, comment=comment)


def unpublish(article: Article, *, by, comment: str = "") -> Article:
    return perform(article, Action.UNPUBLISH, by=by, comment=comment)


def withdraw(article: Article, *, by, comment: str = "", notice: str = "") -> Article:
    return perform(article, Action.WITHDRAW, by=by, comment=comment, notice=notice)


def return_to_draft(article: Article, *, by, comment: str = "") -> Article:
    return perform(article, Action.RETURN_TO_DRAFT, by=by, comment=comment)
