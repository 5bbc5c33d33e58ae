import io
import re
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image as PILImage

from articles.models import Image, State
from articles.tests.factories import (
    ArticleFactory,
    ContributionFactory,
    CreditFactory,
    PublishedArticleFactory,
)
from people.models import Person
from people.tests.factories import PersonFactory
from people.views import PAGE_SIZE

pytestmark = pytest.mark.django_db


def test_person_page_lists_only_their_published_stories(client):
    person = PersonFactory(name="Cao Desheng", job_title="Reporter", bio="Covers politics.")
    live = PublishedArticleFactory()
    hidden = [
        ArticleFactory(state=State.DRAFT),
        PublishedArticleFactory(state=State.WITHDRAWN),
        PublishedArticleFactory(published_at=timezone.now() + timedelta(hours=1)),
    ]
    for article in [live, *hidden]:
        ContributionFactory(article=article, person=person)
    someone_elses = PublishedArticleFactory()

    response = client.get(person.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Cao Desheng</h1>" in html
    assert "Covers politics." in html
    assert live.headline in html
    assert someone_elses.headline not in html
    for article in hidden:
        assert article.headline not in html


def test_person_credited_twice_on_a_story_lists_it_once(client):
    person = PersonFactory()
    article = PublishedArticleFactory()
    ContributionFactory(article=article, person=person, kind="byline")
    ContributionFactory(article=article, person=person, kind="credit", role="Web editor")
    html = client.get(person.get_absolute_url()).content.decode()
    assert html.count(f">{article.headline}<") == 1


def test_unknown_person_is_404(client):
    assert client.get("/people/nobody/").status_code == 404


def test_person_natural_key_is_the_slug():
    person = PersonFactory(name="Liang Jun")
    assert person.natural_key() == ("liang-jun",)
    assert Person.objects.get_by_natural_key("liang-jun") == person


def test_person_slugs_stay_unique():
    assert [PersonFactory(name="Liang Jun").slug for _ in range(2)] == ["liang-jun", "liang-jun-2"]


# --- The person page: who they are, and their published stories --------------------------------


def text_of(node) -> str:
    return re.sub(r"\s+", " ", node.get_text()).strip()


def soup_of(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def make_photo() -> Image:
    buffer = io.BytesIO()
    PILImage.new("RGB", (600, 600), (120, 80, 60)).save(buffer, "JPEG")
    upload = SimpleUploadedFile("portrait.jpg", buffer.getvalue(), content_type="image/jpeg")
    return Image.objects.create(file=upload, alt_text="Portrait of Cao Desheng")


def test_person_page_shows_photo_title_expertise_and_bio(client):
    person = PersonFactory(
        name="Cao Desheng",
        job_title="Political correspondent",
        affiliation="China Daily",
        expertise="national politics, the Party, legislation",
        bio="Covers the central government.\n\nJoined in 2009.",
        photo=make_photo(),
    )
    soup = soup_of(client.get(person.get_absolute_url()))
    profile = soup.select_one(".profile")
    assert [text_of(h) for h in soup.find_all("h1")] == ["Cao Desheng"]
    assert profile.find("img")["alt"] == "Portrait of Cao Desheng"
    assert text_of(profile.select_one(".profile__title")) == "Political correspondent, China Daily"
    assert text_of(profile.select_one(".profile__expertise")) == (
        "Covers: national politics, the Party, legislation"
    )
    assert [text_of(p) for p in profile.select(".profile__bio p")] == [
        "Covers the central government.",
        "Joined in 2009.",
    ]


def test_person_page_without_photo_or_details_prints_no_empty_parts(client):
    person = PersonFactory(name="Liang Jun", job_title="", photo=None)
    soup = soup_of(client.get(person.get_absolute_url()))
    profile = soup.select_one(".profile")
    assert profile.find("img") is None
    for part in (".profile__title", ".profile__expertise", ".profile__bio"):
        assert profile.select_one(part) is None, part


def test_person_page_lists_stories_they_are_credited_on_newest_first(client):
    person = PersonFactory()
    now = timezone.now()
    bylined = PublishedArticleFactory(headline="Bylined", published_at=now - timedelta(days=2))
    credited = PublishedArticleFactory(headline="Credited", published_at=now - timedelta(days=1))
    ContributionFactory(article=bylined, person=person)
    CreditFactory(article=credited, person=person)
    soup = soup_of(client.get(person.get_absolute_url()))
    stories = soup.select(".story-item__headline a")
    assert [(text_of(a), a["href"]) for a in stories] == [
        ("Credited", credited.get_absolute_url()),
        ("Bylined", bylined.get_absolute_url()),
    ]


def test_person_page_leaves_out_scheduled_and_review_stories(client):
    person = PersonFactory()
    for article in (
        ArticleFactory(state=State.REVIEW, headline="In review"),
        ArticleFactory(state=State.READY, headline="Ready"),
        PublishedArticleFactory(
            headline="Embargoed", published_at=timezone.now() + timedelta(hours=1)
        ),
    ):
        CreditFactory(article=article, person=person)
    soup = soup_of(client.get(person.get_absolute_url()))
    assert soup.select(".story-item__headline") == []
    assert "No stories yet." in soup.get_text()


def test_person_page_is_paginated(client):
    person = PersonFactory()
    now = timezone.now()
    stories = [
        PublishedArticleFactory(published_at=now - timedelta(hours=i + 1))
        for i in range(PAGE_SIZE + 1)
    ]
    for article in stories:
        ContributionFactory(article=article, person=person)
    first = soup_of(client.get(person.get_absolute_url()))
    assert len(first.select(".story-item__headline")) == PAGE_SIZE
    assert first.select_one(".pagination a[rel=next]")["href"] == "?page=2"
    second = soup_of(client.get(f"{person.get_absolute_url()}?page=2"))
    assert [text_of(a) for a in second.select(".story-item__headline a")] == [stories[-1].headline]
    assert client.get(f"{person.get_absolute_url()}?page=3").status_code == 404


@pytest.mark.parametrize("count", [1, 30])
def test_person_page_query_budget_is_fixed(client, django_assert_max_num_queries, count):
    person = PersonFactory(photo=make_photo())
    for _ in range(count):
        article = PublishedArticleFactory()
        ContributionFactory(article=article, person=person)
        ContributionFactory(article=article)
        CreditFactory(article=article, person=person)
        article.tags.add("politics")
    # person with photo; page count and the next scheduled publication (kept until the
    # content changes); stories; their bylines; navigation sections (kept too)
    with django_assert_max_num_queries(6):
        soup = soup_of(client.get(person.get_absolute_url()))
    with django_assert_max_num_queries(3):
        again = soup_of(client.get(person.get_absolute_url()))
    assert again.select(".story-item__headline") == soup.select(".story-item__headline")
    assert len(soup.select(".story-item__headline")) == min(count, PAGE_SIZE)
    assert all(" and " in text_of(m) for m in soup.select(".story-item__meta"))
