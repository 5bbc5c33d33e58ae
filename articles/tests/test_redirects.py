"""Old addresses keep working: a public story whose slug, section or date changes answers its
former address with 301 to the new one, as long as the story is published.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from articles import workflow
from articles.models import Article, ArticleRedirect, State
from articles.tests.factories import ArticleFactory, PublishedArticleFactory, SectionFactory

pytestmark = pytest.mark.django_db


def reloaded(article: Article) -> Article:
    # Article.save() compares with the address the row had when loaded.
    return Article.objects.get(pk=article.pk)


def moved(article: Article, **changes) -> tuple[str, Article]:
    """Apply ``changes`` to a saved story; its old address and the story as saved."""
    old = article.get_absolute_url()
    story = reloaded(article)
    for name, value in changes.items():
        setattr(story, name, value)
    story.save()
    return old, story


def assert_redirects(client, old: str, new: str) -> None:
    response = client.get(old)
    assert response.status_code == 301
    assert response["Location"] == new
    assert client.get(new).status_code == 200


def test_changed_slug_redirects_the_old_address(client):
    old, story = moved(PublishedArticleFactory(slug="harbour-closes"), slug="harbour-reopens")
    assert story.get_absolute_url() != old
    assert_redirects(client, old, story.get_absolute_url())


def test_changed_section_redirects_the_old_address(client):
    old, story = moved(PublishedArticleFactory(), section=SectionFactory(slug="business"))
    assert "/business/" in story.get_absolute_url()
    assert_redirects(client, old, story.get_absolute_url())


def test_changed_date_redirects_the_old_address(client):
    article = PublishedArticleFactory(published_at=timezone.now() - timedelta(days=3))
    old, story = moved(article, published_at=timezone.now() - timedelta(days=1))
    assert_redirects(client, old, story.get_absolute_url())


def test_every_former_address_leads_to_the_current_one(client):
    first = PublishedArticleFactory(slug="first-slug")
    old_first, second = moved(first, slug="second-slug")
    old_second, third = moved(second, slug="third-slug", section=SectionFactory(slug="sport"))
    for old in (old_first, old_second):
        assert_redirects(client, old, third.get_absolute_url())


def test_unchanged_address_records_no_redirect():
    moved(PublishedArticleFactory(), headline="A sharper headline")
    assert not ArticleRedirect.objects.exists()


def test_draft_with_a_changed_slug_leaves_no_redirect(client):
    draft = ArticleFactory(state=State.DRAFT, slug="first-try")
    old, _ = moved(draft, slug="second-try")
    assert not ArticleRedirect.objects.exists()
    assert client.get(old).status_code == 404


def test_old_address_of_a_scheduled_story_redirects_only_once_it_is_live(client, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    article = PublishedArticleFactory(slug="before")
    # The desk moves a published story's time ahead: it is scheduled again, and so hidden.
    old, story = moved(article, slug="after", published_at=timezone.now() + timedelta(hours=2))
    assert client.get(old).status_code == 404
    time_machine.move_to(story.published_at + timedelta(minutes=1), tick=False)
    assert_redirects(client, old, story.get_absolute_url())


def test_old_address_of_a_withdrawn_story_is_gone_not_redirected(client, publisher):
    old, story = moved(PublishedArticleFactory(slug="before"), slug="after")
    workflow.withdraw(story, by=publisher, notice="It relied on a false report.")
    response = client.get(old)
    # Redirects lead only to published stories; the old address tells what became of it.
    assert response.status_code == 410
    assert "It relied on a false report." in response.content.decode()
    assert client.get(story.get_absolute_url()).status_code == 410


def test_old_address_of_a_story_back_in_draft_is_not_found(client, publisher):
    old, story = moved(PublishedArticleFactory(slug="before"), slug="after")
    workflow.withdraw(story, by=publisher)
    workflow.return_to_draft(story, by=publisher)
    assert client.get(old).status_code == 404


def test_a_live_story_at_an_old_address_wins_over_the_redirect(client):
    old, moved_story = moved(PublishedArticleFactory(slug="taken-over"), slug="moved-on")
    newcomer = PublishedArticleFactory(
        slug="taken-over",
        section=moved_story.section,
        published_at=reloaded(moved_story).published_at,
    )
    assert newcomer.get_absolute_url() == old
    response = client.get(old)
    assert response.status_code == 200
    assert newcomer.headline in response.content.decode()


def test_old_address_leads_to_its_story_even_if_another_took_the_slug(client):
    old, story = moved(PublishedArticleFactory(slug="harbour"), slug="harbour-reopens")
    newcomer = PublishedArticleFactory(slug="harbour", section=SectionFactory(slug="sport"))
    assert newcomer.get_absolute_url() != old
    assert_redirects(client, old, story.get_absolute_url())


def test_moving_back_to_a_former_address_serves_it_again(client):
    old, story = moved(PublishedArticleFactory(slug="original"), slug="renamed")
    back, story = moved(story, slug="original")
    assert story.get_absolute_url() == old
    assert client.get(old).status_code == 200
    assert_redirects(client, back, old)


def test_unknown_address_is_still_not_found(client):
    moved(PublishedArticleFactory(slug="before"), slug="after")
    assert client.get("/world/2024/01/01/no-such-story/").status_code == 404
