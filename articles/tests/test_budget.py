"""The desk's budget page: the day's schedule, the stories by state and section, the counts."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from articles import workflow
from articles.models import Article, EditLease, Section, State
from articles.tests.factories import (
    ArticleFactory,
    ContributionFactory,
    PublishedArticleFactory,
    SectionFactory,
)
from articles.tests.test_changelist import add_stories
from people.models import Person
from people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")
# Saturday 30 November 2024, 10:00 in the newsroom.
NOW = datetime(2024, 11, 30, 10, 0, tzinfo=SHANGHAI)
BUDGET = reverse("admin:articles_article_budget")
GROUPS = ["scheduled", "review", "ready", "draft", "scheduled_later", "published"]

# Session, user, the user's permissions (2), the stories (section, starter and lease joined),
# their bylines and their latest workflow events — whatever the number of stories.
BUDGET_QUERIES = 7


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def desk(client, editor):
    client.force_login(editor)
    return client


def page_of(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def groups(page: BeautifulSoup) -> dict[str, list[str]]:
    """Headlines in each group, in the order printed."""
    return {
        key: [a.get_text(strip=True) for a in page.select(f"#budget-{key} tbody th a")]
        for key in GROUPS
    }


def budget(client, day: str | None = None) -> BeautifulSoup:
    return page_of(client.get(BUDGET, {"day": day} if day else {}))


@pytest.fixture
def day_of_news(frozen, time_machine, reporter, editor, publisher):
    """A morning on the desk: one story of every kind the budget tells apart."""
    world = SectionFactory(name="World", slug="world", position=2)
    china = SectionFactory(name="China", slug="china", position=1)

    def ready(headline, section=china):
        story = ArticleFactory(headline=headline, section=section, created_by=reporter)
        workflow.submit(story, by=reporter)
        workflow.approve(story, by=editor)
        return story

    # Set at 08:00 for 09:00: planned ahead, so it stays on the day's schedule once live.
    time_machine.move_to(local(30, 8), tick=False)
    workflow.publish(ready("Planned for nine"), by=publisher, at=local(30, 9))
    # Pushed out on the spot at 08:30.
    time_machine.move_to(local(30, 8, 30), tick=False)
    workflow.publish(ready("Breaking at half past eight", world), by=publisher)
    time_machine.move_to(NOW, tick=False)

    workflow.publish(ready("Embargoed for two"), by=publisher, at=local(30, 14))
    workflow.publish(
        ready("Tomorrow's early story", world), by=publisher, at=local(1, 7, month=12)
    )
    ready("Approved and waiting", world)
    in_review = ArticleFactory(headline="Waiting for an editor", section=china)
    workflow.submit(in_review, by=reporter)
    ArticleFactory(headline="Still being written", section=world, created_by=reporter)
    PublishedArticleFactory(headline="Yesterday's news", published_at=local(29, 18))
    ArticleFactory(headline="Pulled", state=State.WITHDRAWN, published_at=local(30, 7))
    return {"china": china, "world": world}


def test_budget_puts_each_story_in_one_group(desk, day_of_news):
    assert groups(budget(desk)) == {
        "scheduled": ["Planned for nine", "Embargoed for two"],
        "review": ["Waiting for an editor"],
        "ready": ["Approved and waiting"],
        "draft": ["Still being written"],
        "scheduled_later": ["Tomorrow's early story"],
        "published": ["Breaking at half past eight"],
    }


def test_schedule_prints_times_and_tells_live_from_waiting(desk, day_of_news):
    page = budget(desk)
    times = [
        (cell.get_text(strip=True), cell.span["class"])
        for cell in page.select("#budget-scheduled tbody td.budget-time:first-child")
    ]
    assert times == [
        ("Published 09:00, 30 Nov", ["desk-status", "desk-status-live"]),
        ("Scheduled 14:00, 30 Nov", ["desk-status", "desk-status-scheduled"]),
    ]
    assert page.select_one("#budget-scheduled h2").get_text(strip=True) == "Scheduled today (2)"
    holders = [
        tr.select("td")[3].get_text(" ", strip=True)
        for tr in page.select("#budget-scheduled tbody tr")
    ]
    assert holders == ["paula (scheduled)", "paula (scheduled)"]
    assert page.select_one("input[name=day]")["value"] == "2024-11-30"


def test_groups_split_by_section_in_the_sites_order(desk, day_of_news):
    ArticleFactory(headline="Also written in China", section=day_of_news["china"])
    page = budget(desk)
    assert [h.get_text(strip=True) for h in page.select("#budget-draft h3")] == ["China", "World"]


def test_counts_by_section_and_group_add_up(desk, day_of_news):
    page = budget(desk)
    table = page.select_one("#budget-counts table")
    header = [th.get_text(strip=True) for th in table.select("thead th")]
    assert header == [
        "Section",
        "Scheduled today",
        "In review",
        "Ready",
        "Draft",
        "Scheduled later",
        "Published today",
        "All",
    ]
    counts = {
        tr.th.get_text(strip=True): [int(td.get_text()) for td in tr.select("td")]
        for tr in table.select("tbody tr, tfoot tr")
    }
    assert counts == {
        "China": [2, 1, 0, 0, 0, 0, 3],
        "World": [0, 0, 1, 1, 1, 1, 4],
        "All sections": [2, 1, 1, 1, 1, 1, 7],
    }


def test_rows_link_to_the_story_and_say_who_holds_it(desk, day_of_news, editor, reporter):
    draft = Section.objects.get(slug="world").articles.get(headline="Still being written")
    ContributionFactory(article=draft, person=PersonFactory(name="Liang Jun"))
    page = budget(desk)
    row = page.select_one("#budget-draft tbody tr")
    assert row.th.a["href"] == reverse("admin:articles_article_change", args=[draft.pk])
    cells = [td.get_text(" ", strip=True) for td in row.select("td")]
    assert cells[:2] == ["Liang Jun", "rita (started it)"]

    EditLease.objects.create(article=draft, user=editor, last_seen_at=NOW)
    row = budget(desk).select_one("#budget-draft tbody tr")
    assert row.select("td")[1].get_text(" ", strip=True) == "eddie (editing)"
    ready_row = budget(desk).select_one("#budget-ready tbody tr")
    assert ready_row.select("td")[1].get_text(" ", strip=True) == "eddie (approved)"


def test_day_follows_the_newsrooms_time_zone(desk, frozen):
    # 15:30 and 16:30 UTC on the 30th: either side of midnight in Shanghai.
    PublishedArticleFactory(
        headline="Late on the 30th", published_at=datetime(2024, 11, 30, 15, 30, tzinfo=UTC)
    )
    PublishedArticleFactory(
        headline="Early on the 1st", published_at=datetime(2024, 11, 30, 16, 30, tzinfo=UTC)
    )
    # 23:30 UTC on the 29th is 07:30 on the 30th here.
    PublishedArticleFactory(
        headline="Breakfast news", published_at=datetime(2024, 11, 29, 23, 30, tzinfo=UTC)
    )

    today = groups(budget(desk))
    assert today["scheduled"] == ["Late on the 30th"]
    assert today["scheduled_later"] == ["Early on the 1st"]
    assert today["published"] == ["Breakfast news"]

    tomorrow = groups(budget(desk, "2024-12-01"))
    assert tomorrow["scheduled"] == ["Early on the 1st"]
    assert tomorrow["published"] == []
    assert groups(budget(desk, "2024-11-29"))["published"] == []


def test_another_day_shows_what_went_out_that_day(desk, day_of_news):
    yesterday = Article.objects.get(headline="Yesterday's news")
    PublishedArticleFactory(
        headline="Friday evening", section=yesterday.section, published_at=local(29, 20)
    )
    page = budget(desk, "2024-11-29")

    found = groups(page)
    assert found["published"] == ["Friday evening", "Yesterday's news"]
    assert found["scheduled"] == []
    # The desk's work in progress is there whatever the day.
    assert found["review"] == ["Waiting for an editor"]
    assert found["scheduled_later"] == ["Embargoed for two", "Tomorrow's early story"]
    titles = [h.get_text(strip=True) for h in page.select(".budget-group h2")]
    assert "Published on Friday 29 November (2)" in titles
    assert page.select_one("input[name=day]")["value"] == "2024-11-29"
    assert page.select_one("a[rel=prev]")["href"] == "?day=2024-11-28"
    assert page.select_one("a[rel=next]")["href"] == "?day=2024-11-30"


def test_malformed_day_shows_an_error_and_today(desk, day_of_news):
    page = budget(desk, "30/11/2024")
    assert page.select_one(".errorlist")
    assert groups(page)["scheduled"] == ["Planned for nine", "Embargoed for two"]


@pytest.fixture
def newsroom(django_user_model):
    sections = [
        Section.objects.create(name=name, slug=name.lower(), position=i)
        for i, name in enumerate(["China", "World", "Business"])
    ]
    people = Person.objects.bulk_create(
        [Person(name=f"Writer {i}", slug=f"writer-{i}") for i in range(10)]
    )
    users = [django_user_model.objects.create(username=f"staff{i}") for i in range(3)]
    return {"sections": sections, "people": people, "users": users}


def test_budget_costs_the_same_for_five_and_fifty_stories(
    desk, frozen, newsroom, django_assert_max_num_queries
):
    add_stories(5, **newsroom)
    with django_assert_max_num_queries(BUDGET_QUERIES) as few:
        small = budget(desk)

    add_stories(45, start=5, **newsroom)
    with django_assert_max_num_queries(BUDGET_QUERIES) as many:
        large = budget(desk)

    assert len(large.select(".budget-group tbody tr")) > len(
        small.select(".budget-group tbody tr")
    )
    assert len(many.captured_queries) == len(few.captured_queries)


def test_reporter_may_read_the_budget(client, reporter, frozen):
    client.force_login(reporter)
    assert client.get(BUDGET).status_code == 200


def test_budget_needs_the_view_permission(client, make_staff, frozen):
    client.force_login(make_staff(None, "visitor"))
    assert client.get(BUDGET).status_code == 403


def test_budget_sends_strangers_to_the_login_page(client):
    response = client.get(BUDGET)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
