"""Date archives: /archive/, /archive/<yyyy>/, /archive/<yyyy>/<mm>/, /archive/<yyyy>/<mm>/<dd>/.

Periods are the newsroom's days (Asia/Shanghai), whatever the UTC storage.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup

from articles.models import State
from articles.tests.factories import (
    ArticleFactory,
    ContributionFactory,
    PublishedArticleFactory,
)
from articles.views import PAGE_SIZE

pytestmark = pytest.mark.django_db

# "Now" for these tests: 10:00 on June 15, 2024 in Beijing.
NOW = datetime(2024, 6, 15, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


def text_of(node) -> str:
    return re.sub(r"\s+", " ", node.get_text()).strip()


def get(client, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200, url
    return BeautifulSoup(response.content, "html.parser")


def headlines(soup) -> list[str]:
    return [text_of(a) for a in soup.select(".story-item__headline a")]


def story(headline: str, when: datetime, **fields):
    return PublishedArticleFactory(headline=headline, published_at=when, **fields)


def test_day_archive_follows_the_newsroom_day_not_utc(client):
    # 15:59 UTC is 23:59 in Beijing on the 5th; 16:00 UTC is already midnight on the 6th.
    story("Late on the fifth", datetime(2024, 5, 5, 15, 59, tzinfo=UTC))
    story("Early on the sixth", datetime(2024, 5, 5, 16, 0, tzinfo=UTC))
    story("Late on the sixth", datetime(2024, 5, 6, 15, 59, 59, tzinfo=UTC))
    story("Early on the seventh", datetime(2024, 5, 6, 16, 0, tzinfo=UTC))

    assert headlines(get(client, "/archive/2024/05/05/")) == ["Late on the fifth"]
    assert headlines(get(client, "/archive/2024/05/06/")) == [
        "Late on the sixth",
        "Early on the sixth",
    ]
    assert headlines(get(client, "/archive/2024/05/07/")) == ["Early on the seventh"]


def test_month_and_year_boundaries_follow_the_newsroom_time_zone(client):
    # 16:30 UTC on December 31 is 00:30 on January 1 in Beijing.
    story("New Year's first", datetime(2023, 12, 31, 16, 30, tzinfo=UTC))
    story("Old year's last", datetime(2023, 12, 31, 15, 30, tzinfo=UTC))
    assert headlines(get(client, "/archive/2024/")) == ["New Year's first"]
    assert headlines(get(client, "/archive/2024/01/")) == ["New Year's first"]
    assert headlines(get(client, "/archive/2023/12/")) == ["Old year's last"]


def test_archives_show_only_published_stories(client):
    day = datetime(2024, 6, 15, 1, 0, tzinfo=UTC)  # 09:00 today in Beijing
    story("Live story", day)
    hidden = [
        ArticleFactory(headline="Draft story", state=State.DRAFT, published_at=day),
        ArticleFactory(headline="Ready story", state=State.READY, published_at=day),
        # Later today: scheduled, not yet public.
        story("Scheduled story", NOW + timedelta(hours=1)),
        story("Withdrawn story", day, state=State.WITHDRAWN),
    ]
    for url in ("/archive/2024/", "/archive/2024/06/", "/archive/2024/06/15/"):
        soup = get(client, url)
        assert headlines(soup) == ["Live story"], url
        for article in hidden:
            assert article.headline not in soup.get_text(), url


def test_period_with_only_unpublished_stories_is_not_found(client):
    ArticleFactory(state=State.DRAFT, published_at=datetime(2023, 3, 3, 3, tzinfo=UTC))
    story("Withdrawn", datetime(2023, 3, 4, 3, tzinfo=UTC), state=State.WITHDRAWN)
    for url in ("/archive/2023/", "/archive/2023/03/", "/archive/2023/03/03/"):
        assert client.get(url).status_code == 404, url


def test_future_periods_are_not_found_even_with_scheduled_stories(client):
    story("Next month", datetime(2024, 7, 2, 3, tzinfo=UTC))
    assert client.get("/archive/2024/07/").status_code == 404
    assert client.get("/archive/2024/07/02/").status_code == 404
    assert "Next month" not in client.get("/archive/2024/").content.decode()


@pytest.mark.parametrize("url", ["/archive/2024/13/", "/archive/2024/02/30/", "/archive/2024/5/"])
def test_impossible_dates_are_not_found(client, url):
    story("Any", datetime(2024, 2, 1, 3, tzinfo=UTC))
    assert client.get(url).status_code == 404


def test_year_page_links_its_months_and_the_neighbouring_years(client):
    story("2022", datetime(2022, 8, 1, 3, tzinfo=UTC))
    story("March", datetime(2023, 3, 1, 3, tzinfo=UTC))
    story("October", datetime(2023, 10, 1, 3, tzinfo=UTC))
    story("2024", datetime(2024, 1, 9, 3, tzinfo=UTC))
    soup = get(client, "/archive/2023/")
    assert text_of(soup.find("h1")) == "Stories from 2023"
    months = soup.find("nav", attrs={"aria-label": "Months of 2023"})
    assert [(text_of(a), a["href"]) for a in months.find_all("a")] == [
        ("March", "/archive/2023/03/"),
        ("October", "/archive/2023/10/"),
    ]
    assert headlines(soup) == ["October", "March"]
    assert soup.select_one(".period-nav a[rel=prev]")["href"] == "/archive/2022/"
    assert soup.select_one(".period-nav a[rel=next]")["href"] == "/archive/2024/"


def test_month_page_links_its_days_and_skips_to_months_with_stories(client):
    story("January", datetime(2024, 1, 9, 3, tzinfo=UTC))
    story("Third", datetime(2024, 3, 3, 3, tzinfo=UTC))
    story("Twentieth", datetime(2024, 3, 20, 3, tzinfo=UTC))
    story("May", datetime(2024, 5, 1, 3, tzinfo=UTC))
    soup = get(client, "/archive/2024/03/")
    assert text_of(soup.find("h1")) == "Stories from March 2024"
    assert soup.find("meta", property="og:title")["content"] == "Stories from March 2024"
    days = soup.find("nav", attrs={"aria-label": "Days of March 2024"})
    assert [a["href"] for a in days.find_all("a")] == [
        "/archive/2024/03/03/",
        "/archive/2024/03/20/",
    ]
    assert soup.select_one(".period-nav a[rel=prev]")["href"] == "/archive/2024/01/"
    assert soup.select_one(".period-nav a[rel=next]")["href"] == "/archive/2024/05/"
    crumbs = soup.find("nav", attrs={"aria-label": "Breadcrumb"})
    assert [a["href"] for a in crumbs.find_all("a")] == [
        "/archive/",
        "/archive/2024/",
        "/archive/2024/03/",
    ]


def test_day_page_links_the_neighbouring_days_with_stories_but_not_the_future(client):
    story("Before", datetime(2024, 6, 1, 3, tzinfo=UTC))
    story("Today", datetime(2024, 6, 15, 1, tzinfo=UTC))
    story("Scheduled", NOW + timedelta(days=1))
    soup = get(client, "/archive/2024/06/15/")
    assert text_of(soup.find("h1")) == "Stories from June 15, 2024"
    assert soup.select_one(".period-nav a[rel=prev]")["href"] == "/archive/2024/06/01/"
    assert soup.select_one(".period-nav a[rel=next]") is None


def test_archive_index_lists_months_by_year(client):
    story("A", datetime(2023, 11, 2, 3, tzinfo=UTC))
    story("B", datetime(2024, 2, 2, 3, tzinfo=UTC))
    story("C", datetime(2024, 6, 2, 3, tzinfo=UTC))
    ArticleFactory(state=State.DRAFT, published_at=datetime(2022, 1, 1, 3, tzinfo=UTC))
    soup = get(client, "/archive/")
    assert text_of(soup.find("h1")) == "Archive"
    years = soup.select(".archive-year")
    assert [text_of(y.find("h2")) for y in years] == ["2024", "2023"]
    assert [a["href"] for a in years[0].select(".period-list a")] == [
        "/archive/2024/06/",
        "/archive/2024/02/",
    ]
    assert "2022" not in soup.get_text()


def test_archive_pages_are_paginated(client):
    for i in range(PAGE_SIZE + 2):
        story(f"Story {i:02d}", datetime(2024, 6, 14, 12, tzinfo=UTC) - timedelta(minutes=i))
    first = get(client, "/archive/2024/06/14/")
    assert headlines(first) == [f"Story {i:02d}" for i in range(PAGE_SIZE)]
    assert first.select_one(".pagination a[rel=next]")["href"] == "?page=2"
    second = get(client, "/archive/2024/06/14/?page=2")
    assert headlines(second) == [f"Story {i:02d}" for i in range(PAGE_SIZE, PAGE_SIZE + 2)]
    assert client.get("/archive/2024/06/14/?page=3").status_code == 404


@pytest.mark.parametrize(
    ("url", "budget"),
    [
        # period check; months; page count; stories; bylines; previous; next; sections
        ("/archive/2024/", 8),
        ("/archive/2024/06/", 8),
        # period check; page count; stories; bylines; previous; next; sections
        ("/archive/2024/06/14/", 7),
        # months; sections
        ("/archive/", 2),
    ],
)
@pytest.mark.parametrize("count", [1, 30])
def test_archive_query_budget_is_fixed(client, django_assert_max_num_queries, url, budget, count):
    for i in range(count):
        article = story(f"Story {i}", datetime(2024, 6, 14, 12, tzinfo=UTC) - timedelta(minutes=i))
        ContributionFactory(article=article)
        ContributionFactory(article=article)
        article.tags.add("harbours", f"topic {i}")
    with django_assert_max_num_queries(budget):
        soup = get(client, url)
    if url != "/archive/":
        assert len(headlines(soup)) == min(count, PAGE_SIZE)
        assert all(" · By " in text_of(m) for m in soup.select(".story-item__meta"))
