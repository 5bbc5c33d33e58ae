"""The content API: public stories as valid ninjs, filters, stable cursor pages, a sync feed
with tombstones, conditional GET, JSON errors (never a 500), the corrections feed and fixed
query budgets."""

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles import workflow
from articles.api import MAX_PAGE_SIZE, STORY_PARAMETERS
from articles.corrections import add_correction
from articles.models import Article, ArticleType, Correction, State
from articles.tests.factories import (
    ArticleFactory,
    ContributionFactory,
    CorrectionFactory,
    CreditFactory,
    PublishedArticleFactory,
    SectionFactory,
    SourceFactory,
)
from articles.tests.test_ninjs import ninjs_errors
from people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

STORIES = "/api/stories/"
CORRECTIONS = "/api/corrections/"
# 00:00 UTC is 08:00 in the newsroom (Asia/Shanghai).
NOON = datetime(2024, 5, 6, 4, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _public_site(settings):
    settings.NEWSROOM_DOMAIN = "news.example"
    settings.NEWSROOM_URL_SCHEME = "https"


def detail_url(story) -> str:
    return f"{STORIES}{story.uuid}/"


def get_json(client, url, status=200, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    return json.loads(response.content)


def items(client, url) -> list[dict]:
    data = get_json(client, url)
    for item in data["items"]:
        assert ninjs_errors(item) == []
    return data["items"]


def uris(documents) -> list[str]:
    return [d["uri"] for d in documents]


def urn(story) -> str:
    return f"urn:uuid:{story.uuid}"


def walk(client, url) -> list[dict]:
    """Every item of a list, following ``next`` links."""
    collected = []
    while url:
        data = get_json(client, url)
        collected += data["items"]
        url = data["next"]
        if url:
            assert url.startswith("https://news.example/api/")
            parts = urlsplit(url)
            url = f"{parts.path}?{parts.query}"
    return collected


def story_at(when: datetime, **fields):
    """A story published at ``when`` and not changed since."""
    story = PublishedArticleFactory(published_at=when, first_published_at=when, **fields)
    Article.objects.filter(pk=story.pk).update(created_at=when, updated_at=when)
    story.refresh_from_db()
    return story


def published_through_workflow(publisher, **fields):
    story = ArticleFactory(**fields)
    for step in (workflow.submit, workflow.approve, workflow.publish):
        step(story, by=publisher)
    return Article.objects.get(pk=story.pk)


# --- The sample story -----------------------------------------------------------------------


def test_sample_story_detail_is_valid_ninjs_with_what_partners_print(client, sample_story):
    document = get_json(client, detail_url(sample_story))

    assert ninjs_errors(document) == []
    assert document["uri"] == urn(sample_story)
    assert document["pubStatus"] == "usable"
    assert document["headlines"][0]["value"] == (
        "Xi: Build model general offices of Party, governments"
    )
    assert document["bodies"][0]["value"].count("<p>") == 8
    assert document["firstCreated"] == "2023-09-15T08:55:00+08:00"
    assert document["by"] == "Cao Desheng"
    assert [(p["name"], p["rel"]) for p in document["people"]] == [
        ("Cao Desheng", "author"),
        ("Zhong Wenxing", "Web editor"),
        ("Liang Jun", "Web editor"),
    ]
    assert document["copyrightHolder"] == "China Daily"
    assert document["infoSources"][0]["name"] == "China Daily"
    assert {s["name"] for s in document["subjects"] if s["rel"] == "keyword"} == {
        "Xi Jinping",
        "Communist Party of China",
        "Governance",
    }
    assert [s["name"] for s in document["subjects"] if s["rel"] == "section"] == ["Politics"]


def test_list_items_are_the_detail_documents(client, sample_story):
    [item] = items(client, STORIES)
    assert item == get_json(client, detail_url(sample_story))


def test_index_links_every_endpoint(client):
    data = get_json(client, "/api/")
    endpoints = data["endpoints"]
    assert endpoints["stories"]["href"] == "https://news.example/api/stories/"
    assert endpoints["stories"]["parameters"] == list(STORY_PARAMETERS)
    assert endpoints["story"]["href"] == "https://news.example/api/stories/{uuid}/"
    assert endpoints["corrections"]["href"] == "https://news.example/api/corrections/"
    assert data["format"]["version"] == "3.1"


# --- Only what the public sees --------------------------------------------------------------


@pytest.fixture
def hidden_stories():
    """One story of each kind partners must never get, in one section and tag."""
    section = SectionFactory(name="World", slug="world")
    stories = {
        "draft": ArticleFactory(state=State.DRAFT, section=section),
        "in review": ArticleFactory(state=State.REVIEW, section=section),
        "ready": ArticleFactory(state=State.READY, section=section),
        "scheduled": PublishedArticleFactory(
            section=section, published_at=timezone.now() + timedelta(hours=1)
        ),
    }
    for story in stories.values():
        story.tags.add("harbours")
    return stories


@pytest.mark.parametrize("kind", ["draft", "in review", "ready", "scheduled"])
def test_unpublished_story_is_404_and_in_no_list(client, hidden_stories, kind):
    story = hidden_stories[kind]
    error = get_json(client, detail_url(story), status=404)["error"]
    assert error["code"] == "not_found"
    for url in (
        STORIES,
        f"{STORIES}?section=world",
        f"{STORIES}?tag=harbours",
        f"{STORIES}?updated_since=2000-01-01",
    ):
        assert urn(story) not in uris(items(client, url)), url


def test_scheduled_story_appears_when_its_time_comes(client, time_machine):
    time_machine.move_to(NOON, tick=False)
    story = PublishedArticleFactory(published_at=NOON + timedelta(hours=1))
    assert items(client, f"{STORIES}?updated_since=2000-01-01") == []
    time_machine.move_to(NOON + timedelta(hours=1), tick=False)
    assert uris(items(client, STORIES)) == [urn(story)]
    assert get_json(client, detail_url(story))["pubStatus"] == "usable"


@pytest.fixture
def withdrawn(publisher, time_machine):
    """A story published through the workflow at NOON and withdrawn an hour later."""
    time_machine.move_to(NOON, tick=False)
    story = published_through_workflow(publisher, headline="Factory fire kills three")
    ContributionFactory(article=story, person__slug="wang-lei")
    story.tags.add("fires")
    time_machine.move_to(NOON + timedelta(hours=1), tick=False)
    workflow.withdraw(story, by=publisher, notice="The story relied on a false report.")
    return Article.objects.get(pk=story.pk)


def test_withdrawn_story_answers_a_tombstone(client, withdrawn):
    document = get_json(client, detail_url(withdrawn))
    assert ninjs_errors(document) == []
    assert document["pubStatus"] == "canceled"
    assert document["versionCreated"] == "2024-05-06T13:00:00+08:00"
    assert document["version"] == str(withdrawn.version)
    assert not {"headlines", "bodies", "people", "by", "associations"} & set(document)
    assert "Factory fire" not in json.dumps(document)


def test_withdrawn_story_leaves_the_list_but_syncs_as_a_tombstone(client, withdrawn):
    assert items(client, STORIES) == []
    [tombstone] = items(client, f"{STORIES}?updated_since=2024-05-06T12:30:00%2B08:00")
    assert (tombstone["uri"], tombstone["pubStatus"]) == (urn(withdrawn), "canceled")
    # Filters apply to tombstones too: a partner syncing one tag learns of its withdrawals.
    assert uris(items(client, f"{STORIES}?updated_since=2024-05-06&tag=fires")) == [urn(withdrawn)]
    assert uris(items(client, f"{STORIES}?updated_since=2024-05-06&person=wang-lei")) == [
        urn(withdrawn)
    ]
    # Withdrawn before the partner's last sync: nothing new to say.
    assert items(client, f"{STORIES}?updated_since=2024-05-06T13:00:01%2B08:00") == []


def test_withdrawn_story_back_on_the_desk_stays_a_tombstone(client, withdrawn, publisher):
    workflow.return_to_draft(withdrawn, by=publisher)
    assert get_json(client, detail_url(withdrawn))["pubStatus"] == "canceled"
    [item] = items(client, f"{STORIES}?updated_since=2024-05-06")
    assert item["pubStatus"] == "canceled"


def test_story_published_again_is_usable_with_a_new_version(client, withdrawn, publisher):
    first = get_json(client, detail_url(withdrawn))
    workflow.return_to_draft(withdrawn, by=publisher)
    for step in (workflow.submit, workflow.approve, workflow.publish):
        step(withdrawn, by=publisher)
    again = get_json(client, detail_url(withdrawn))
    assert again["pubStatus"] == "usable"
    assert int(again["version"]) > int(first["version"])
    assert again["firstCreated"] == "2024-05-06T12:00:00+08:00"


def test_withdrawn_story_scheduled_again_is_a_tombstone_until_its_time(
    client, withdrawn, publisher, time_machine
):
    workflow.return_to_draft(withdrawn, by=publisher)
    workflow.submit(withdrawn, by=publisher)
    workflow.approve(withdrawn, by=publisher)
    workflow.publish(withdrawn, by=publisher, at=NOON + timedelta(days=1))
    time_machine.move_to(NOON + timedelta(hours=2), tick=False)
    later = story_at(NOON + timedelta(hours=2))
    tombstone, after = items(client, f"{STORIES}?updated_since=2024-05-06")
    assert (tombstone["pubStatus"], after["uri"]) == ("canceled", urn(later))
    # Its sync time is when it changed, never the publication time ahead.
    assert tombstone["versionCreated"] == "2024-05-06T13:00:00+08:00"
    later.delete()
    time_machine.move_to(NOON + timedelta(days=1), tick=False)
    [item] = items(client, f"{STORIES}?updated_since=2024-05-06")
    assert (item["pubStatus"], item["versionCreated"]) == ("usable", "2024-05-07T12:00:00+08:00")


def test_never_published_story_leaves_no_tombstone(client, publisher):
    story = ArticleFactory()
    workflow.submit(story, by=publisher)
    assert get_json(client, detail_url(story), status=404)["error"]["code"] == "not_found"


# --- Filters --------------------------------------------------------------------------------


@pytest.fixture
def newsroom(time_machine):
    """Five stories a day apart (oldest first), in two sections, with tags, people, types."""
    time_machine.move_to(NOON + timedelta(days=10), tick=False)
    politics = SectionFactory(name="Politics", slug="politics")
    sport = SectionFactory(name="Sport", slug="sport")
    stories = [
        story_at(NOON + timedelta(days=i), section=politics if i % 2 == 0 else sport)
        for i in range(5)
    ]
    stories[1].tags.add("Harbours")
    stories[3].tags.add("Harbours", "Storms")
    ann = PersonFactory(name="Ann Lee", slug="ann-lee")
    ContributionFactory(article=stories[0], person=ann)
    CreditFactory(article=stories[2], person=ann, role="Web editor")
    # Twice on one story: listed once.
    CreditFactory(article=stories[4], person=ann, role="Photographer")
    ContributionFactory(article=stories[4], person=ann)
    Article.objects.filter(pk=stories[2].pk).update(article_type=ArticleType.OPINION)
    return stories


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", [4, 3, 2, 1, 0]),
        ("section=sport", [3, 1]),
        ("tag=harbours", [3, 1]),
        ("tag=storms&section=sport", [3]),
        ("person=ann-lee", [4, 2, 0]),
        ("type=opinion", [2]),
        ("type=news", [4, 3, 1, 0]),
        # Dates are newsroom days (UTC+8): after is inclusive, before exclusive.
        ("published_after=2024-05-08", [4, 3, 2]),
        ("published_before=2024-05-08", [1, 0]),
        ("published_after=2024-05-07&published_before=2024-05-09", [2, 1]),
        ("published_after=2024-05-08T12:00:00%2B08:00", [4, 3, 2]),
        ("published_after=2024-05-08T12:00:01%2B08:00", [4, 3]),
        ("published_after=2024-05-08T04:00:00Z", [4, 3, 2]),
        # A "+" left unencoded arrives as a space and still means "+".
        ("published_after=2024-05-08T12:00:01+08:00", [4, 3]),
        # Without an offset: newsroom time.
        ("published_before=2024-05-07T12:00:01", [1, 0]),
        ("section=politics&person=ann-lee&published_after=2024-05-07", [4, 2]),
    ],
)
def test_filters(client, newsroom, query, expected):
    found = uris(items(client, f"{STORIES}?{query}"))
    assert found == [urn(newsroom[i]) for i in expected]


def test_updated_since_lists_changes_oldest_first(client, newsroom, time_machine, editor):
    time_machine.move_to(NOON + timedelta(days=20), tick=False)
    add_correction(newsroom[0], kind="correction", text="A name was misspelt.", by=editor)
    found = items(client, f"{STORIES}?updated_since=2024-05-08T12:00:00%2B08:00")
    # Stories 2, 3, 4 by publication time, then 0, corrected since.
    assert uris(found) == [urn(newsroom[i]) for i in (2, 3, 4, 0)]
    assert [d["versionCreated"] for d in found] == sorted(d["versionCreated"] for d in found)
    assert found[-1]["versionCreated"] == "2024-05-26T12:00:00+08:00"
    assert found[-1]["descriptions"][-1]["value"] == "A name was misspelt."


def test_story_going_live_after_a_partners_last_sync_is_in_the_next(client, time_machine):
    """Edited at 10:00 for 12:00: a partner who synced at 11:00 still gets it."""
    time_machine.move_to(NOON - timedelta(hours=2), tick=False)
    story = PublishedArticleFactory(published_at=NOON)
    time_machine.move_to(NOON - timedelta(hours=1), tick=False)
    assert items(client, f"{STORIES}?updated_since=2024-05-06T10:00:00%2B08:00") == []
    time_machine.move_to(NOON + timedelta(hours=1), tick=False)
    found = items(client, f"{STORIES}?updated_since=2024-05-06T11:00:00%2B08:00")
    assert uris(found) == [urn(story)]


# --- Pagination -----------------------------------------------------------------------------


def test_pages_follow_each_other_without_gaps_or_repeats(client, newsroom):
    first = get_json(client, f"{STORIES}?page_size=2&section=politics")
    assert uris(first["items"]) == [urn(newsroom[4]), urn(newsroom[2])]
    query = parse_qs(urlsplit(first["next"]).query)
    assert (query["page_size"], query["section"]) == (["2"], ["politics"])
    assert uris(walk(client, f"{STORIES}?page_size=2")) == [urn(s) for s in reversed(newsroom)]
    assert uris(walk(client, f"{STORIES}?page_size=1&updated_since=2000-01-01")) == [
        urn(s) for s in newsroom
    ]


def test_pages_stay_stable_when_stories_arrive_between_them(client, newsroom):
    first = get_json(client, f"{STORIES}?page_size=2")
    story_at(timezone.now() - timedelta(minutes=1))
    story_at(timezone.now() - timedelta(minutes=2))
    rest = walk(client, first["next"].removeprefix("https://news.example"))
    assert uris(first["items"] + rest) == [urn(s) for s in reversed(newsroom)]


def test_same_time_stories_page_by_id(client, time_machine):
    time_machine.move_to(NOON, tick=False)
    same = [story_at(NOON - timedelta(hours=1)) for _ in range(5)]
    assert uris(walk(client, f"{STORIES}?page_size=2")) == [urn(s) for s in reversed(same)]
    assert uris(walk(client, f"{STORIES}?page_size=2&updated_since=2000-01-01")) == [
        urn(s) for s in same
    ]


def test_sync_pages_move_a_story_changed_meanwhile_to_the_end(client, newsroom, editor):
    first = get_json(client, f"{STORIES}?page_size=2&updated_since=2000-01-01")
    assert uris(first["items"]) == [urn(newsroom[0]), urn(newsroom[1])]
    add_correction(newsroom[0], kind="update", text="Police named the driver.", by=editor)
    rest = walk(client, first["next"].removeprefix("https://news.example"))
    assert uris(rest) == [urn(newsroom[i]) for i in (2, 3, 4, 0)]


def test_last_page_has_no_next(client, newsroom):
    data = get_json(client, f"{STORIES}?page_size=5")
    assert len(data["items"]) == 5
    assert data["next"] is None


def test_page_size_defaults_to_20_and_stops_at_100(client, time_machine):
    time_machine.move_to(NOON, tick=False)
    for i in range(21):
        story_at(NOON - timedelta(minutes=i + 1))
    assert len(get_json(client, STORIES)["items"]) == 20
    assert len(get_json(client, f"{STORIES}?page_size={MAX_PAGE_SIZE}")["items"]) == 21


# --- Errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, parameter, code",
    [
        ("page_size=0", "page_size", "out_of_range"),
        ("page_size=101", "page_size", "out_of_range"),
        ("page_size=ten", "page_size", "out_of_range"),
        ("page_size=-1", "page_size", "out_of_range"),
        ("page_size=", "page_size", "out_of_range"),
        ("page_size=²", "page_size", "out_of_range"),
        ("published_after=yesterday", "published_after", "invalid_value"),
        ("published_after=2024-13-01", "published_after", "invalid_value"),
        ("published_before=2024-05-06T25:00", "published_before", "invalid_value"),
        ("updated_since=0001-01-01T00:00:00%2B05:00", "updated_since", "invalid_value"),
        ("updated_since=", "updated_since", "invalid_value"),
        (
            "published_after=2024-05-09&published_before=2024-05-08",
            "published_before",
            "bad_range",
        ),
        ("section=no-such-section", "section", "unknown_value"),
        ("tag=no-such-tag", "tag", "unknown_value"),
        ("person=nobody", "person", "unknown_value"),
        ("section=politics%00", "section", "invalid_value"),
        ("person=Ann Lee", "person", "invalid_value"),
        ("type=gossip", "type", "unknown_value"),
        ("sectoin=politics", "sectoin", "unknown_parameter"),
        ("section=politics&section=sport", "section", "repeated_parameter"),
        ("cursor=abc", "cursor", "invalid_cursor"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(client, newsroom, query, parameter, code):
    error = get_json(client, f"{STORIES}?{query}", status=400)["error"]
    assert (error["parameter"], error["code"]) == (parameter, code)
    assert error["message"]


def test_a_cursor_only_works_in_the_order_it_came_from(client, newsroom):
    synced = get_json(client, f"{STORIES}?page_size=1&updated_since=2000-01-01")
    cursor = parse_qs(urlsplit(synced["next"]).query)["cursor"][0]
    error = get_json(client, f"{STORIES}?cursor={cursor}", status=400)["error"]
    assert error["code"] == "invalid_cursor"
    error = get_json(client, f"{CORRECTIONS}?cursor={cursor}", status=400)["error"]
    assert error["code"] == "invalid_cursor"


def test_a_tampered_cursor_is_refused(client, newsroom):
    listed = get_json(client, f"{STORIES}?page_size=1")
    cursor = parse_qs(urlsplit(listed["next"]).query)["cursor"][0]
    tampered = cursor.replace(cursor[3], "A" if cursor[3] != "A" else "B", 1)
    assert get_json(client, f"{STORIES}?cursor={tampered}", status=400)["error"]["parameter"] == (
        "cursor"
    )


@pytest.mark.parametrize(
    "url",
    [
        f"{STORIES}5b0f4c1e-7d0a-4c43-9f4e-2a9d7c3e8b15/",
        f"{STORIES}not-a-uuid/",
        "/api/nothing-here/",
        "/api/stories/extra/path/",
    ],
)
def test_unknown_addresses_are_json_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(response.content)["error"]["code"] == "not_found"
    assert "no-cache" in response["Cache-Control"]


def test_address_without_its_slash_redirects(client):
    response = client.get("/api/stories?page_size=1")
    assert response.status_code == 301
    assert response["Location"] == "/api/stories/?page_size=1"


def test_detail_takes_no_parameters(client, sample_story):
    error = get_json(client, f"{detail_url(sample_story)}?page_size=1", status=400)["error"]
    assert error["code"] == "unknown_parameter"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writing_methods_are_405(client, method):
    response = getattr(client, method)(STORIES)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert json.loads(response.content)["error"]["code"] == "method_not_allowed"


def test_preflight_allows_conditional_requests_from_any_origin(client):
    response = client.options(STORIES, headers={"Origin": "https://partner.example"})
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "If-None-Match" in response["Access-Control-Allow-Headers"]
    assert response["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"


PARAMETER_NAMES = st.sampled_from([*STORY_PARAMETERS, "since", "x", "page"])
ODD_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
ODD_VALUES = st.one_of(
    ODD_TEXT,
    st.sampled_from(["0", "100", "2024-05-06", "9999-12-31T23:59:59-12:00", "1e3", "politics"]),
    st.integers(-(10**20), 10**20).map(str),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.lists(st.tuples(PARAMETER_NAMES, ODD_VALUES), max_size=4))
def test_no_query_string_makes_a_500(client, query):
    for url in (STORIES, CORRECTIONS):
        response = client.get(url, query)
        assert response.status_code in (200, 400), (query, response.content)
        data = json.loads(response.content)
        assert ("items" in data) == (response.status_code == 200)


# --- Caching ----------------------------------------------------------------------------------


def test_etag_and_conditional_get(client, sample_story, editor):
    url = detail_url(sample_story)
    response = client.get(url)
    etag = response["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert response["Cache-Control"] == "public, max-age=60"
    assert response["Last-Modified"] == "Fri, 15 Sep 2023 00:55:00 GMT"

    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert (again["ETag"], again["Access-Control-Allow-Origin"]) == (etag, "*")

    listed = client.get(STORIES)
    assert client.get(STORIES, headers={"If-None-Match": listed["ETag"]}).status_code == 304

    add_correction(sample_story, kind="correction", text="A title was wrong.", by=editor)
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert client.get(STORIES, headers={"If-None-Match": listed["ETag"]}).status_code == 200


def test_etag_follows_what_the_document_shows_not_just_the_story_row(client, sample_story):
    url = detail_url(sample_story)
    etag = client.get(url)["ETag"]
    # A byline's name changes; the story row does not.
    sample_story.contributions.get(kind="byline").person.__class__.objects.filter(
        slug="cao-desheng"
    ).update(name="Cao De-sheng")
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 200


def test_head_answers_the_same_headers_without_a_body(client, sample_story):
    url = detail_url(sample_story)
    got, head = client.get(url), client.head(url)
    assert head.status_code == 200
    assert head.content == b""
    assert head["ETag"] == got["ETag"]


# --- Corrections feed -------------------------------------------------------------------------


@pytest.fixture
def corrected(editor, time_machine):
    """Two live stories with three corrections at 13:00, 14:00 and 15:00 (newsroom time)."""
    time_machine.move_to(NOON, tick=False)
    harbour = story_at(NOON - timedelta(hours=2), headline="Harbour reopens")
    storm = story_at(NOON - timedelta(hours=1), headline="Storm nears")
    made = []
    for hour, (story, kind, text) in enumerate(
        [
            (harbour, "correction", "The port is in Qingdao."),
            (storm, "update", "The storm turned north."),
            (harbour, "clarification", "The ferry is a private one."),
        ],
        start=1,
    ):
        time_machine.move_to(NOON + timedelta(hours=hour), tick=False)
        made.append(add_correction(story, kind=kind, text=text, by=editor))
    return harbour, storm, made


def test_corrections_feed_lists_them_newest_first_with_their_story(client, corrected):
    harbour, _storm, made = corrected
    data = get_json(client, CORRECTIONS)
    assert data["next"] is None
    assert [item["uri"] for item in data["items"]] == [
        f"urn:uuid:{c.uuid}" for c in reversed(made)
    ]
    newest = data["items"][0]
    assert newest == {
        "uri": f"urn:uuid:{made[2].uuid}",
        "kind": "clarification",
        "label": "Clarification",
        "text": "The ferry is a private one.",
        "created": "2024-05-06T15:00:00+08:00",
        "story": {
            "uri": urn(harbour),
            "version": str(Article.objects.get(pk=harbour.pk).version),
            "headline": "Harbour reopens",
            "url": f"https://news.example{harbour.get_absolute_url()}",
            "href": f"https://news.example/api/stories/{harbour.uuid}/",
        },
    }


def test_corrections_feed_since_and_pages(client, corrected):
    _harbour, _storm, made = corrected
    since = get_json(client, f"{CORRECTIONS}?since=2024-05-06T14:00:00%2B08:00")["items"]
    assert [i["text"] for i in since] == [made[2].text, made[1].text]
    paged = walk(client, f"{CORRECTIONS}?page_size=1")
    assert [i["uri"] for i in paged] == [f"urn:uuid:{c.uuid}" for c in reversed(made)]


def test_corrections_on_stories_the_public_cannot_see_never_appear(
    client, corrected, publisher, time_machine
):
    _harbour, storm, made = corrected
    workflow.withdraw(storm, by=publisher)
    texts = [i["text"] for i in get_json(client, CORRECTIONS)["items"]]
    assert made[1].text not in texts
    assert len(texts) == 2
    # A correction row on a draft (say, from an import) stays out too.
    CorrectionFactory(article=ArticleFactory(state=State.DRAFT), text="Draft note")
    texts = [i["text"] for i in get_json(client, CORRECTIONS)["items"]]
    assert "Draft note" not in texts


def test_corrections_feed_refuses_story_filters(client):
    error = get_json(client, f"{CORRECTIONS}?section=politics", status=400)["error"]
    assert (error["code"], error["parameter"]) == ("unknown_parameter", "section")


# --- Query budgets ----------------------------------------------------------------------------


def rich_stories(n: int) -> list[Article]:
    source = SourceFactory()
    section = SectionFactory(name="Politics", slug="politics")
    person = PersonFactory(name="Ann Lee", slug="ann-lee")
    stories = []
    for i in range(n):
        story = story_at(timezone.now() - timedelta(hours=i + 1), section=section, source=source)
        ContributionFactory(article=story, person=person)
        ContributionFactory(article=story)
        CreditFactory(article=story)
        story.tags.add("harbours", f"tag {i}")
        Correction.objects.create(article=story, text=f"Correction {i}")
        stories.append(story)
    return stories


@pytest.mark.parametrize("n", [1, 30])
@pytest.mark.parametrize(
    "query, budget",
    [
        # Stories; contributions with people; tags; related links; corrections.
        ("", 5),
        ("updated_since=2000-01-01", 5),
        # One lookup per slug filter.
        ("section=politics&tag=harbours&person=ann-lee&type=news", 8),
    ],
)
def test_story_list_query_budget_is_fixed(client, django_assert_max_num_queries, n, query, budget):
    rich_stories(n)
    with django_assert_max_num_queries(budget):
        found = get_json(client, f"{STORIES}?page_size=100&{query}")["items"]
    assert len(found) == n


@pytest.mark.parametrize("n", [1, 30])
def test_detail_and_corrections_query_budgets_are_fixed(client, django_assert_max_num_queries, n):
    stories = rich_stories(n)
    with django_assert_max_num_queries(5):
        get_json(client, detail_url(stories[0]))
    with django_assert_max_num_queries(1):
        assert len(get_json(client, f"{CORRECTIONS}?page_size=100")["items"]) == n
