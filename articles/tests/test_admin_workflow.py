"""Workflow in the admin: permission matrix, panel, transition pages, change-list actions,
reporters' editing rights."""

from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, State, WorkflowEvent
from articles.tests.factories import ArticleFactory, PublishedArticleFactory, SectionFactory

pytestmark = pytest.mark.django_db

ROLES = ["Reporter", "Editor", "Publisher"]
ACTIONS = ["submit", "send_back", "approve", "publish", "unpublish", "withdraw", "return_to_draft"]
# "scheduled" is a published story whose time lies ahead.
STATES = ["draft", "review", "ready", "published", "scheduled", "withdrawn"]

# Written out by hand from the issue, not read from workflow.TRANSITIONS, so that a wrong
# table or a wrong permission in the code makes these tests fail.
MAY = {
    "Reporter": {"submit"},
    "Editor": {"submit", "send_back", "approve"},
    "Publisher": set(ACTIONS),
}
LEADS_TO = {
    ("draft", "submit"): "review",
    ("review", "send_back"): "draft",
    ("review", "approve"): "ready",
    ("ready", "send_back"): "draft",
    ("ready", "publish"): "published",
    ("scheduled", "unpublish"): "ready",
    ("published", "withdraw"): "withdrawn",
    ("withdrawn", "return_to_draft"): "draft",
}

NOTICE = "This story has been withdrawn pending a review."


def make_story(state: str, **fields) -> Article:
    now = timezone.now()
    if state == "scheduled":
        return PublishedArticleFactory(published_at=now + timedelta(hours=2), **fields)
    if state == "published":
        return PublishedArticleFactory(**fields)
    if state == "withdrawn":
        return PublishedArticleFactory(state=State.WITHDRAWN, **fields)
    return ArticleFactory(state=state, **fields)


def transition_url(article: Article, action: str) -> str:
    return reverse("admin:articles_article_transition", args=[article.pk, action])


def change_url(article: Article) -> str:
    return reverse("admin:articles_article_change", args=[article.pk])


def post_data(**extra) -> dict:
    return {
        "comment": "Matrix comment",
        "notice": NOTICE,
        "publish_at_0": "",
        "publish_at_1": "",
        **extra,
    }


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(client, make_staff, role, action, state):
    user = make_staff(role)
    # The user's own story, so the matrix measures roles, not authorship.
    article = make_story(state, created_by=user)
    before = Article.objects.get(pk=article.pk)
    client.force_login(user)

    response = client.post(transition_url(article, action), post_data())

    after = Article.objects.get(pk=article.pk)
    if action not in MAY[role]:
        assert response.status_code == 403
        assert (after.state, after.published_at, after.version) == (
            before.state,
            before.published_at,
            before.version,
        )
        assert not WorkflowEvent.objects.exists()
    elif (state, action) in LEADS_TO:
        assert response.status_code == 302
        assert response.url == change_url(article)
        assert after.state == LEADS_TO[(state, action)]
        assert after.version == before.version + 1
        event = WorkflowEvent.objects.get()
        assert (event.action, event.by, event.comment) == (action, user, "Matrix comment")
    else:
        assert response.status_code == 302
        assert response.url == change_url(article)
        assert (after.state, after.published_at, after.version) == (
            before.state,
            before.published_at,
            before.version,
        )
        assert not WorkflowEvent.objects.exists()
        assert any("not possible" in m or "Only a" in m for m in messages_of(response))


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_panel_offers_exactly_the_actions_the_role_may_take_now(client, make_staff, role, state):
    user = make_staff(role)
    article = make_story(state, created_by=user)
    client.force_login(user)

    html = client.get(change_url(article)).content.decode()

    links = BeautifulSoup(html, "html.parser").select("#workflow-panel a.workflow-action")
    offered = {a["data-action"]: a["href"] for a in links}
    expected = {action for (s, action) in LEADS_TO if s == state} & MAY[role]
    assert set(offered) == expected
    for action, href in offered.items():
        assert href == transition_url(article, action)


def test_panel_says_when_a_scheduled_story_goes_live_in_newsroom_time(admin_client, time_machine):
    time_machine.move_to(datetime(2025, 3, 14, 4, 0, tzinfo=UTC), tick=False)
    article = PublishedArticleFactory(published_at=datetime(2025, 3, 16, 1, 30, tzinfo=UTC))

    html = admin_client.get(change_url(article)).content.decode()

    status = BeautifulSoup(html, "html.parser").select_one("#workflow-panel .workflow-status")
    assert status.get_text(" ", strip=True) == "Status: Scheduled for 09:30, 16 March"


def test_panel_shows_the_history_newest_first_with_who_when_and_comment(
    client, reporter, editor, time_machine
):
    time_machine.move_to(datetime(2025, 3, 14, 4, 0, tzinfo=UTC), tick=False)
    article = ArticleFactory(created_by=reporter)
    client.force_login(reporter)
    client.post(transition_url(article, "submit"), post_data(comment="First draft done."))
    time_machine.move_to(datetime(2025, 3, 14, 5, 15, tzinfo=UTC), tick=False)
    client.force_login(editor)
    client.post(transition_url(article, "send_back"), post_data(comment="Needs a second source."))

    html = client.get(change_url(article)).content.decode()

    rows = BeautifulSoup(html, "html.parser").select("#workflow-panel tr.workflow-event")
    cells = [[td.get_text(" ", strip=True) for td in row.select("td")] for row in rows]
    assert cells == [
        [
            "13:15, 14 March 2025",
            "eddie",
            "Send back to reporter: In review → Draft",
            "Needs a second source.",
        ],
        [
            "12:00, 14 March 2025",
            "rita",
            "Submit for review: Draft → In review",
            "First draft done.",
        ],
    ]


def test_confirmation_page_asks_for_a_comment_and_changes_nothing(client, reporter):
    article = ArticleFactory(created_by=reporter, headline="Flood defences hold")
    client.force_login(reporter)

    response = client.get(transition_url(article, "submit"))

    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    form = page.select_one("#content-main form")
    assert form["method"] == "post"
    assert form.select_one("textarea[name=comment]") is not None
    assert form.select_one("input[name=csrfmiddlewaretoken]") is not None
    assert "Flood defences hold" in page.select_one(".breadcrumbs").get_text()
    assert Article.objects.get(pk=article.pk).state == State.DRAFT
    assert not WorkflowEvent.objects.exists()


def test_publish_page_asks_for_a_time_and_withdraw_page_for_a_notice(client, publisher):
    client.force_login(publisher)
    ready = make_story("ready")
    live = make_story("published")

    publish = BeautifulSoup(client.get(transition_url(ready, "publish")).content, "html.parser")
    withdraw = BeautifulSoup(client.get(transition_url(live, "withdraw")).content, "html.parser")

    assert publish.select_one("input[name=publish_at_0]") is not None
    assert publish.select_one("input[name=publish_at_1]") is not None
    assert "Asia/Shanghai" in publish.select_one(".field-publish_at").get_text()
    assert withdraw.select_one("textarea[name=notice]") is not None
    assert withdraw.select_one("input[name=publish_at_0]") is None


def test_publish_at_a_time_ahead_schedules_the_story_in_newsroom_time(
    client, publisher, time_machine
):
    time_machine.move_to(datetime(2025, 3, 14, 4, 0, tzinfo=UTC), tick=False)
    article = make_story("ready")
    client.force_login(publisher)

    response = client.post(
        transition_url(article, "publish"),
        post_data(publish_at_0="2025-03-15", publish_at_1="07:45:00", comment="Embargo"),
    )

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.state == State.PUBLISHED
    # 07:45 in Shanghai is 23:45 UTC the day before.
    assert article.published_at == datetime(2025, 3, 14, 23, 45, tzinfo=UTC)
    assert article.is_scheduled
    assert messages_of(response) == [
        f"“{article.headline}” was scheduled for 07:45, 15 March; readers see it from then."
    ]


def test_publish_at_a_time_already_passed_is_refused(client, publisher, time_machine):
    time_machine.move_to(datetime(2025, 3, 14, 4, 0, tzinfo=UTC), tick=False)
    article = make_story("ready")
    client.force_login(publisher)

    response = client.post(
        transition_url(article, "publish"),
        post_data(publish_at_0="2025-03-14", publish_at_1="11:59:00"),
    )

    assert response.status_code == 200
    assert "That time has passed" in response.content.decode()
    assert Article.objects.get(pk=article.pk).state == State.READY


def test_publish_with_the_time_left_blank_publishes_now(client, publisher, time_machine):
    time_machine.move_to(datetime(2025, 3, 14, 4, 0, tzinfo=UTC), tick=False)
    article = make_story("ready")
    client.force_login(publisher)

    client.post(transition_url(article, "publish"), post_data())

    article.refresh_from_db()
    assert article.published_at == datetime(2025, 3, 14, 4, 0, tzinfo=UTC)
    assert article.is_live


def test_withdraw_needs_the_public_notice_and_stores_it(client, publisher):
    article = make_story("published")
    client.force_login(publisher)

    response = client.post(transition_url(article, "withdraw"), post_data(notice=""))
    assert response.status_code == 200
    assert Article.objects.get(pk=article.pk).state == State.PUBLISHED

    client.post(transition_url(article, "withdraw"), post_data())
    article.refresh_from_db()
    assert (article.state, article.withdrawal_notice) == (State.WITHDRAWN, NOTICE)
    html = client.get(change_url(article)).content.decode()
    assert NOTICE in BeautifulSoup(html, "html.parser").select_one("#workflow-panel").get_text()


def test_transition_without_csrf_token_is_refused(publisher):
    article = make_story("ready")
    client = Client(enforce_csrf_checks=True)
    client.force_login(publisher)

    response = client.post(transition_url(article, "publish"), post_data())

    assert response.status_code == 403
    assert Article.objects.get(pk=article.pk).state == State.READY


def test_staff_who_cannot_view_stories_get_403(client, make_staff, django_user_model):
    from django.contrib.auth.models import Permission

    user = make_staff(None, "intern")
    # Holds the workflow right but not the right to see stories.
    user.user_permissions.add(Permission.objects.get(codename="submit_article"))
    article = make_story("draft", created_by=user)
    client.force_login(user)

    assert client.get(transition_url(article, "submit")).status_code == 403
    assert client.post(transition_url(article, "submit"), post_data()).status_code == 403
    assert Article.objects.get(pk=article.pk).state == State.DRAFT


def test_unknown_action_is_404(admin_client):
    article = make_story("draft")

    assert admin_client.post(transition_url(article, "delete"), post_data()).status_code == 404


def test_missing_story_redirects_with_a_warning(admin_client):
    response = admin_client.get(reverse("admin:articles_article_transition", args=[999, "submit"]))

    assert response.status_code == 302
    assert "Perhaps it was deleted?" in messages_of(response)[0]


# --- Reporters --------------------------------------------------------------------------------


def form_data(client, url: str, article: Article, **changes) -> dict:
    """What the story's admin form at ``url`` posts for ``article``, with ``changes`` applied
    and no inline rows; hidden fields the page carries are kept."""
    response = client.get(url)
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form.initial.get(name)
        if value is None and hasattr(article, name):
            value = getattr(article, name)
        if value is not None:
            data[name] = getattr(value, "pk", value)
    data.update(changes)
    for inline in response.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        data[f"{prefix}-TOTAL_FORMS"] = data[f"{prefix}-INITIAL_FORMS"] = 0
    return data


def edit(client, article: Article, **changes):
    url = change_url(article)
    return client.post(url, form_data(client, url, article, **changes))


def test_reporter_adds_a_story_and_edits_it_while_it_is_a_draft(client, reporter):
    section = SectionFactory()
    client.force_login(reporter)
    add_url = reverse("admin:articles_article_add")
    draft = ArticleFactory.build(section=section, headline="Ferry timetable", slug="")

    response = client.post(add_url, form_data(client, add_url, draft))

    assert response.status_code == 302
    article = Article.objects.get(headline="Ferry timetable")
    assert article.created_by == reporter
    response = edit(client, article, headline="New ferry")
    assert response.status_code == 302
    assert Article.objects.get(pk=article.pk).headline == "New ferry"


def test_reporter_only_views_a_colleagues_story(client, make_staff, reporter):
    colleague = make_staff("Reporter", "carl")
    article = make_story("draft", created_by=colleague, headline="Not yours")
    client.force_login(reporter)

    response = client.get(change_url(article))
    assert response.status_code == 200
    assert response.context["title"] == "View article"
    assert not response.context["has_change_permission"]
    # A crafted save and a crafted submit are both refused and change nothing.
    assert edit(client, article, headline="Mine").status_code == 403
    assert client.post(transition_url(article, "submit"), post_data()).status_code == 403
    article.refresh_from_db()
    assert (article.headline, article.state) == ("Not yours", State.DRAFT)
    assert not BeautifulSoup(response.content, "html.parser").select("a.workflow-action")


def test_reporter_cannot_change_their_own_story_once_submitted(client, reporter):
    article = make_story("draft", created_by=reporter, headline="Submitted copy")
    client.force_login(reporter)
    client.post(transition_url(article, "submit"), post_data())

    response = client.get(change_url(article))
    assert response.context["title"] == "View article"
    response = edit(client, article, headline="Sneaky")

    assert response.status_code == 403
    article.refresh_from_db()
    assert (article.headline, article.state) == ("Submitted copy", State.REVIEW)


def test_editor_changes_anyones_story_in_any_state(client, editor, reporter):
    article = make_story("review", created_by=reporter, headline="Council vote")
    client.force_login(editor)

    response = edit(client, article, headline="Council votes")

    assert response.status_code == 302
    assert Article.objects.get(pk=article.pk).headline == "Council votes"


@pytest.mark.parametrize("state", ["published", "withdrawn"])
def test_nobody_deletes_a_published_or_withdrawn_story(admin_client, state):
    article = make_story(state)
    delete_url = reverse("admin:articles_article_delete", args=[article.pk])

    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    response = admin_client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [article.pk], "post": "yes"},
    )
    assert response.status_code == 403
    assert Article.objects.filter(pk=article.pk).exists()


def test_a_draft_can_still_be_deleted(admin_client):
    article = make_story("draft")

    admin_client.post(reverse("admin:articles_article_delete", args=[article.pk]), {"post": "yes"})

    assert not Article.objects.filter(pk=article.pk).exists()


# --- Change list actions ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_change_list_offers_the_workflow_actions_the_role_holds(client, make_staff, role):
    client.force_login(make_staff(role))

    response = client.get(reverse("admin:articles_article_changelist"))

    choices = {name for name, _label in response.context["action_form"].fields["action"].choices}
    offered = {name.removeprefix("workflow_") for name in choices if name.startswith("workflow_")}
    assert offered == MAY[role]


def test_change_list_action_confirms_then_reports_each_story(client, publisher):
    ready = [make_story("ready", headline=f"Ready {n}") for n in (1, 2)]
    draft = make_story("draft", headline="Still a draft")
    selected = [a.pk for a in [*ready, draft]]
    url = reverse("admin:articles_article_changelist")
    client.force_login(publisher)

    confirm = client.post(url, {"action": "workflow_publish", ACTION_CHECKBOX_NAME: selected})

    assert confirm.status_code == 200
    page = BeautifulSoup(confirm.content, "html.parser")
    problems = [td.get_text(" ", strip=True) for td in page.select(".workflow-selected__problem")]
    assert problems == [
        "Will be left as it is: “Publish” is not possible for a story that is Draft."
    ]
    assert page.select_one("textarea[name=comment]") is not None
    assert page.select_one("input[name=publish_at_0]") is not None
    assert all(
        a.state == State.READY for a in Article.objects.filter(pk__in=[r.pk for r in ready])
    )

    done = client.post(
        url,
        {
            "action": "workflow_publish",
            ACTION_CHECKBOX_NAME: selected,
            "post": "yes",
            **post_data(comment="Evening batch"),
        },
    )

    assert done.status_code == 302
    assert set(Article.objects.filter(pk__in=selected).values_list("headline", "state")) == {
        ("Ready 1", State.PUBLISHED),
        ("Ready 2", State.PUBLISHED),
        ("Still a draft", State.DRAFT),
    }
    assert set(WorkflowEvent.objects.values_list("comment", flat=True)) == {"Evening batch"}
    reported = messages_of(done)
    assert len(reported) == 2
    assert reported[0].startswith("2 articles published:")
    assert "“Ready 1”" in reported[0] and "“Ready 2”" in reported[0]
    assert reported[1] == (
        "“Still a draft” was not published: “Publish” is not possible for a story that is Draft."
    )


def test_change_list_action_reports_a_reporter_submitting_a_colleagues_story(
    client, make_staff, reporter
):
    own = make_story("draft", created_by=reporter, headline="Own draft")
    theirs = make_story("draft", created_by=make_staff("Reporter", "carl"), headline="Theirs")
    client.force_login(reporter)

    response = client.post(
        reverse("admin:articles_article_changelist"),
        {
            "action": "workflow_submit",
            ACTION_CHECKBOX_NAME: [own.pk, theirs.pk],
            "post": "yes",
            "comment": "",
        },
    )

    assert response.status_code == 302
    assert Article.objects.get(pk=own.pk).state == State.REVIEW
    assert Article.objects.get(pk=theirs.pk).state == State.DRAFT
    assert messages_of(response)[1] == (
        "“Theirs” was not submitted for review: Reporters submit only their own stories."
    )


def test_change_list_refuses_an_action_the_user_does_not_hold(client, reporter):
    article = make_story("ready")
    client.force_login(reporter)

    client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "workflow_publish", ACTION_CHECKBOX_NAME: [article.pk], "post": "yes"},
    )

    assert Article.objects.get(pk=article.pk).state == State.READY
    assert not WorkflowEvent.objects.exists()
