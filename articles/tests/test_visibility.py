from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import Article, State
from articles.tests.factories import ArticleFactory, PublishedArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hidden_articles():
    """One of each kind of story the public must not see."""
    return {
        "draft": ArticleFactory(state=State.DRAFT, published_at=None),
        "in review": ArticleFactory(state=State.REVIEW),
        "ready": ArticleFactory(state=State.READY),
        "withdrawn": PublishedArticleFactory(state=State.WITHDRAWN),
        "future-dated": PublishedArticleFactory(published_at=timezone.now() + timedelta(hours=2)),
    }


def test_published_is_state_published_and_time_reached(hidden_articles):
    live = PublishedArticleFactory()
    assert list(Article.objects.published()) == [live]


def test_published_chains_from_related_managers(hidden_articles):
    live = PublishedArticleFactory(section=hidden_articles["draft"].section)
    assert list(live.section.articles.published()) == [live]


def test_hidden_articles_absent_from_home_page(client, hidden_articles):
    live = PublishedArticleFactory()
    html = client.get("/").content.decode()
    assert live.headline in html
    for article in hidden_articles.values():
        assert article.headline not in html


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("draft", 404),
        ("in review", 404),
        ("ready", 404),
        ("future-dated", 404),
        ("withdrawn", 410),
    ],
)
def test_hidden_article_url_is_not_served(client, hidden_articles, kind, status):
    # A story that was public and then withdrawn answers 410 Gone with a notice, never itself.
    article = hidden_articles[kind]
    response = client.get(article.get_absolute_url())
    assert response.status_code == status
    assert article.body not in response.content.decode()


def test_scheduled_story_appears_once_its_time_comes(client, time_machine):
    article = PublishedArticleFactory(published_at=timezone.now() + timedelta(hours=2))
    assert client.get(article.get_absolute_url()).status_code == 404
    time_machine.move_to(timezone.now() + timedelta(hours=2, seconds=1))
    assert client.get(article.get_absolute_url()).status_code == 200
    assert article.headline in client.get("/").content.decode()


def test_section_tag_and_person_pages_list_only_published(client, hidden_articles):
    live = PublishedArticleFactory()
    live.tags.add("shared")
    for article in hidden_articles.values():
        article.section = live.section
        article.save()
        article.tags.add("shared")
    pages = [live.section.get_absolute_url(), "/tags/shared/"]
    for url in pages:
        html = client.get(url).content.decode()
        assert live.headline in html, url
        for article in hidden_articles.values():
            assert article.headline not in html, url
