"""Reader search at /search/?q=: what it finds, in what order, how it shows it, what it costs.

Every test runs on SQLite and on PostgreSQL (``DATABASE_URL``); stories are made inside
``committed()`` so the search document PostgreSQL keeps after commit is there, as in
production. On SQLite the FTS5 prefilter narrows every search here, so these tests also show
that saves keep it current; ``test_search_index.py`` shows it never changes a result.
"""

import re
from datetime import timedelta
from functools import partial

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles import search
from articles.models import Article, Contribution, State
from articles.search_views import SearchView
from articles.tests.factories import (
    ArticleFactory,
    ContributionFactory,
    CreditFactory,
    PublishedArticleFactory,
    SectionFactory,
)
from people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL full-text search only"
)

SEARCH_URL = reverse("search")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what saves defer to after commit (the search document), as a real commit would."""
    return partial(django_capture_on_commit_callbacks, execute=True)


def text_of(node) -> str:
    return re.sub(r"\s+", " ", node.get_text()).strip()


def get_results(client, q, **params):
    response = client.get(SEARCH_URL, {"q": q, **params})
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def headlines(soup) -> list[str]:
    return [text_of(a) for a in soup.select(".search-results .story-item__headline a")]


def found(client, q) -> list[str]:
    return headlines(get_results(client, q))


# --- What it finds -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("headline", "Harbour ferry returns"),
        ("deck", "The harbour ferry returns after the storm"),
        ("body", "<p>The <em>harbour</em> ferry returns on Monday.</p>"),
    ],
)
def test_finds_published_story_by_its_text(client, committed, field, value):
    with committed():
        story = PublishedArticleFactory(**{field: value})
        PublishedArticleFactory(headline="Budget vote delayed")
    assert found(client, "harbour") == [story.headline]


@pytest.mark.parametrize("kind", [Contribution.Kind.BYLINE, Contribution.Kind.CREDIT])
def test_finds_story_by_contributor_name(client, committed, kind):
    with committed():
        story = PublishedArticleFactory()
        ContributionFactory(article=story, kind=kind, person__name="Wilhelmina Okonkwo")
        PublishedArticleFactory()
    assert found(client, "Okonkwo") == [story.headline]
    assert found(client, "wilhelmina okonkwo") == [story.headline]


def test_unpublished_stories_are_never_found(client, committed):
    with committed():
        live = PublishedArticleFactory(headline="Lighthouse keeper retires (live)")
        hidden = [
            ArticleFactory(headline="Lighthouse keeper retires (draft)", state=State.DRAFT),
            ArticleFactory(headline="Lighthouse keeper retires (review)", state=State.REVIEW),
            ArticleFactory(headline="Lighthouse keeper retires (ready)", state=State.READY),
            PublishedArticleFactory(
                headline="Lighthouse keeper retires (scheduled)",
                published_at=timezone.now() + timedelta(hours=1),
            ),
            PublishedArticleFactory(
                headline="Lighthouse keeper retires (withdrawn)", state=State.WITHDRAWN
            ),
        ]
    html = get_results(client, "lighthouse keeper")
    assert headlines(html) == [live.headline]
    for article in hidden:
        assert article.headline not in str(html)
    assert search.search("lighthouse").count() == 1


def test_scheduled_story_is_found_once_its_time_comes(client, committed, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    with committed():
        story = PublishedArticleFactory(
            headline="Embargoed ferry timetable", published_at=timezone.now() + timedelta(hours=1)
        )
    assert found(client, "timetable") == []
    time_machine.shift(timedelta(hours=1, seconds=1))
    assert found(client, "timetable") == [story.headline]


def test_every_word_of_the_query_must_match(client, committed):
    with committed():
        both = PublishedArticleFactory(headline="Ferry and bridge reopen")
        PublishedArticleFactory(headline="Ferry reopens")
        PublishedArticleFactory(headline="Bridge reopens")
    assert found(client, "ferry bridge") == [both.headline]


def test_tags_and_link_addresses_in_the_body_are_not_searched(client, committed):
    with committed():
        story = PublishedArticleFactory(
            body='<p><strong>Ferry</strong> back, <a href="https://harbourmaster.example/">'
            "timetable</a>.</p>"
        )
    assert found(client, "ferry") == [story.headline]
    assert found(client, "strong") == []
    assert found(client, "harbourmaster") == []


def test_case_is_ignored_beyond_ascii(client, committed):
    with committed():
        story = PublishedArticleFactory(headline="École reopens after the flood")
    assert found(client, "ÉCOLE") == [story.headline]
    assert found(client, "école") == [story.headline]


def test_finds_chinese_name_written_as_a_word(client, committed):
    with committed():
        story = PublishedArticleFactory(headline="习近平 meets regional leaders")
        ContributionFactory(article=story, person__name="曹德胜")
    assert found(client, "习近平") == [story.headline]
    assert found(client, "曹德胜") == [story.headline]


def test_sample_story_loaded_from_its_fixture_is_found(client, committed):
    with committed():
        call_command("loaddata", "sample_story", verbosity=0)
    soup = get_results(client, "general offices")
    assert headlines(soup) == ["Xi: Build model general offices of Party, governments"]
    marked = [text_of(m).lower() for m in soup.select(".search-snippet mark")]
    assert "general" in marked
    assert found(client, "Cao Desheng") == headlines(soup)
    assert found(client, "Liang Jun") == headlines(soup)


# --- Order ---------------------------------------------------------------------------------


def test_headline_match_ranks_above_deck_and_names_above_body(client, committed):
    now = timezone.now()
    with committed():
        # Newest first, so ranking has to overturn the recency order.
        in_body = PublishedArticleFactory(
            headline="Council notes",
            body="<p>The lighthouse needs paint.</p>",
            published_at=now - timedelta(minutes=1),
        )
        in_name = PublishedArticleFactory(
            headline="Coast notes", published_at=now - timedelta(minutes=2)
        )
        ContributionFactory(article=in_name, person__name="Mara Lighthouse")
        in_deck = PublishedArticleFactory(
            headline="Harbour notes",
            deck="A lighthouse keeper remembers",
            published_at=now - timedelta(minutes=3),
        )
        in_headline = PublishedArticleFactory(
            headline="Lighthouse to close", published_at=now - timedelta(minutes=4)
        )
    order = found(client, "lighthouse")
    assert order[0] == in_headline.headline
    assert set(order[1:3]) == {in_deck.headline, in_name.headline}
    assert order[3] == in_body.headline


def test_equal_matches_are_listed_newest_first(client, committed):
    now = timezone.now()
    with committed():
        older = PublishedArticleFactory(
            headline="Tide tables one", published_at=now - timedelta(days=2)
        )
        newer = PublishedArticleFactory(
            headline="Tide tables two", published_at=now - timedelta(days=1)
        )
    assert found(client, "tide") == [newer.headline, older.headline]


# --- How a result looks --------------------------------------------------------------------


def test_result_shows_headline_link_section_date_bylines_and_snippet(client, committed):
    with committed():
        story = PublishedArticleFactory(
            headline="Ferry returns",
            section__name="Metro",
            body="<p>The ferry to the outer islands sails again from Monday.</p>",
        )
        ContributionFactory(article=story, person__name="Ana Lima")
        ContributionFactory(article=story, person__name="Ben Ito")
        CreditFactory(article=story, person__name="Web Editor Person")
    soup = get_results(client, "islands")
    item = soup.select_one(".search-results .story-item")
    link = item.select_one("h2 a")
    assert link["href"] == story.get_absolute_url()
    meta = text_of(item.select_one(".story-item__meta"))
    assert meta.startswith("Metro · ")
    assert timezone.localtime(story.published_at).strftime("%B") in meta
    assert meta.endswith("By Ana Lima, Ben Ito")
    assert item.select_one(".story-item__meta a")["href"] == story.section.get_absolute_url()
    snippet = item.select_one(".search-snippet")
    assert [text_of(m) for m in snippet.select("mark")] == ["islands"]
    assert "sails again from Monday" in text_of(snippet)
    assert [text_of(h) for h in soup.find_all("h1")] == ["Search results for “islands”"]
    assert soup.select_one("main input[name=q]")["value"] == "islands"


def test_snippet_escapes_the_story_text_and_marks_only_matches(client, committed):
    with committed():
        PublishedArticleFactory(
            headline="Council publishes code",
            body="<p>Marks &amp; Spencer quoted &lt;script&gt;alert(1)&lt;/script&gt; "
            "as the council's example.</p>",
        )
    response = client.get(SEARCH_URL, {"q": "spencer"})
    html = response.content.decode()
    assert "<script>alert(1)" not in html
    snippet = BeautifulSoup(html, "html.parser").select_one(".search-snippet")
    assert [text_of(m) for m in snippet.select("mark")] == ["Spencer"]
    assert "Marks &amp; <mark>Spencer</mark>" in str(snippet)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in str(snippet)
    # Decoded once, escaped once: readers see the story's own characters.
    assert "Marks & Spencer quoted <script>alert(1)</script>" in text_of(snippet)


def test_snippet_shows_text_around_a_match_deep_in_a_long_story(client, committed):
    filler = " ".join(f"word{i}" for i in range(400))
    with committed():
        PublishedArticleFactory(body=f"<p>{filler} the lighthouse keeper retires {filler}</p>")
    snippet = get_results(client, "lighthouse").select_one(".search-snippet")
    assert [text_of(m).lower() for m in snippet.select("mark")] == ["lighthouse"]
    assert len(text_of(snippet)) < 600


def test_markers_written_in_a_story_do_not_become_marks(client, committed):
    with committed():
        PublishedArticleFactory(body=f"<p>Ferry {search.START}back{search.STOP} today.</p>")
    snippet = get_results(client, "ferry").select_one(".search-snippet")
    assert [text_of(m) for m in snippet.select("mark")] == ["Ferry"]


def test_pagination_shows_20_a_page_and_keeps_the_query(client, committed):
    now = timezone.now()
    with committed():
        for i in range(25):
            PublishedArticleFactory(
                headline=f"Ferry bulletin {i}", published_at=now - timedelta(minutes=i + 1)
            )
    first = get_results(client, "ferry bulletin")
    assert len(headlines(first)) == 20
    assert "25 stories found" in text_of(first.select_one(".search-status"))
    next_link = first.select_one(".pagination a[rel=next]")["href"]
    assert next_link == "?q=ferry%20bulletin&page=2"
    second = BeautifulSoup(client.get(SEARCH_URL + next_link).content, "html.parser")
    assert len(headlines(second)) == 5
    assert second.select_one(".search-results")["start"] == "21"
    assert set(headlines(first)).isdisjoint(headlines(second))
    assert second.select_one(".pagination a[rel=prev]")["href"] == "?q=ferry%20bulletin&page=1"


def test_no_results_says_so(client, committed):
    with committed():
        PublishedArticleFactory(headline="Ferry returns")
    soup = get_results(client, "zeppelin")
    assert headlines(soup) == []
    assert "No stories match “zeppelin”" in text_of(soup.select_one("main"))


# --- Odd input -----------------------------------------------------------------------------


def test_empty_query_offers_the_form_and_runs_no_search(client, committed):
    with committed():
        PublishedArticleFactory(headline="Ferry returns")
    for params in ({}, {"q": ""}, {"q": "   "}, {"q": "\x00\t"}):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(SEARCH_URL, params)
        assert response.status_code == 200
        assert not [q for q in queries if "articles_article" in q["sql"]]
        soup = BeautifulSoup(response.content, "html.parser")
        assert [text_of(h) for h in soup.find_all("h1")] == ["Search"]
        assert "Enter a word" in text_of(soup.select_one("main"))
        assert soup.select_one("main input[name=q]")["value"] == ""


def test_overlong_query_is_shortened_and_the_page_says_so(client, committed):
    with committed():
        story = PublishedArticleFactory(headline="Ferry returns to harbour")
    soup = get_results(client, "ferry " + "harbour " * 100)
    assert "only its first 200 were used" in text_of(soup.select_one("main"))
    kept = soup.select_one("main input[name=q]")["value"]
    assert len(kept) <= search.MAX_QUERY_LENGTH
    # Cut between words: a clipped "harb" would have to match too.
    assert kept.endswith(" harbour")
    assert headlines(soup) == [story.headline]


ODD_QUERIES = [
    '"',
    '""',
    "'",
    "&|!:*()",
    "ferry & | ! <-> :* ( )",
    '"ferry',
    "ferry -",
    "-ferry",
    "or",
    "ferry or",
    "\\",
    "%_%",
    "a\x00b",
    "ferry\x00",
    "😀",
    "ferry 😀",
    "习近平",
    "<script>alert(1)</script>",
    "'; DROP TABLE articles_article; --",
    "\u202eferry",
    "the",
    "é" * 300,
    "ferry " * 80,
]


@pytest.mark.parametrize("q", ODD_QUERIES)
def test_odd_queries_never_error(client, committed, q):
    with committed():
        PublishedArticleFactory(headline="Ferry returns", body="<p>习近平 said ferry.</p>")
    response = client.get(SEARCH_URL, {"q": q})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert(1)" not in html
    assert "\x00" not in html


def test_operators_work_on_postgresql_and_are_ignored_on_sqlite(client, committed):
    with committed():
        ferry = PublishedArticleFactory(headline="Harbour ferry returns")
        PublishedArticleFactory(headline="Harbour bridge returns")
    # A quoted phrase finds the story on both; on SQLite the words are matched one by one.
    assert found(client, '"harbour ferry"') == [ferry.headline]
    if connection.vendor == "postgresql":
        assert found(client, "harbour -bridge") == [ferry.headline]


def test_page_out_of_range_is_not_found(client, committed):
    with committed():
        PublishedArticleFactory(headline="Ferry returns")
    assert client.get(SEARCH_URL, {"q": "ferry", "page": "9"}).status_code == 404
    assert client.get(SEARCH_URL, {"q": "ferry", "page": "last"}).status_code == 200


def test_clean_query_drops_control_characters_and_cuts_long_input():
    assert search.clean_query("  ferry\x00\tnews\u200b ") == ("ferry news", False)
    assert search.clean_query(f"a{search.START}b{search.STOP}") == ("a b", False)
    text, shortened = search.clean_query("word " * 100)
    assert shortened and len(text) <= search.MAX_QUERY_LENGTH and text.endswith(" word")
    assert search.clean_query("x" * 300) == ("x" * search.MAX_QUERY_LENGTH, True)


def test_query_terms_keep_words_and_drop_operators():
    assert search.query_terms('"Harbour ferry" -bridge & Ferry | 習近平!') == [
        "harbour",
        "ferry",
        "bridge",
        "習近平",
    ]


# --- Cost ----------------------------------------------------------------------------------


def make_stories(count: int) -> None:
    for i in range(count):
        story = PublishedArticleFactory(headline=f"Ferry timetable {i}")
        ContributionFactory(article=story)
        ContributionFactory(article=story)
        CreditFactory(article=story)
        story.tags.add(f"ferries-{i}", "transport")


@pytest.mark.parametrize("count", [1, 30])
def test_search_page_query_budget_is_fixed(client, committed, count):
    with committed():
        make_stories(count)
    with CaptureQueriesContext(connection) as queries:
        soup = get_results(client, "ferry timetable")
    assert len(headlines(soup)) == min(count, search.PAGE_SIZE)
    bylines = [
        text_of(meta).rsplit(" · ", 1)[-1]
        for meta in soup.select(".search-results .story-item__meta")
    ]
    assert all(re.fullmatch(r"By Reporter \d+, Reporter \d+", b) for b in bylines), bylines
    # Section navigation, count, page of stories, their bylines.
    assert len(queries) == 4, [q["sql"] for q in queries]


# --- Keeping the PostgreSQL document -------------------------------------------------------


def test_document_follows_edits_of_story_contributors_and_names(client, committed):
    with committed():
        story = PublishedArticleFactory(headline="Ferry returns")
    with committed():
        story.headline = "Hovercraft returns"
        story.save()
    assert found(client, "hovercraft") == [story.headline]
    assert found(client, "ferry") == []

    with committed():
        byline = ContributionFactory(article=story, person__name="Ines Quarshie")
    assert found(client, "Quarshie") == [story.headline]

    with committed():
        person = byline.person
        person.name = "Ines Quartey"
        person.save()
    assert found(client, "Quartey") == [story.headline]
    assert found(client, "Quarshie") == []

    with committed():
        byline.delete()
    assert found(client, "Quartey") == []


def test_byline_saved_through_its_admin_proxy_updates_the_document(client, committed):
    from articles.models import Byline

    with committed():
        story = PublishedArticleFactory(headline="Ferry returns")
        Byline.objects.create(article=story, person=PersonFactory(name="Odile Brannigan"))
    assert found(client, "Brannigan") == [story.headline]


@on_postgresql
def test_document_weights_headline_deck_names_and_body(committed):
    with committed():
        story = PublishedArticleFactory(
            headline="Lighthouse", deck="Keeper", body="<p><b>Paint</b> &amp; brushes</p>"
        )
        ContributionFactory(article=story, person__name="Mara Quay")
    vector = Article.objects.values_list("search_vector", flat=True).get(pk=story.pk)
    assert vector == "'brush':6C 'keeper':2B 'lighthous':1A 'mara':3B 'paint':5C 'quay':4B"


@on_postgresql
def test_many_saves_in_one_transaction_cost_one_update(committed):
    with CaptureQueriesContext(connection) as queries, committed(), transaction.atomic():
        stories = PublishedArticleFactory.create_batch(5)
        for story in stories:
            ContributionFactory(article=story)
    updates = [q for q in queries if q["sql"].startswith('UPDATE "articles_article"')]
    assert len(updates) == 1, updates
    assert Article.objects.filter(search_vector__isnull=True).count() == 0


@on_postgresql
def test_saving_a_person_without_renaming_leaves_their_stories_alone(committed):
    with committed():
        byline = ContributionFactory(article=PublishedArticleFactory())
    with CaptureQueriesContext(connection) as queries, committed():
        byline.person.bio = "Covers the harbour."
        byline.person.save()
    assert not [q for q in queries if q["sql"].startswith('UPDATE "articles_article"')]


@on_postgresql
def test_rolled_back_changes_are_indexed_at_the_next_commit(committed):
    story = PublishedArticleFactory(headline="Ferry returns")  # no callbacks run: no document
    assert Article.objects.get(pk=story.pk).search_vector is None
    with committed():
        PublishedArticleFactory()
    assert Article.objects.get(pk=story.pk).search_vector is not None


@on_postgresql
def test_search_uses_the_gin_index():
    section = SectionFactory()
    Article.objects.bulk_create(
        PublishedArticleFactory.build(section=section, headline="Council budget", slug=f"c-{i}")
        for i in range(300)
    )
    PublishedArticleFactory.create_batch(3, section=section, headline="Ferry returns")
    search.update_search_vector()
    with connection.cursor() as cursor:
        # What autovacuum does in time: move fresh entries out of the index's pending list
        # (the planner prices them high) and gather statistics.
        cursor.execute("SELECT gin_clean_pending_list('article_search_vector_gin')")
        cursor.execute("ANALYZE articles_article")
        # A small table is cheaper to scan; the planner must still be able to use the index.
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = search.search("ferry").explain()
    assert "article_search_vector_gin" in plan, plan


@on_postgresql
def test_rebuild_command_restores_documents(client, committed, capsys):
    with committed():
        story = PublishedArticleFactory(headline="Ferry returns")
        ArticleFactory(headline="Ferry draft")
    Article.objects.update(search_vector=None)
    assert found(client, "ferry") == []
    call_command("rebuild_search_index", batch_size=1)
    assert "Rebuilt the search document of 2 stories" in capsys.readouterr().out
    assert found(client, "ferry") == [story.headline]


def test_rebuild_command_on_sqlite_rewrites_the_fts5_index(client, committed, capsys):
    if connection.vendor == "postgresql":
        pytest.skip("SQLite behaviour")
    with committed():
        story = PublishedArticleFactory(headline="Ferry returns")
        ArticleFactory(headline="Ferry draft")
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {search.SEARCH_INDEX}")  # noqa: S608
    # The index narrows every search of a word of 3+ characters: an empty one finds nothing.
    assert found(client, "ferry") == []
    call_command("rebuild_search_index")
    assert "Rebuilt the search index of 2 stories" in capsys.readouterr().out
    assert found(client, "ferry") == [story.headline]


def test_rebuild_command_on_sqlite_without_fts5_says_there_is_nothing_to_do(capsys):
    if connection.vendor == "postgresql":
        pytest.skip("SQLite behaviour")
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE {search.SEARCH_INDEX}")  # as if FTS5 were missing
            call_command("rebuild_search_index")
            transaction.set_rollback(True)  # SQLite's DDL is transactional: the table is back
        assert "Nothing to rebuild" in capsys.readouterr().out
    finally:
        assert search.check_sqlite_index(connection)


def test_update_search_vector_on_sqlite_rewrites_the_index_rows():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite behaviour")
    stories = PublishedArticleFactory.create_batch(3)
    assert search.update_search_vector() == 3
    assert search.update_search_vector([stories[0].pk]) == 1
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {search.SEARCH_INDEX}")  # noqa: S608
        assert cursor.fetchone() == (3,)


def test_result_pages_are_kept_out_of_search_engines(client, committed):
    with committed():
        PublishedArticleFactory(headline="Ferry returns")
    for q in ("ferry", ""):
        soup = get_results(client, q)
        assert [m["content"] for m in soup.select("meta[name=robots]")] == ["noindex, follow"]


# --- Very many matches: the results page ranks the newest --------------------------------


@pytest.fixture
def small_limits(monkeypatch):
    """Rank every match up to 4 of them, else the newest 3, 2 a page: the rule at a small scale."""
    monkeypatch.setattr(search, "RANK_ALL_UP_TO", 4)
    monkeypatch.setattr(search, "RANKED_NEWEST", 3)
    monkeypatch.setattr(SearchView, "paginate_by", 2)


def status(soup) -> str:
    return text_of(soup.select_one(".search-status"))


def all_pages(client, q) -> list[str]:
    found_so_far, page = [], 1
    while (response := client.get(SEARCH_URL, {"q": q, "page": page})).status_code == 200:
        found_so_far += headlines(BeautifulSoup(response.content, "html.parser"))
        page += 1
    assert response.status_code == 404
    return found_so_far


def lighthouse_stories(days: list[int], where: list[str]) -> list[Article]:
    """One story mentioning "lighthouse" per day ago, in its headline, deck or body."""
    now = timezone.now()
    stories = []
    for ago, field in zip(days, where, strict=True):
        text = {
            "headline": {"headline": f"Lighthouse story {ago}"},
            "deck": {"headline": f"Coast story {ago}", "deck": "The lighthouse beacon"},
            "body": {"headline": f"Harbour story {ago}", "body": "<p>The lighthouse.</p>"},
        }[field]
        stories.append(
            PublishedArticleFactory(published_at=now - timedelta(days=ago, minutes=1), **text)
        )
    return stories


def test_up_to_the_limit_every_match_is_ranked(client, committed, small_limits):
    with committed():
        oldest, *_ = lighthouse_stories([5, 4, 3, 2], ["headline", "body", "deck", "body"])
    soup = get_results(client, "lighthouse")
    assert status(soup) == "4 stories found; page 1 of 2."
    # The oldest story is the best match, and listed first.
    assert all_pages(client, "lighthouse") == [
        oldest.headline,
        "Coast story 3",
        "Harbour story 2",
        "Harbour story 4",
    ]


def test_beyond_the_limit_the_newest_are_ranked_and_the_page_says_so(
    client, committed, small_limits
):
    with committed():
        lighthouse_stories([5, 4, 3, 2, 1], ["headline", "deck", "body", "headline", "deck"])
    # The ranking of every match would put the oldest story first …
    assert [a.headline for a in search.search("lighthouse")][:2] == [
        "Lighthouse story 2",
        "Lighthouse story 5",
    ]
    # … the page ranks the newest 3 only, and says so.
    assert all_pages(client, "lighthouse") == [
        "Lighthouse story 2",
        "Coast story 1",
        "Harbour story 3",
    ]
    first = get_results(client, "lighthouse")
    assert status(first) == (
        "More than 4 stories found; these are the best matches among the newest 3; "
        "page 1 of 2. Add words to narrow your search and reach older stories."
    )
    second = get_results(client, "lighthouse", page=2)
    assert status(second).startswith("More than 4 stories found;")
    assert "page 2 of 2." in status(second)
    assert second.select_one(".search-results")["start"] == "3"
    # More words, fewer matches: every one is ranked again.
    assert found(client, "lighthouse beacon") == ["Coast story 1", "Coast story 4"]


def test_stories_readers_cannot_see_take_no_place_among_the_newest(
    client, committed, small_limits, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    with committed():
        live = lighthouse_stories([5, 4, 3, 2], ["body", "body", "body", "body"])
        PublishedArticleFactory(
            headline="Lighthouse scheduled", published_at=timezone.now() + timedelta(hours=1)
        )
        ArticleFactory(headline="Lighthouse draft", published_at=timezone.now())
        PublishedArticleFactory(headline="Lighthouse withdrawn", state=State.WITHDRAWN)
    # Four visible matches: not more than the limit, and all of them listed.
    assert status(get_results(client, "lighthouse")) == "4 stories found; page 1 of 2."
    assert sorted(all_pages(client, "lighthouse")) == sorted(a.headline for a in live)
    # Once the scheduled story is live, there are five: the newest three are ranked.
    time_machine.shift(timedelta(hours=1, seconds=1))
    assert all_pages(client, "lighthouse") == [
        "Lighthouse scheduled",
        "Harbour story 2",
        "Harbour story 3",
    ]


def test_results_list_the_ranking_of_search_page_by_page(committed, small_limits):
    with committed():
        lighthouse_stories(
            [6, 5, 4, 3, 2, 1], ["body", "headline", "deck", "body", "deck", "body"]
        )
        # Equal matches of the same time: the newer key first, as search() orders them.
        same_time = timezone.now() - timedelta(hours=3)
        twins = PublishedArticleFactory.create_batch(
            2, headline="Twin lighthouse", published_at=same_time
        )
    ranking = list(search.search("lighthouse"))
    results = search.results("lighthouse")
    newest = sorted(ranking, key=lambda a: (a.published_at, a.pk), reverse=True)[:3]
    assert results.more and len(results) == 3
    assert [a.pk for a in results.stories] == [a.pk for a in ranking if a in newest]
    assert [a.pk for a in results[0:2]] + [a.pk for a in results[2:4]] == [
        a.pk for a in results.stories
    ]
    assert [a.pk for a in results] == [a.pk for a in results.stories]
    assert [a.pk for a in results.stories][:2] == [twins[1].pk, twins[0].pk]
    few = search.results("lighthouse beacon")
    assert not few.more and len(few) == 2
    assert [a.pk for a in few[0:2]] == [a.pk for a in search.search("lighthouse beacon")]


def test_a_search_that_found_nothing_costs_no_page_query(client, committed, small_limits):
    with committed():
        lighthouse_stories([1], ["headline"])
    with CaptureQueriesContext(connection) as queries:
        soup = get_results(client, "zeppelin")
    assert "No stories match" in text_of(soup.select_one("main"))
    # Section navigation and the search for matches; nothing to rank, nothing to list.
    assert len([q for q in queries if "articles_article" in q["sql"]]) == 1, queries
    empty = search.Results()
    assert len(empty) == 0 and not empty.more and list(empty[0:20]) == []


@pytest.mark.parametrize(("stories", "more"), [(4, False), (5, True)])
def test_query_budget_with_very_many_matches(client, committed, small_limits, stories, more):
    with committed():
        for story in lighthouse_stories(list(range(1, stories + 1)), ["body"] * stories):
            ContributionFactory(article=story)
    get_results(client, "lighthouse")  # what the site keeps per process (navigation)
    with CaptureQueriesContext(connection) as queries:
        soup = get_results(client, "lighthouse")
    assert len(headlines(soup)) == 2
    assert ("More than 4" in status(soup)) is more
    # Matches counted up to the limit, [the newest taken,] a page ranked, its bylines.
    assert len(queries) == (4 if more else 3), [q["sql"] for q in queries]
