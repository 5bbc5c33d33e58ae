"""The story change list as the desk reads it: status, holder, filters, search, query budget."""

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone

from articles import workflow
from articles.models import (
    Article,
    ArticleType,
    Contribution,
    EditLease,
    Image,
    Section,
    State,
    Tag,
    WorkflowEvent,
)
from articles.tests.factories import (
    ArticleFactory,
    ContributionFactory,
    CreditFactory,
    PublishedArticleFactory,
    SectionFactory,
    SourceFactory,
)
from conftest import STAFF_PASSWORD
from people.models import Person
from people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Saturday 30 November 2024, 10:00 in the newsroom.
NOW = datetime(2024, 11, 30, 10, 0, tzinfo=SHANGHAI)
CHANGELIST = reverse("admin:articles_article_changelist")

# Whatever the number of stories, a page of the change list costs at most this many queries:
# session, user, the editor's permissions (2), the section filter's choices, the person
# filter's choices (the user's own person, the chosen one) and its autocomplete box's chosen
# person, the filtered count, the page of stories (section, starter and lease joined), its
# bylines, its latest workflow events, and the date hierarchy's range and its links.
CHANGELIST_QUERY_BUDGET = 13


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


def page_of(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def rows(response) -> dict[str, dict[str, str]]:
    """The change list's rows by headline: {"Headline": {"status": …, "holder": …, …}}."""
    found = {}
    for tr in page_of(response).select("#result_list tbody tr"):
        cells = {
            name: tr.select_one(f".field-{field}").get_text(" ", strip=True)
            for name, field in [
                ("section", "section"),
                ("type", "article_type"),
                ("status", "desk_status"),
                ("bylines", "byline_names"),
                ("holder", "desk_holder"),
            ]
        }
        cells["status_class"] = tr.select_one(".field-desk_status span")["class"]
        found[tr.select_one(".field-headline").get_text(strip=True)] = cells
    return found


def headlines(client, query: str = "") -> set[str]:
    return set(rows(client.get(CHANGELIST + query)))


@pytest.fixture
def desk(client, editor):
    client.force_login(editor)
    return client


# --- Status --------------------------------------------------------------------------------


def test_scheduled_story_shows_its_local_time_apart_from_live_ones(desk, frozen):
    PublishedArticleFactory(
        headline="Embargoed budget", published_at=datetime(2024, 11, 30, 14, 0, tzinfo=SHANGHAI)
    )
    PublishedArticleFactory(
        headline="Morning brief", published_at=datetime(2024, 11, 30, 8, 55, tzinfo=SHANGHAI)
    )
    PublishedArticleFactory(
        headline="Last year", published_at=datetime(2023, 9, 15, 0, 55, tzinfo=ZoneInfo("UTC"))
    )
    ArticleFactory(headline="Unfinished")

    found = rows(desk.get(CHANGELIST))

    assert found["Embargoed budget"]["status"] == "Scheduled 14:00, 30 Nov"
    assert "desk-status-scheduled" in found["Embargoed budget"]["status_class"]
    assert found["Morning brief"]["status"] == "Published 08:55, 30 Nov"
    assert "desk-status-live" in found["Morning brief"]["status_class"]
    assert found["Last year"]["status"] == "Published 08:55, 15 Sep 2023"
    assert found["Unfinished"]["status"] == "Draft"


def test_scheduled_story_turns_published_once_its_time_passes(desk, frozen, time_machine):
    PublishedArticleFactory(
        headline="Embargoed budget", published_at=datetime(2024, 11, 30, 14, 0, tzinfo=SHANGHAI)
    )
    time_machine.move_to(datetime(2024, 11, 30, 14, 0, 1, tzinfo=SHANGHAI), tick=False)

    assert rows(desk.get(CHANGELIST))["Embargoed budget"]["status"] == "Published 14:00, 30 Nov"


# --- Holder --------------------------------------------------------------------------------


def test_holder_is_whoever_is_editing_while_the_lease_is_live(desk, frozen, reporter, editor):
    story = ArticleFactory(headline="Open story", created_by=reporter)
    EditLease.objects.create(article=story, user=editor, last_seen_at=NOW - timedelta(seconds=30))

    assert rows(desk.get(CHANGELIST))["Open story"]["holder"] == "eddie (editing)"


def test_lapsed_lease_gives_a_draft_back_to_its_reporter(desk, frozen, reporter, editor, settings):
    settings.NEWSROOM_EDIT_LEASE_SECONDS = 90
    story = ArticleFactory(headline="Left open", created_by=reporter)
    EditLease.objects.create(article=story, user=editor, last_seen_at=NOW - timedelta(seconds=91))

    assert rows(desk.get(CHANGELIST))["Left open"]["holder"] == "rita (started it)"


def test_holder_follows_the_workflow(desk, frozen, reporter, editor, publisher):
    submitted = ArticleFactory(headline="Submitted", created_by=reporter)
    workflow.submit(submitted, by=reporter)
    approved = ArticleFactory(headline="Approved", created_by=reporter)
    workflow.submit(approved, by=reporter)
    workflow.approve(approved, by=editor)
    live = ArticleFactory(headline="Out", created_by=reporter)
    workflow.submit(live, by=reporter)
    workflow.approve(live, by=editor)
    workflow.publish(live, by=publisher)
    sent_back = ArticleFactory(headline="Sent back", created_by=reporter)
    workflow.submit(sent_back, by=reporter)
    workflow.send_back(sent_back, by=editor)

    found = rows(desk.get(CHANGELIST))

    assert found["Submitted"]["holder"] == "rita (submitted)"
    assert found["Approved"]["holder"] == "eddie (approved)"
    assert found["Out"]["holder"] == "paula (published)"
    assert found["Sent back"]["holder"] == "rita (started it)"


def test_bylines_column_lists_byline_names_in_order_without_credits(desk):
    story = ArticleFactory(headline="Joint report")
    ContributionFactory(article=story, person=PersonFactory(name="Second Writer"), position=2)
    ContributionFactory(article=story, person=PersonFactory(name="First Writer"), position=1)
    CreditFactory(article=story, person=PersonFactory(name="Web Editor"))

    assert rows(desk.get(CHANGELIST))["Joint report"]["bylines"] == "First Writer, Second Writer"


# --- Filters -------------------------------------------------------------------------------


@pytest.fixture
def states(frozen):
    """One story per status the filter offers, named after it."""
    ArticleFactory(headline="draft", state=State.DRAFT)
    ArticleFactory(headline="review", state=State.REVIEW)
    ArticleFactory(headline="ready", state=State.READY)
    PublishedArticleFactory(headline="scheduled", published_at=NOW + timedelta(hours=4))
    PublishedArticleFactory(headline="live", published_at=NOW - timedelta(hours=4))
    ArticleFactory(
        headline="withdrawn", state=State.WITHDRAWN, published_at=NOW - timedelta(days=3)
    )


@pytest.mark.parametrize("status", ["draft", "review", "ready", "scheduled", "live", "withdrawn"])
def test_status_filter_keeps_scheduled_and_live_apart(desk, states, status):
    assert headlines(desk, f"?status={status}") == {status}


def test_status_filter_offers_scheduled_and_live_as_choices(desk, states):
    page = page_of(desk.get(CHANGELIST))
    choices = [a.get_text(strip=True) for a in page.select('[data-filter-title="status"] a')]
    assert choices == ["All", "Draft", "In review", "Ready", "Scheduled", "Live", "Withdrawn"]


def test_status_filter_counts_each_choice_when_facets_are_asked_for(desk, states):
    page = page_of(desk.get(CHANGELIST + "?_facets=True"))
    choices = [a.get_text(strip=True) for a in page.select('[data-filter-title="status"] a')]
    assert choices[4:6] == ["Scheduled (1)", "Live (1)"]


def test_unknown_status_is_refused_not_ignored(desk, states):
    response = desk.get(CHANGELIST + "?status=lost")
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_section_and_type_filters(desk):
    culture = SectionFactory(name="Culture", slug="culture")
    ArticleFactory(headline="Opera review", section=culture, article_type=ArticleType.REVIEW)
    ArticleFactory(headline="Opera news", section=culture, article_type=ArticleType.NEWS)
    ArticleFactory(headline="Markets", article_type=ArticleType.REVIEW)

    assert headlines(desk, f"?section__id__exact={culture.pk}") == {"Opera review", "Opera news"}
    assert headlines(desk, "?article_type__exact=review") == {"Opera review", "Markets"}
    assert headlines(desk, f"?section__id__exact={culture.pk}&article_type__exact=news") == {
        "Opera news"
    }


def test_person_filter_finds_bylines_and_credits_once_each(desk):
    writer = PersonFactory(name="Cao Desheng")
    byline = ArticleFactory(headline="By him")
    ContributionFactory(article=byline, person=writer)
    both = ArticleFactory(headline="By him and credited")
    ContributionFactory(article=both, person=writer)
    CreditFactory(article=both, person=writer, role="Photos")
    credit = ArticleFactory(headline="Credited")
    CreditFactory(article=credit, person=writer)
    ContributionFactory(article=ArticleFactory(headline="Someone else"))

    response = desk.get(CHANGELIST + f"?person={writer.pk}")

    assert set(rows(response)) == {"By him", "By him and credited", "Credited"}
    assert response.context["cl"].result_count == 3


def test_person_filter_lists_no_one_but_the_chosen_person_and_searches_the_rest(desk, editor):
    people = Person.objects.bulk_create(
        [Person(name=f"Contributor {i}", slug=f"contributor-{i}") for i in range(40)]
    )
    me = PersonFactory(name="Eddie Editor", user=editor)
    chosen = people[7]

    page = page_of(desk.get(CHANGELIST + f"?person={chosen.pk}&q=opera&status=live"))

    box = page.select_one('[data-filter-title="person (byline or credit)"]')
    listed = [a.get_text(strip=True) for a in box.select("li a")]
    assert listed == ["All", "Contributor 7", f"{me.name} (you)"]
    select = box.select_one("select.admin-autocomplete")
    assert select["data-model-name"] == "contribution"
    assert select["data-field-name"] == "person"
    assert [o.get_text() for o in select.select("option[selected]")] == ["Contributor 7"]
    # A new pick keeps the search and the other filters.
    kept = {(i["name"], i["value"]) for i in box.select("input[type=hidden]")}
    assert kept == {("q", "opera"), ("status", "live")}
    # The autocomplete's script is on the page.
    assert page.find("script", src=lambda src: src and "select2" in src)


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium")
@pytest.mark.django_db(transaction=True)
def test_desk_picks_a_person_in_the_filter_box_and_keeps_its_search(
    live_server, make_staff, monkeypatch
):
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; let the test's ORM calls through.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    make_staff("Editor", "eddie")
    writer = PersonFactory(name="Cao Desheng")
    PersonFactory(name="Cao Wei")
    for headline, person in [
        ("Harbour ferry returns", writer),
        ("Harbour dredging delayed", None),
        ("Rail link opens", writer),
    ]:
        story = ArticleFactory(headline=headline)
        if person:
            ContributionFactory(article=story, person=person)

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            page.goto(f"{live_server.url}/admin/login/?next={CHANGELIST}?q=harbour")
            page.fill("#id_username", "eddie")
            page.fill("#id_password", STAFF_PASSWORD)
            page.click("#login-form [type=submit]")
            page.wait_for_url("**q=harbour")

            page.click("#desk-person-filter + .select2 .select2-selection")
            page.fill(".select2-container--open .select2-search__field", "Cao")
            page.click(".select2-container--open .select2-results__option:has-text('Desheng')")
            page.click(".desk-person-filter [type=submit]")
            page.wait_for_url(f"**person={writer.pk}**")

            shown = page.locator("#result_list tbody .field-headline").all_inner_texts()
            assert shown == ["Harbour ferry returns"]
            assert page.input_value("#searchbar") == "harbour"
        finally:
            browser.close()


def test_person_filter_rejects_a_malformed_person(desk):
    response = desk.get(CHANGELIST + "?person=someone")
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_publication_date_filter_offers_the_days_ahead(desk, frozen):
    PublishedArticleFactory(
        headline="Tomorrow's", published_at=datetime(2024, 12, 1, 7, 0, tzinfo=SHANGHAI)
    )
    PublishedArticleFactory(
        headline="Next week's", published_at=datetime(2024, 12, 6, 7, 0, tzinfo=SHANGHAI)
    )
    PublishedArticleFactory(
        headline="Today's", published_at=datetime(2024, 11, 30, 0, 30, tzinfo=SHANGHAI)
    )
    PublishedArticleFactory(
        headline="Yesterday's", published_at=datetime(2024, 11, 29, 23, 30, tzinfo=SHANGHAI)
    )
    page = page_of(desk.get(CHANGELIST))
    links = {
        a.get_text(strip=True): a["href"]
        for a in page.select('[data-filter-title="published at"] a')
    }

    assert headlines(desk, links["Today"]) == {"Today's"}
    assert headlines(desk, links["Tomorrow"]) == {"Tomorrow's"}
    assert headlines(desk, links["Next 7 days"]) == {"Today's", "Tomorrow's", "Next week's"}


def test_date_hierarchy_drills_down_by_local_day(desk, frozen):
    PublishedArticleFactory(
        headline="Late on the 29th", published_at=datetime(2024, 11, 29, 23, 30, tzinfo=SHANGHAI)
    )
    PublishedArticleFactory(
        headline="Early on the 30th", published_at=datetime(2024, 11, 30, 0, 30, tzinfo=SHANGHAI)
    )

    query = "?published_at__year=2024&published_at__month=11&published_at__day=30"
    assert headlines(desk, query) == {"Early on the 30th"}


# --- Search --------------------------------------------------------------------------------


@pytest.fixture
def searchable():
    opera = ArticleFactory(
        headline="Opera house reopens",
        body="<p>The stage lights came back after three years.</p>",
        deck="A night at the theatre",
    )
    ContributionFactory(article=opera, person=PersonFactory(name="Liang Jun"))
    CreditFactory(article=opera, person=PersonFactory(name="Zhong Wenxing"))
    ArticleFactory(headline="Markets close higher", body="<p>Shares rose in Shanghai.</p>")
    return opera


@pytest.mark.parametrize(
    "term", ["opera", "stage lights", "theatre", "Liang", "wenxing", "liang jun"]
)
def test_search_covers_headline_body_deck_and_people(desk, searchable, term):
    assert headlines(desk, f"?q={term}") == {"Opera house reopens"}


def test_search_by_a_name_on_two_contributions_lists_the_story_once(desk, searchable):
    CreditFactory(article=searchable, person=Person.objects.get(name="Liang Jun"), role="Photos")
    response = desk.get(CHANGELIST + "?q=Liang")
    assert response.context["cl"].result_count == 1
    assert len(page_of(response).select("#result_list tbody tr")) == 1


# --- Autocomplete on the story form ----------------------------------------------------------


def test_every_autocomplete_on_the_story_form_answers_the_desk(desk):
    SectionFactory(name="Culture", slug="culture")
    SourceFactory(name="China Daily", slug="china-daily")
    PersonFactory(name="Cao Desheng")
    Tag.objects.create(name="Xi Jinping")
    ArticleFactory(headline="Opera house reopens")
    # A row is enough for the lookup; the upload path is tested in test_images.py.
    Image.objects.create(
        file="images/opera.jpg", width=800, height=600, alt_text="The opera house at night"
    )
    expected = {
        "section": ("Cul", "Culture"),
        "source": ("china", "China Daily"),
        "person": ("Cao", "Cao Desheng"),
        "tag": ("xi", "Xi Jinping"),
        "target": ("opera", "Opera house reopens"),
        "lead_image": ("night", "The opera house at night"),
    }

    page = page_of(desk.get(reverse("admin:articles_article_add")))
    answered = set()
    for select in page.select("select.admin-autocomplete"):
        field = select["data-field-name"]
        term, wanted = expected[field]
        response = desk.get(
            select["data-ajax--url"],
            {
                "app_label": select["data-app-label"],
                "model_name": select["data-model-name"],
                "field_name": field,
                "term": term,
            },
        )
        assert response.status_code == 200, field
        assert [r["text"] for r in response.json()["results"]] == [wanted], field
        answered.add(field)

    assert answered == set(expected)


def test_reporter_can_look_up_sections_and_people_for_a_story(client, reporter):
    SectionFactory(name="Culture", slug="culture")
    PersonFactory(name="Cao Desheng")
    client.force_login(reporter)
    url = reverse("admin:autocomplete")
    for model_name, field_name, term, wanted in [
        ("article", "section", "cult", "Culture"),
        ("byline", "person", "desheng", "Cao Desheng"),
    ]:
        response = client.get(
            url,
            {
                "app_label": "articles",
                "model_name": model_name,
                "field_name": field_name,
                "term": term,
            },
        )
        assert response.status_code == 200
        assert [r["text"] for r in response.json()["results"]] == [wanted]


# --- Query budget --------------------------------------------------------------------------


def add_stories(count: int, *, sections, people, users, start: int = 0) -> list[Article]:
    """``count`` stories in every state, with bylines, credits, leases and history, in bulk."""
    now = timezone.now()
    kinds = [State.DRAFT, State.REVIEW, State.READY, "scheduled", "live", State.WITHDRAWN]
    articles = []
    for i in range(start, start + count):
        kind = kinds[i % len(kinds)]
        published_at = None
        if kind == "scheduled":
            published_at = now + timedelta(hours=1 + i % 48)
        elif kind in ("live", State.WITHDRAWN):
            published_at = now - timedelta(hours=1 + i % 500)
        articles.append(
            Article(
                headline=f"Story {i}",
                slug=f"story-{i}",
                body=f"<p>Body of story {i}.</p>",
                section=sections[(i // 2) % len(sections)],
                state=State.PUBLISHED if kind in ("scheduled", "live") else kind,
                published_at=published_at,
                first_published_at=published_at,
                created_by=users[i % len(users)],
                article_type=ArticleType.values[i % len(ArticleType.values)],
            )
        )
    articles = Article.objects.bulk_create(articles)
    contributions = []
    events = []
    leases = []
    for i, article in enumerate(articles, start=start):
        contributions += [
            Contribution(article=article, person=people[i % len(people)], position=0),
            Contribution(article=article, person=people[(i + 1) % len(people)], position=1),
            Contribution(
                article=article,
                person=people[(i + 2) % len(people)],
                kind=Contribution.Kind.CREDIT,
                role="Web editor",
            ),
        ]
        if article.state != State.DRAFT:
            events.append(
                WorkflowEvent(
                    article=article,
                    action=workflow.Action.SUBMIT,
                    from_state=State.DRAFT,
                    to_state=State.REVIEW,
                    by=users[(i + 1) % len(users)],
                    at=now - timedelta(days=1),
                )
            )
            events.append(
                WorkflowEvent(
                    article=article,
                    action=workflow.Action.APPROVE,
                    from_state=State.REVIEW,
                    to_state=State.READY,
                    by=users[(i + 2) % len(users)],
                    at=now - timedelta(hours=20),
                )
            )
        if i % 3 == 0:
            leases.append(EditLease(article=article, user=users[i % len(users)], last_seen_at=now))
    Contribution.objects.bulk_create(contributions)
    WorkflowEvent.objects.bulk_create(events)
    EditLease.objects.bulk_create(leases)
    return articles


@pytest.fixture
def newsroom(django_user_model):
    sections = [
        Section.objects.create(name=name, slug=name.lower(), position=i)
        for i, name in enumerate(["China", "World", "Business", "Culture"])
    ]
    people = Person.objects.bulk_create(
        [Person(name=f"Writer {i}", slug=f"writer-{i}") for i in range(25)]
    )
    # Staff who only need to exist as starters, holders and actors: no password to hash.
    users = [django_user_model.objects.create(username=f"reporter{i}") for i in range(3)]
    return {"sections": sections, "people": people, "users": users}


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?q=story",
        "?q=Writer+3",
        "?status=live",
        "?status=scheduled&section__id__exact={section}",
        "?person={person}",
        "?published_at__year={year}",
    ],
    ids=["plain", "search", "search-person", "live", "scheduled-in-section", "person", "year"],
)
def test_changelist_costs_the_same_for_ten_and_a_thousand_stories(
    desk, newsroom, django_assert_max_num_queries, query
):
    query = query.format(
        section=newsroom["sections"][0].pk,
        person=newsroom["people"][3].pk,
        year=timezone.localdate().year,
    )
    add_stories(10, **newsroom)
    with django_assert_max_num_queries(CHANGELIST_QUERY_BUDGET) as few:
        small = desk.get(CHANGELIST + query)
    assert small.context["cl"].result_count > 0

    add_stories(990, start=10, **newsroom)
    with django_assert_max_num_queries(CHANGELIST_QUERY_BUDGET) as many:
        large = desk.get(CHANGELIST + query)

    assert large.context["cl"].result_count > small.context["cl"].result_count
    assert len(page_of(large).select("#result_list tbody tr")) == min(
        50, large.context["cl"].result_count
    )
    assert len(many.captured_queries) == len(few.captured_queries)


def test_changelist_links_to_the_budget(desk):
    page = page_of(desk.get(CHANGELIST))
    assert page.find("a", href=reverse("admin:articles_article_budget"))
