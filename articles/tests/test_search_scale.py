"""Search with more matches than the results page ranks, at the real limits, on both databases.

``test_search.py`` shows the rule at a small scale (patched limits); here 1,001 stories match,
one more than ``search.RANK_ALL_UP_TO``, so the page lists the newest ``RANKED_NEWEST`` only.
"""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles import search
from articles.models import Article
from articles.tests.factories import PublishedArticleFactory, SectionFactory

pytestmark = pytest.mark.django_db

SEARCH_URL = reverse("search")


@pytest.fixture
def many_matches():
    """RANK_ALL_UP_TO + 1 stories about ferries, one a day back; the oldest the best match."""
    section = SectionFactory()
    now = timezone.now()
    count = search.RANK_ALL_UP_TO + 1
    Article.objects.bulk_create(
        PublishedArticleFactory.build(
            section=section,
            slug=f"ferry-{day}",
            headline=f"Ferry timetable {day}" if day == count else f"Harbour notes {day}",
            body="<p>The ferry sails.</p>",
            published_at=now - timedelta(days=day),
        )
        for day in range(1, count + 1)
    )
    search.update_search_vector()  # bulk_create sends no signals
    return count


def page(client, number: int) -> BeautifulSoup:
    response = client.get(SEARCH_URL, {"q": "ferry", "page": number})
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def page_for(client, q: str) -> BeautifulSoup:
    return BeautifulSoup(client.get(SEARCH_URL, {"q": q}).content, "html.parser")


def test_the_newest_are_ranked_and_counted_as_more_than_the_limit(client, many_matches):
    pages = search.RANKED_NEWEST // search.PAGE_SIZE
    first = page(client, 1)
    assert " ".join(first.select_one(".search-status").get_text().split()) == (
        f"More than 1,000 stories found; these are the best matches among the newest "
        f"{search.RANKED_NEWEST}; page 1 of {pages}. Add words to narrow your search and "
        "reach older stories."
    )
    listed = [a.get_text() for n in range(1, pages + 1) for a in page(client, n).select("h2 a")]
    # All body matches of equal rank: newest first. The headline match is the oldest story,
    # so it is not among them.
    assert listed == [f"Harbour notes {day}" for day in range(1, search.RANKED_NEWEST + 1)]
    assert client.get(SEARCH_URL, {"q": "ferry", "page": pages + 1}).status_code == 404
    # One more word and it is the only match, ranked.
    assert [a.get_text() for a in page_for(client, "ferry timetable").select("h2 a")] == [
        f"Ferry timetable {many_matches}"
    ]


def test_counting_and_choosing_read_at_most_the_limit_of_keys(client, many_matches):
    page(client, 1)  # what the site keeps per process (navigation)
    with CaptureQueriesContext(connection) as queries:
        page(client, 1)
    searches = [q["sql"] for q in queries if 'FROM "articles_article"' in q["sql"]]
    # Count up to the limit, take the newest keys, rank the page (then its bylines).
    assert len(searches) == 3, searches
    assert f"LIMIT {search.RANK_ALL_UP_TO + 1}" in searches[0]
    assert f"LIMIT {search.RANKED_NEWEST}" in searches[1]
    # The page ranks the newest stories by key, not every match.
    assert '"articles_article"."id" IN (' in searches[2]
