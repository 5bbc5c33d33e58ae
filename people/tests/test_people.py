from datetime import timedelta

import pytest
from django.utils import timezone

from articles.models import State
from articles.tests.factories import ArticleFactory, ContributionFactory, PublishedArticleFactory
from people.models import Person
from people.tests.factories import PersonFactory

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
