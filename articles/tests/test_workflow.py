"""The workflow service: every transition, its timestamps, history and refusals."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied

from articles import workflow
from articles.models import Article, Revision, State, StateWriteError, WorkflowEvent
from articles.tests.factories import ArticleFactory, PublishedArticleFactory
from articles.workflow import Action, WorkflowError

pytestmark = pytest.mark.django_db

NOON = datetime(2025, 3, 14, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOON, tick=False)
    return NOON


def stored(article: Article) -> Article:
    return Article.objects.get(pk=article.pk)


def test_submit_moves_a_draft_to_review_and_records_who_when_and_why(frozen, reporter):
    article = ArticleFactory(created_by=reporter)

    workflow.submit(article, by=reporter, comment="  Ready for the desk.  ")

    assert stored(article).state == State.REVIEW
    event = WorkflowEvent.objects.get(article=article)
    assert (event.action, event.from_state, event.to_state) == ("submit", "draft", "review")
    assert event.by == reporter
    assert event.at == frozen
    assert event.comment == "Ready for the desk."
    assert event.publish_at is None


@pytest.mark.parametrize(
    ("start", "verb", "end"),
    [
        (State.REVIEW, workflow.send_back, State.DRAFT),
        (State.REVIEW, workflow.approve, State.READY),
        (State.READY, workflow.send_back, State.DRAFT),
    ],
)
def test_editor_sends_back_or_approves(editor, start, verb, end):
    article = ArticleFactory(state=start)

    verb(article, by=editor, comment="Checked.")

    assert stored(article).state == end
    event = article.events.get()
    assert (event.from_state, event.to_state, event.by) == (start, end, editor)
    assert event.comment == "Checked."


def test_publish_now_makes_the_story_live_with_both_times_now(frozen, publisher, client):
    article = ArticleFactory(state=State.READY)

    workflow.publish(article, by=publisher)

    article = stored(article)
    assert article.state == State.PUBLISHED
    assert article.published_at == frozen
    assert article.first_published_at == frozen
    assert article.is_live
    assert article.events.get().publish_at == frozen
    assert client.get(article.get_absolute_url()).status_code == 200


def test_scheduled_story_is_invisible_until_its_time_then_on_home_and_article_page(
    frozen, publisher, client, time_machine
):
    article = ArticleFactory(state=State.READY, body="<p>Embargoed until two.</p>")
    at = frozen + timedelta(hours=2)

    workflow.publish(article, by=publisher, at=at, comment="Embargo 14:00")

    article = stored(article)
    assert (article.state, article.published_at, article.first_published_at) == (
        State.PUBLISHED,
        at,
        at,
    )
    assert article.is_scheduled
    assert article.events.get().publish_at == at
    assert client.get(article.get_absolute_url()).status_code == 404
    assert article.headline not in client.get("/").content.decode()

    time_machine.move_to(at - timedelta(seconds=1), tick=False)
    assert client.get(article.get_absolute_url()).status_code == 404

    time_machine.move_to(at, tick=False)
    assert article.headline in client.get("/").content.decode()
    page = client.get(article.get_absolute_url())
    assert page.status_code == 200
    assert "Embargoed until two." in page.content.decode()


def test_first_published_at_is_set_once_across_withdrawal_and_republication(
    frozen, publisher, time_machine
):
    article = ArticleFactory(state=State.READY)
    workflow.publish(article, by=publisher)
    time_machine.move_to(frozen + timedelta(days=1), tick=False)
    workflow.withdraw(article, by=publisher, notice="Withdrawn for a legal review.")
    workflow.return_to_draft(article, by=publisher)
    workflow.submit(article, by=publisher)
    workflow.approve(article, by=publisher)
    # Republished with an earlier dateline than its first appearance: still first seen then.
    workflow.publish(article, by=publisher, at=frozen - timedelta(hours=5))

    article = stored(article)
    assert article.first_published_at == frozen
    assert article.published_at == frozen - timedelta(hours=5)
    assert article.is_live


def test_unpublish_returns_a_scheduled_story_to_ready_and_forgets_its_time(frozen, publisher):
    article = ArticleFactory(state=State.READY)
    workflow.publish(article, by=publisher, at=frozen + timedelta(hours=3))

    workflow.unpublish(article, by=publisher, comment="Embargo lifted later.")

    article = stored(article)
    assert article.state == State.READY
    # It never went live, so it was never first published.
    assert article.first_published_at is None
    assert [e.action for e in article.events.order_by("at", "pk")] == ["publish", "unpublish"]


def test_unpublish_refuses_a_live_story(publisher):
    article = PublishedArticleFactory()

    with pytest.raises(WorkflowError, match="Only a scheduled story can be unscheduled"):
        workflow.unpublish(article, by=publisher)

    assert stored(article).state == State.PUBLISHED
    assert not article.events.exists()


def test_withdraw_takes_a_live_story_down_and_stores_the_public_notice(publisher, client):
    article = PublishedArticleFactory()
    assert client.get(article.get_absolute_url()).status_code == 200

    workflow.withdraw(
        article, by=publisher, comment="Lawyer's call.", notice="  Withdrawn pending review. "
    )

    article = stored(article)
    assert article.state == State.WITHDRAWN
    assert article.withdrawal_notice == "Withdrawn pending review."
    assert article.events.get().comment == "Lawyer's call."
    assert article.headline not in client.get("/").content.decode()


def test_withdraw_refuses_a_scheduled_story(frozen, publisher):
    article = ArticleFactory(state=State.READY)
    workflow.publish(article, by=publisher, at=frozen + timedelta(hours=1))

    with pytest.raises(WorkflowError, match="Only a live story can be withdrawn"):
        workflow.withdraw(article, by=publisher, notice="No.")

    article = stored(article)
    assert article.state == State.PUBLISHED
    assert article.withdrawal_notice == ""


def test_return_to_draft_reopens_a_withdrawn_story_and_publishing_clears_the_notice(publisher):
    article = PublishedArticleFactory()
    workflow.withdraw(article, by=publisher, notice="Withdrawn.")

    workflow.return_to_draft(article, by=publisher)
    assert stored(article).state == State.DRAFT

    workflow.submit(article, by=publisher)
    workflow.approve(article, by=publisher)
    workflow.publish(article, by=publisher)
    article = stored(article)
    assert article.state == State.PUBLISHED
    assert article.withdrawal_notice == ""


def test_each_transition_bumps_the_version_and_records_a_revision(editor):
    article = ArticleFactory(headline="Versioned story")
    assert article.version == 1

    workflow.submit(article, by=editor)
    workflow.approve(article, by=editor)

    article = stored(article)
    assert article.version == 3
    revisions = list(Revision.objects.filter(article=article).order_by("number"))
    assert [(r.number, r.summary, r.created_by) for r in revisions] == [
        (2, "Submit for review", editor),
        (3, "Approve", editor),
    ]
    assert revisions[-1].data["state"] == State.READY
    assert revisions[-1].data["headline"] == "Versioned story"


def test_perform_updates_the_callers_instance_so_it_can_be_saved_again(editor):
    article = ArticleFactory()

    workflow.submit(article, by=editor)

    assert (article.state, article.version) == (State.REVIEW, 2)
    article.headline = "Edited after submitting"
    article.save()  # No StateWriteError: the instance knows its new state.
    assert stored(article).headline == "Edited after submitting"


def test_a_stale_copy_is_checked_against_the_stored_state(editor):
    article = ArticleFactory(state=State.REVIEW)
    stale = stored(article)
    workflow.approve(article, by=editor)

    # Someone still looking at "In review" presses "Send back": the story is Ready now, and
    # send back applies there too, so it goes through from the stored state.
    workflow.send_back(stale, by=editor)
    assert stored(article).state == State.DRAFT
    last = article.events.order_by("-pk").first()
    assert (last.from_state, last.to_state) == (State.READY, State.DRAFT)

    # Approving from the stale "In review" copy is refused: the story is a draft now.
    with pytest.raises(WorkflowError, match="not possible for a story that is Draft"):
        workflow.approve(stale, by=editor)


def test_permission_denied_when_the_user_lacks_the_permission(reporter):
    article = ArticleFactory(state=State.REVIEW)

    with pytest.raises(PermissionDenied):
        workflow.approve(article, by=reporter)

    assert stored(article).state == State.REVIEW
    assert stored(article).version == 1
    assert not article.events.exists()
    assert not article.revisions.exists()


def test_not_allowed_is_answered_before_not_possible(reporter, editor):
    draft = ArticleFactory()

    # The reporter may never publish, whatever the state: 403, not "not possible".
    with pytest.raises(PermissionDenied):
        workflow.publish(draft, by=reporter)
    # The editor may approve, just not a draft: a workflow error with the reason.
    with pytest.raises(WorkflowError, match="“Approve” is not possible for a story that is Draft"):
        workflow.approve(draft, by=editor)
    assert stored(draft).state == State.DRAFT


def test_unknown_action_is_a_workflow_error(publisher):
    article = ArticleFactory()

    with pytest.raises(WorkflowError, match="Unknown action “delete”"):
        workflow.perform(article, "delete", by=publisher)

    assert not article.events.exists()


def test_a_failure_while_recording_rolls_the_whole_transition_back(editor, monkeypatch):
    article = ArticleFactory()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("articles.revisions.record_revision", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        workflow.submit(article, by=editor)

    article = stored(article)
    assert (article.state, article.version) == (State.DRAFT, 1)
    assert not article.events.exists()


def test_saving_a_changed_state_outside_the_workflow_is_refused():
    article = ArticleFactory()
    article.state = State.PUBLISHED

    with pytest.raises(StateWriteError, match="outside the workflow"):
        article.save()

    assert stored(article).state == State.DRAFT


def test_available_actions_follow_state_condition_and_permission(frozen, reporter, publisher):
    live = PublishedArticleFactory()
    scheduled = PublishedArticleFactory(published_at=frozen + timedelta(hours=1))

    assert workflow.available_actions(live, publisher) == [Action.WITHDRAW]
    assert workflow.available_actions(scheduled, publisher) == [Action.UNPUBLISH]
    assert workflow.available_actions(ArticleFactory(), reporter) == [Action.SUBMIT]
    assert workflow.available_actions(ArticleFactory(state=State.READY), reporter) == []


def test_each_action_needs_one_permission_whatever_the_state():
    assert workflow.ACTION_PERMISSIONS == {
        "submit": "articles.submit_article",
        "send_back": "articles.review_article",
        "approve": "articles.review_article",
        "publish": "articles.publish_article",
        "unpublish": "articles.publish_article",
        "withdraw": "articles.publish_article",
        "return_to_draft": "articles.publish_article",
    }
