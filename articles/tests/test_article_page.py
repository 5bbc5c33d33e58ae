import re
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone

from articles.models import RelatedLink, State
from articles.tests.factories import (
    ArticleFactory,
    ContributionFactory,
    CreditFactory,
    PublishedArticleFactory,
    RelatedLinkFactory,
)

pytestmark = pytest.mark.django_db


def text_of(node) -> str:
    return re.sub(r"\s+", " ", node.get_text()).strip()


def parse_seed(text: str) -> dict:
    """Split the wire copy into headline, byline line, paragraphs and credit line."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]
    credit_index = next(i for i, b in enumerate(blocks) if b.startswith("(Web editor:"))
    return {
        "headline": blocks[0],
        "byline_line": blocks[1],
        "paragraphs": blocks[2:credit_index],
        "credit_line": blocks[credit_index],
    }


def get_page(client, article):
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def test_sample_story_page_matches_the_wire_copy(client, sample_story, sample_story_text):
    seed = parse_seed(sample_story_text)
    soup = get_page(client, sample_story)

    assert [text_of(h) for h in soup.find_all("h1")] == [seed["headline"]]
    assert text_of(soup.title).startswith(seed["headline"])

    byline = text_of(soup.select_one(".byline"))
    dateline = text_of(soup.select_one(".dateline"))
    assert byline == "By Cao Desheng (China Daily)"
    assert dateline == "08:55, September 15, 2023"
    assert f"{byline} {dateline}" == seed["byline_line"]

    rendered = [text_of(p) for p in soup.select(".story__body p")]
    assert len(seed["paragraphs"]) == 8
    assert rendered == seed["paragraphs"]

    assert text_of(soup.select_one(".credits")) == seed["credit_line"]
    assert seed["credit_line"] == "(Web editor: Zhong Wenxing, Liang Jun)"


def test_dateline_is_shown_in_newsroom_time_whatever_the_storage(sample_story):
    # Stored in UTC: 00:55 on the 15th is 08:55 in Beijing.
    assert sample_story.published_at.utcoffset() == timedelta(0)
    assert (sample_story.published_at.hour, sample_story.published_at.minute) == (0, 55)


def test_byline_links_each_person_and_names_the_source(client, sample_story):
    soup = get_page(client, sample_story)
    links = soup.select(".byline a")
    assert [(a.get_text(), a["href"]) for a in links] == [("Cao Desheng", "/people/cao-desheng/")]


def test_several_bylines_read_as_a_sentence(client):
    article = PublishedArticleFactory(source=None)
    for name in ["Ana", "Ben", "Chen"]:
        ContributionFactory(article=article, person__name=name)
    soup = get_page(client, article)
    assert text_of(soup.select_one(".byline")) == "By Ana, Ben and Chen"


def test_credits_group_by_role_in_order(client):
    article = PublishedArticleFactory()
    CreditFactory(article=article, person__name="Zed", role="Web editor", position=1)
    CreditFactory(article=article, person__name="Amy", role="Web editor", position=2)
    CreditFactory(article=article, person__name="Pat", role="Photo editor", position=3)
    soup = get_page(client, article)
    assert text_of(soup.select_one(".credits")) == "(Web editor: Zed, Amy; Photo editor: Pat)"


def test_related_stories_list_shows_visible_targets_only(client):
    article = PublishedArticleFactory()
    visible = RelatedLinkFactory(article=article, position=1)
    RelatedLinkFactory(article=article, target=ArticleFactory(state=State.DRAFT), position=2)
    RelatedLinkFactory(
        article=article,
        target=PublishedArticleFactory(published_at=timezone.now() + timedelta(days=1)),
        position=3,
    )
    RelatedLinkFactory(
        article=article,
        target=PublishedArticleFactory(state=State.WITHDRAWN),
        position=4,
    )
    RelatedLink.objects.create(
        article=article, url="https://elsewhere.example/story", title="Elsewhere", position=5
    )
    soup = get_page(client, article)
    related = soup.select_one(".related")
    assert text_of(related.find("h2")) == "Related Stories"
    assert [(a.get_text(), a["href"]) for a in related.select("a")] == [
        (visible.target.headline, visible.target.get_absolute_url()),
        ("Elsewhere", "https://elsewhere.example/story"),
    ]


def test_no_related_stories_heading_without_visible_links(client):
    article = PublishedArticleFactory()
    RelatedLinkFactory(article=article, target=ArticleFactory(state=State.DRAFT))
    soup = get_page(client, article)
    assert soup.select_one(".related") is None
    assert "Related Stories" not in soup.get_text()


def test_article_under_another_section_or_date_redirects_to_its_address(client):
    article = PublishedArticleFactory()
    wrong = article.get_absolute_url().replace(article.section.slug, "elsewhere", 1)
    response = client.get(wrong)
    assert response.status_code == 301
    assert response["Location"] == article.get_absolute_url()


def test_home_lists_published_stories_newest_first(client):
    now = timezone.now()
    older = PublishedArticleFactory(published_at=now - timedelta(days=2))
    newest = PublishedArticleFactory(published_at=now - timedelta(minutes=5))
    middle = PublishedArticleFactory(published_at=now - timedelta(days=1))
    soup = BeautifulSoup(client.get("/").content, "html.parser")
    links = [a["href"] for a in soup.select(".story-item__headline a")]
    assert links == [a.get_absolute_url() for a in (newest, middle, older)]


def build_story(n: int):
    """A published story with ``n`` bylines, credits, tags and related links."""
    article = PublishedArticleFactory()
    for i in range(n):
        ContributionFactory(article=article, position=i)
        CreditFactory(article=article, position=i)
        RelatedLinkFactory(article=article, position=i)
        article.tags.add(f"topic {i}")
    return article


@pytest.mark.parametrize("n", [1, 10])
def test_article_page_query_budget_is_fixed(client, django_assert_max_num_queries, n):
    article = build_story(n)
    # article+section+source, contributions, tags, related links, corrections, nav sections
    with django_assert_max_num_queries(6):
        response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    assert len(soup.select(".byline a")) == n
    assert len(soup.select(".related a")) == n
    assert len(soup.select(".story__tags a")) == n


@pytest.mark.parametrize("n", [1, 6])
def test_home_page_query_budget_is_fixed(client, django_assert_max_num_queries, n):
    for _ in range(n):
        build_story(2)
    # page count and the next scheduled publication, stories, bylines, navigation sections
    with django_assert_max_num_queries(5):
        response = client.get("/")
    assert response.status_code == 200
    shown = BeautifulSoup(response.content, "html.parser").select(".story-item__headline")
    assert len(shown) == n * 3  # each story and its two related targets
