"""SQLite's FTS5 search prefilter: it never changes a result, and saves keep it current.

The prefilter (``articles.search``) only narrows the stories the exact LIKE predicates check,
so every search here is run twice, with it and without it (as on a SQLite without FTS5), and
the two answers, in order, must be the same; each comparison also checks that the prefilter
was really in the SQL, so a silently skipped index cannot pass.
"""

import sqlite3
from contextlib import closing, contextmanager
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from articles import search
from articles.models import Article, Contribution
from articles.tests.factories import (
    ContributionFactory,
    CreditFactory,
    PublishedArticleFactory,
)
from people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 prefilter")


@contextmanager
def without_index():
    """Search as a SQLite without FTS5 does: the full scan of today."""
    saved = search.sqlite_index_ready(connection)
    connection.newsroom_search_index = False
    try:
        yield
    finally:
        connection.newsroom_search_index = saved


def results(q: str) -> list[int]:
    return list(search.search(search.clean_query(q)[0]).values_list("pk", flat=True))


def assert_same_results(q: str) -> list[int]:
    """The story ids ``q`` finds with the prefilter, checked equal to those without it."""
    with CaptureQueriesContext(connection) as queries:
        narrowed = results(q)
    with without_index():
        scanned = results(q)
    assert narrowed == scanned, q
    terms = search.query_terms(search.clean_query(q)[0])
    uses_index = any(len(term) >= search.MIN_INDEXED_LENGTH for term in terms)
    sql = " ".join(query["sql"] for query in queries)  # none when no word is left
    assert uses_index == ("MATCH" in sql), (q, sql)
    return narrowed


def index_rows() -> dict[int, tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid, headline, deck, body, names FROM {search.SEARCH_INDEX}"  # noqa: S608
        )
        return {row[0]: row[1:] for row in cursor.fetchall()}


# --- The same results ------------------------------------------------------------------------

TRICKY_STORIES = [
    # (headline, deck, body, contributor names)
    ("École reopens after the flood", "ÉTÉ indien", "<p>Straße and STRASSE</p>", ["Zoë Ærø"]),
    ("ΣΊΣΥΦΟΣ at the harbour", "Ὀδυσσεύς", "<p>ΌΣΟΣ ΛΌΓΟΣ</p>", ["İsmail Işık"]),  # noqa: RUF001
    ("习近平主席 meets leaders", "曹德胜报道", "<p>中国日报 习近平</p>", ["曹德胜", "梁军"]),
    (
        "Marks & Spencer results",
        'He said "no" (twice)',
        "<p>Fish &amp; chips &lt;b&gt; &#x4e60;近平 caf&eacute; a&nbsp;b</p>",
        ["O'Brien-Smith"],
    ),
    (
        "AND OR NOT NEAR",
        "NEAR(ferry bridge, 2) col:ferry ^ferry ferry*",
        '<p><a href="https://harbour.example/">link</a> <strong>bold</strong> x_y_z</p>',
        ["Al Bo", "Cy"],
    ),
    ("Ferry bridge", "ab cd", "<p>a b c ferr y</p>", []),
    ("KELVIN 5 K", "ﬁne ligature", "<p>combining cafe\u0301 and café</p>", ["Kåre"]),
]

TRICKY_QUERIES = [
    "école",
    "ÉCOLE",
    "ete",
    "été",
    "straße",
    "STRASSE",
    "ss",
    "σίσυφος",
    "ΣΊΣΥΦΟΣ",
    "όσος",
    "λόγος",
    "ὀδυσσεύς",
    "ismail",
    "İsmail",
    "ışık",  # noqa: RUF001
    "ISIK",
    "习近平",
    "近平",
    "平",
    "主席 leaders",
    "曹德胜",
    "日报",
    "& spencer",
    "amp",
    "lt",
    "&lt;b&gt;",
    "<b>",
    "chips b",
    "習近平",
    "caf",
    "café",
    "eacute",
    "nbsp",
    "a b",
    '"no"',
    '"',
    '""',
    "'",
    "o'brien",
    "brien-smith",
    "AND",
    "OR",
    "NOT",
    "NEAR",
    "near",
    "NEAR(ferry bridge, 2)",
    "col:ferry",
    "^ferry",
    "ferry*",
    "*",
    "( )",
    "ferry bridge",
    "ferr",
    "fe",
    "y",
    "x_y_z",
    "_y_",
    "%",
    "harbour",
    "href",
    "strong",
    "bold",
    "al bo cy",
    "k",
    "kelvin",
    "ﬁne",
    "fine",
    "kåre",
    "KÅRE",
    "5",
    "cafe",
    "zoë ærø",
    "ZOË",
    "\u202eferry",
    "😀",
    "ferry 😀 bridge",
]


@sqlite_only
@pytest.mark.parametrize("q", TRICKY_QUERIES)
def test_tricky_queries_find_the_same_stories_with_the_index(q):
    for headline, deck, body, names in TRICKY_STORIES:
        story = PublishedArticleFactory(headline=headline, deck=deck, body=body)
        for name in names:
            ContributionFactory(article=story, person__name=name)
    assert_same_results(q)


@sqlite_only
def test_the_tricky_table_finds_stories_and_misses_others():
    """The comparisons above are not all empty: the table exercises real matches."""
    for headline, deck, body, names in TRICKY_STORIES:
        story = PublishedArticleFactory(headline=headline, deck=deck, body=body)
        for name in names:
            ContributionFactory(article=story, person__name=name)
    assert len(assert_same_results("ΣΊΣΥΦΟΣ")) == 1
    assert len(assert_same_results("习近平")) == 2  # the body's &#x4e60; is 习
    assert len(assert_same_results("ferry")) == 2
    assert assert_same_results("harbour.example") == []  # an address is not text
    assert len(assert_same_results("STRASSE")) == 1
    assert assert_same_results("href") == []


# Characters that stress folding, entities, tags and FTS5's query syntax.
ALPHABET = st.sampled_from(
    list("abcdefgxyzABCXYZ0129_ ")
    + list("ÉéßẞİIıiΣσςΌόKkKåÅﬁæ")  # noqa: RUF001
    + list("习近平主席中国")
    + list("&;<>\"'*^:()-+#")
    + ["\u0301", "\u00a0", "AND", "OR", "NOT", "NEAR"]
)
TEXT = st.lists(ALPHABET, max_size=30).map("".join)


@st.composite
def corpus_and_query(draw):
    stories = draw(
        st.lists(st.tuples(TEXT, TEXT, TEXT, st.lists(TEXT, max_size=2)), min_size=1, max_size=3)
    )
    # Half the time a piece of the stories' own text, so that there are matches.
    pieces = [part for story in stories for part in (*story[:3], *story[3])]
    own = st.sampled_from(pieces).flatmap(
        lambda text: st.tuples(st.integers(0, len(text)), st.integers(0, len(text))).map(
            lambda span: text[min(span) : max(span)]
        )
    )
    query = draw(st.one_of(own, TEXT, st.lists(own, min_size=2, max_size=3).map(" ".join)))
    return stories, query


@sqlite_only
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(corpus_and_query())
@example(([("Ferry", "", "<p>bridge</p>", ["Ana"])], "ferry bridge ana"))
@example(([("x", "ΣΑΣ", "", [])], "σας"))
@example(([("x", "", "<p>a &amp; b</p>", [])], "a & b"))
@example(([("x", "", "<p>&lt;em&gt;</p>", [])], "<em>"))
def test_generated_stories_and_queries_find_the_same_with_the_index(data):
    stories, query = data
    with transaction.atomic():
        for i, (headline, deck, text, names) in enumerate(stories):
            # The body goes through the sanitiser, as every write does.
            story = PublishedArticleFactory(
                headline=f"Story {i} {headline}", deck=deck, body=f"<p>{text}</p>"
            )
            for name in names:
                ContributionFactory(article=story, person__name=f"P {name}")
        assert_same_results(query)
        transaction.set_rollback(True)


def test_fts_query_quotes_every_term():
    assert search.fts_query(["ferry", 'say "no"', "AND"]) == '"ferry" AND "say ""no""" AND "AND"'


@sqlite_only
@pytest.mark.parametrize(
    "term", ['"', 'a"b', "AND", "OR", "NOT", "NEAR", "NEAR(a b)", "*", "^ab", "col:ab", "(ab)"]
)
def test_fts_syntax_in_a_term_is_text(term):
    PublishedArticleFactory(headline=f"xx {term} yy")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {search.SEARCH_INDEX} WHERE {search.SEARCH_INDEX} MATCH %s",  # noqa: S608
            [search.fts_query([search.fold(f"x {term} y")])],
        )
        assert cursor.fetchone() == (1,)


@sqlite_only
def test_short_words_are_matched_without_the_index():
    story = PublishedArticleFactory(headline="Ox cart", body="<p>an ox</p>")
    assert assert_same_results("ox") == [story.pk]
    assert assert_same_results("ox cart") == [story.pk]


@sqlite_only
def test_search_reads_the_fts5_index():
    PublishedArticleFactory(headline="Ferry returns")
    plan = search.search("ferry").explain()
    assert "VIRTUAL TABLE INDEX" in plan and search.SEARCH_INDEX in plan, plan


@sqlite_only
def test_without_fts5_search_scans_and_saves_skip_the_index():
    with without_index():
        story = PublishedArticleFactory(headline="Ferry returns")
        with CaptureQueriesContext(connection) as queries:
            assert results("ferry") == [story.pk]
        assert "MATCH" not in queries[0]["sql"]
    assert story.pk not in index_rows()


# --- Kept current ------------------------------------------------------------------------------


@sqlite_only
def test_the_index_holds_the_text_the_predicates_read():
    story = PublishedArticleFactory(
        headline="École NEWS", deck="Ἀθῆναι", body='<p>Fish &amp; <a href="/x">chips</a></p>'
    )
    ContributionFactory(article=story, person__name="Ana LIMA")
    CreditFactory(article=story, person__name="Ben ITO")
    headline, deck, body, names = index_rows()[story.pk]
    assert (headline, deck) == ("école news", "ἀθῆναι")
    assert body == search.fold(search.html_text(Article.objects.get(pk=story.pk).body))
    assert body.split() == ["fish", "&", "chips"]
    assert sorted(names.split("\n")) == ["ana lima", "ben ito"]


@sqlite_only
def test_edits_renames_and_deletions_keep_the_index_current():
    story = PublishedArticleFactory(headline="Ferry returns")
    story.headline = "Hovercraft returns"
    story.save()
    assert results("hovercraft") == [story.pk] and results("ferry") == []

    byline = ContributionFactory(article=story, person__name="Ines Quarshie")
    assert results("quarshie") == [story.pk]
    person = byline.person
    person.name = "Ines Quartey"
    person.save()
    assert results("quartey") == [story.pk] and results("quarshie") == []
    byline.delete()
    assert results("quartey") == []

    Contribution.objects.create(article=story, person=person, kind="byline")
    assert results("quartey") == [story.pk]
    story.delete()  # its contributions go with it
    assert results("quartey") == [] and index_rows() == {}


@sqlite_only
def test_bulk_deletion_removes_every_row():
    PublishedArticleFactory.create_batch(3, headline="Ferry returns")
    Article.objects.all().delete()
    assert index_rows() == {}


@sqlite_only
def test_a_rolled_back_save_leaves_the_index_as_it_was():
    story = PublishedArticleFactory(headline="Ferry returns")
    with transaction.atomic():
        story.headline = "Hovercraft returns"
        story.save()
        assert results("hovercraft") == [story.pk]  # found inside its own transaction
        transaction.set_rollback(True)
    assert results("ferry") == [story.pk] and results("hovercraft") == []


@sqlite_only
def test_a_loaded_fixture_is_indexed():
    call_command("loaddata", "sample_story", verbosity=0)
    story = Article.objects.get()
    assert results("general offices") == [story.pk]
    assert results("cao desheng") == [story.pk]


@sqlite_only
def test_a_failed_index_update_is_logged_and_the_story_kept(monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise search.DatabaseError("disk I/O error")

    monkeypatch.setattr(search, "update_sqlite_index", broken)
    story = PublishedArticleFactory(headline="Ferry returns")
    assert Article.objects.filter(pk=story.pk).exists()
    assert "Could not update the search index" in caplog.text


@sqlite_only
def test_renaming_nobody_touches_no_story():
    person = PersonFactory(name="Ana Lima")
    ContributionFactory(article=PublishedArticleFactory(), person=person)
    with CaptureQueriesContext(connection) as queries:
        person.bio = "Covers the harbour."
        person.save()
    assert not [q for q in queries if search.SEARCH_INDEX in q["sql"]]


# --- The migration -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_migration_fills_the_index_and_reverses(client):
    story = PublishedArticleFactory(headline="Lighthouse keeper retires")
    ContributionFactory(article=story, person__name="Mara Quay")
    if connection.vendor != "sqlite":
        # Nothing on PostgreSQL, whichever way.
        call_command("migrate", "articles", "0008", verbosity=0)
        call_command("migrate", "articles", verbosity=0)
        assert search.SEARCH_INDEX not in connection.introspection.table_names()
        return
    try:
        call_command("migrate", "articles", "0008", verbosity=0)
        assert search.SEARCH_INDEX not in connection.introspection.table_names()
        # post_migrate notes it on the migrating connection; ask again in case the test
        # runner handed this test another connection object.
        assert not search.check_sqlite_index(connection)
        assert results("lighthouse") == [story.pk]  # scanning, as before
        # Made while the table is gone: only the migration can index it.
        later = PublishedArticleFactory(headline="Lighthouse lamp")
    finally:
        call_command("migrate", "articles", verbosity=0)
    assert search.check_sqlite_index(connection)
    assert set(index_rows()) == {story.pk, later.pk}
    # The migration's own copy of the folding writes what the app's update writes.
    migrated = index_rows()
    search.update_search_vector()
    assert index_rows() == migrated
    assert assert_same_results("lighthouse") == [later.pk, story.pk]
    assert assert_same_results("mara quay") == [story.pk]


@sqlite_only
def test_migrate_and_flush_note_the_index_and_drop_vanished_stories():
    story = PublishedArticleFactory(headline="Ferry returns")
    with connection.cursor() as cursor:
        # Deleted without signals, as flush and SQL by hand do.
        cursor.execute(f"DELETE FROM {Article._meta.db_table} WHERE id = %s", [story.pk])  # noqa: S608
    connection.newsroom_search_index = False
    call_command("migrate", verbosity=0)  # nothing to apply; post_migrate still runs
    assert search.sqlite_index_ready(connection)
    assert index_rows() == {}


def test_a_database_whose_sqlite_lacks_fts5_is_not_searched_through_the_index(tmp_path):
    """A file made where FTS5 exists, opened where it does not: search must scan, not fail."""
    path = tmp_path / "copied.sqlite3"
    with closing(sqlite3.connect(path)) as made:
        made.execute(
            f"CREATE VIRTUAL TABLE {search.SEARCH_INDEX} USING fts5(a, tokenize = 'trigram')"
        )
        # What a build without the module sees: a table of a module it does not know.
        made.execute("PRAGMA writable_schema = ON")
        made.execute("UPDATE sqlite_master SET sql = replace(sql, 'fts5', 'nofts5')")
        made.commit()
    wrapper = SimpleNamespace(vendor="sqlite")
    with closing(sqlite3.connect(path)) as opened:
        assert search.check_sqlite_index(wrapper, opened) is False
    assert search.sqlite_index_ready(wrapper) is False
    with closing(sqlite3.connect(tmp_path / "empty.sqlite3")) as empty:
        assert search.check_sqlite_index(wrapper, empty) is False
