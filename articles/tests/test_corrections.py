import re
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from articles.corrections import CorrectionError, add_correction
from articles.models import Article, Correction, Revision, State
from articles.tests.factories import ArticleFactory, PublishedArticleFactory

pytestmark = pytest.mark.django_db

# 02:00 UTC is 10:00 in the newsroom (Asia/Shanghai).
EARLY = datetime(2024, 3, 4, 2, 0, tzinfo=UTC)


def text_of(node) -> str:
    return re.sub(r"\s+", " ", node.get_text()).strip()


@pytest.fixture
def live_story(time_machine):
    time_machine.move_to(EARLY - timedelta(days=1), tick=False)
    return PublishedArticleFactory(published_at=EARLY - timedelta(days=1))


def test_correction_moves_updated_at_and_version_and_is_recorded(live_story, editor, time_machine):
    before = Article.objects.get(pk=live_story.pk)
    time_machine.move_to(EARLY, tick=False)

    correction = add_correction(
        live_story, kind="correction", text="  The minister's name was misspelt.  ", by=editor
    )

    assert correction.kind == "correction"
    assert correction.text == "The minister's name was misspelt."
    assert correction.created_at == EARLY
    saved = Article.objects.get(pk=live_story.pk)
    assert saved.updated_at == EARLY > before.updated_at
    assert saved.version == before.version + 1
    assert (live_story.version, live_story.updated_at) == (saved.version, saved.updated_at)
    assert saved.state == State.PUBLISHED
    revision = Revision.objects.get(article=live_story, number=saved.version)
    assert revision.created_by == editor
    assert revision.summary == "Correction added"


def test_corrections_print_on_the_story_newest_first_with_their_time(
    client, live_story, editor, time_machine
):
    time_machine.move_to(EARLY, tick=False)
    add_correction(live_story, kind="correction", text="The date was wrong.", by=editor)
    time_machine.move_to(EARLY + timedelta(hours=3, minutes=5), tick=False)
    add_correction(live_story, kind="update", text="Police named the driver.", by=editor)

    soup = BeautifulSoup(client.get(live_story.get_absolute_url()).content, "html.parser")
    items = [text_of(li) for li in soup.select(".corrections li")]
    assert items == [
        "Update 13:05, March 4, 2024: Police named the driver.",
        "Correction 10:00, March 4, 2024: The date was wrong.",
    ]


@pytest.mark.parametrize(
    "story",
    [
        pytest.param(lambda: ArticleFactory(state=State.DRAFT), id="draft"),
        pytest.param(lambda: ArticleFactory(state=State.READY), id="ready"),
        pytest.param(
            lambda: PublishedArticleFactory(published_at=timezone.now() + timedelta(hours=1)),
            id="scheduled",
        ),
        pytest.param(lambda: PublishedArticleFactory(state=State.WITHDRAWN), id="withdrawn"),
    ],
)
def test_only_a_live_story_takes_corrections(editor, story):
    article = story()
    version = article.version
    with pytest.raises(CorrectionError, match="Only a live story takes corrections"):
        add_correction(article, kind="correction", text="Anything.", by=editor)
    assert not Correction.objects.exists()
    assert Article.objects.get(pk=article.pk).version == version


def test_reporter_may_not_add_corrections(live_story, reporter):
    with pytest.raises(PermissionDenied):
        add_correction(live_story, kind="update", text="New figures.", by=reporter)
    assert not Correction.objects.exists()


@pytest.mark.parametrize(("kind", "text"), [("correction", "   "), ("erratum", "Text.")])
def test_correction_needs_text_and_a_known_kind(live_story, editor, kind, text):
    with pytest.raises(CorrectionError):
        add_correction(live_story, kind=kind, text=text, by=editor)
    assert not Correction.objects.exists()


# --- The admin ---------------------------------------------------------------------------


def add_url(article) -> str:
    return reverse("admin:articles_article_correction_add", args=[article.pk])


def change_url(article) -> str:
    return reverse("admin:articles_article_change", args=[article.pk])


def test_editor_adds_a_clarification_in_the_admin(client, editor):
    story = PublishedArticleFactory()
    client.force_login(editor)
    page = BeautifulSoup(client.get(add_url(story)).content, "html.parser")
    assert {o["value"] for o in page.select("select[name=kind] option")} >= {
        "correction",
        "update",
        "clarification",
    }

    response = client.post(add_url(story), {"kind": "clarification", "text": "It was Tuesday."})

    assert response.status_code == 302
    assert response["Location"].startswith(change_url(story))
    assert Correction.objects.get(article=story).kind == "clarification"
    assert Article.objects.get(pk=story.pk).version == story.version + 1
    public = client.get(story.get_absolute_url()).content.decode()
    assert "It was Tuesday." in public


def test_empty_correction_is_refused_on_the_form(client, editor):
    story = PublishedArticleFactory()
    client.force_login(editor)
    response = client.post(add_url(story), {"kind": "correction", "text": ""})
    assert response.status_code == 200
    assert not Correction.objects.exists()


def test_reporter_cannot_add_corrections_in_the_admin(client, reporter):
    story = PublishedArticleFactory()
    client.force_login(reporter)
    assert client.get(add_url(story)).status_code == 403
    assert client.post(add_url(story), {"kind": "update", "text": "X."}).status_code == 403
    assert not Correction.objects.exists()


def test_admin_refuses_a_correction_on_a_draft_with_a_message(client, editor):
    draft = ArticleFactory()
    client.force_login(editor)
    response = client.post(add_url(draft), {"kind": "correction", "text": "X."}, follow=True)
    assert response.redirect_chain[-1][0] == change_url(draft)
    assert "Only a live story takes corrections" in response.content.decode()
    assert not Correction.objects.exists()


def test_change_form_lists_corrections_read_only_and_links_to_add(client, editor):
    story = PublishedArticleFactory()
    add_correction(story, kind="update", text="Figures revised.", by=editor)
    client.force_login(editor)
    response = client.get(change_url(story))
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    group = soup.select_one("#corrections-group")
    assert "Figures revised." in text_of(group)
    assert group.select("textarea, select, input:not([type=hidden])") == []
    assert soup.select_one("#corrections-tools a")["href"] == add_url(story)


def test_change_form_of_a_draft_offers_no_correction(client, editor):
    draft = ArticleFactory()
    client.force_login(editor)
    soup = BeautifulSoup(client.get(change_url(draft)).content, "html.parser")
    assert soup.find("a", href=add_url(draft)) is None
