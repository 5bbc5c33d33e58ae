import re
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup

from articles import workflow
from articles.models import Section, State
from articles.tests.factories import ArticleFactory, ContributionFactory

pytestmark = pytest.mark.django_db

# 06:30 UTC is 14:30 in the newsroom (Asia/Shanghai).
WITHDRAWN_AT = datetime(2024, 5, 6, 6, 30, tzinfo=UTC)


def text_of(node) -> str:
    return re.sub(r"\s+", " ", node.get_text()).strip()


@pytest.fixture
def live_story(publisher, time_machine):
    """A story published through the workflow, tagged and bylined, a day before the withdrawal."""
    time_machine.move_to(WITHDRAWN_AT - timedelta(days=1), tick=False)
    story = ArticleFactory(state=State.DRAFT, headline="Factory fire kills three")
    ContributionFactory(article=story, person__name="Wang Lei", person__slug="wang-lei")
    story.tags.add("fires")
    for step in (workflow.submit, workflow.approve, workflow.publish):
        step(story, by=publisher)
    return story


def public_pages(story) -> list[str]:
    return ["/", story.section.get_absolute_url(), "/tags/fires/", "/people/wang-lei/"]


def test_withdrawn_story_answers_410_with_its_notice(client, live_story, publisher, time_machine):
    url = live_story.get_absolute_url()
    assert client.get(url).status_code == 200
    time_machine.move_to(WITHDRAWN_AT, tick=False)
    workflow.withdraw(live_story, by=publisher, notice="The story relied on a false report.")

    response = client.get(url)

    assert response.status_code == 410
    assert response["X-Robots-Tag"] == "noindex"
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.find("meta", attrs={"name": "robots"})["content"] == "noindex"
    assert text_of(soup.find("h1")) == "Factory fire kills three"
    notice = text_of(soup.select_one(".withdrawal-notice"))
    assert notice == (
        "This story has been withdrawn The story relied on a false report. "
        "Withdrawn 14:30, May 6, 2024."
    )
    # Nothing of the story itself remains.
    assert soup.select_one(".story__body") is None


def test_withdrawal_without_a_notice_still_says_so(client, live_story, publisher):
    workflow.withdraw(live_story, by=publisher)
    response = client.get(live_story.get_absolute_url())
    assert response.status_code == 410
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.select_one(".withdrawal-notice__text") is None
    assert "This story has been withdrawn" in text_of(soup.select_one(".withdrawal-notice"))


def test_withdrawn_story_leaves_every_listing_at_once(client, live_story, publisher):
    for url in public_pages(live_story):
        assert live_story.headline in client.get(url).content.decode(), url
    workflow.withdraw(live_story, by=publisher)
    for url in public_pages(live_story):
        response = client.get(url)
        assert response.status_code == 200, url
        assert live_story.headline not in response.content.decode(), url


def test_withdrawn_story_under_an_old_address_leads_to_the_notice(client, live_story, publisher):
    workflow.withdraw(live_story, by=publisher)
    Section.objects.create(name="Elsewhere", slug="elsewhere")
    old = live_story.get_absolute_url().replace(live_story.section.slug, "elsewhere", 1)
    response = client.get(old)
    assert response.status_code == 301
    assert response["Location"] == live_story.get_absolute_url()


def test_never_published_draft_stays_not_found(client):
    draft = ArticleFactory(state=State.DRAFT)
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_withdrawn_story_returned_to_draft_is_not_found(client, live_story, publisher):
    workflow.withdraw(live_story, by=publisher)
    workflow.return_to_draft(live_story, by=publisher)
    assert client.get(live_story.get_absolute_url()).status_code == 404


def test_unknown_address_is_not_found(client, live_story):
    url = live_story.get_absolute_url().replace(live_story.slug, "no-such-story")
    assert client.get(url).status_code == 404
