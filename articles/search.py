"""Reader search over published stories: the query, the ranking, the snippets, the index.

One contract on both databases: ``search(text)`` returns a queryset of published stories, best
match first (ties: newest first), with the bylines a result prints; ``results(text)`` is what
the results page lists of them (below); ``hits(page, text)`` pairs each story of a page with a
snippet of safe HTML in which the matched words are in ``<mark>``.

PostgreSQL ranks a weighted full-text document (``Article.search_vector``: headline A, deck and
people's names B, body C) against a ``websearch_to_tsquery`` of the reader's words, which accepts
quotes, ``or`` and ``-word`` and never rejects odd input; the GIN index
``article_search_vector_gin`` serves the match. ``update_search_vector()`` keeps the document;
``articles.signals`` calls it after commit and ``manage.py rebuild_search_index`` rebuilds all.
The text configuration is ``settings.NEWSROOM_SEARCH_CONFIG`` ("english" by default: English
stemming and stop words). Its parser splits words at spaces and punctuation, so a run of Chinese
characters is one word: 习近平 finds "习近平" standing alone, not inside "习近平主席".

The results page lists ``results(text)``: the same ranking over every match when a query matches
at most ``RANK_ALL_UP_TO`` (1,000) published stories, and when it matches more, over the newest
``RANKED_NEWEST`` (200, ten pages) of them only; the page then says "More than 1,000 stories
found; these are the best matches among the newest 200" and that more words narrow the search
and reach older stories. Ranking reads every candidate's whole document, and the page counted
every match: on PostgreSQL with 100,000 stories a word in 12% of them took about 200 ms, one in
95% over a second. Now one query counts matches up to 1,001 (the GIN index and at most that
many rows), a second, only when there are more, takes the newest 200 (for a common word a walk
down the listing index, testing stories newest first until it has them), and the page ranks
those. For a newsroom recency is the first relevance when a word is everywhere; a rarer word,
a phrase or more words are still ranked over all their matches, as before. Both databases
follow the same rule.

SQLite, for local work, tests and small sites, matches word by word: every word of the query
must appear (as a substring, case-insensitively, HTML tags ignored) in the headline, deck, body
or a contributor's name; a word in the headline counts more than one in the deck or names,
which counts more than one in the body. Two SQL functions registered on each SQLite connection
(``register_sqlite_functions``) fold case beyond ASCII, which SQLite's LIKE does not, and read
the body's text without its tags and entities. Those exact predicates and that ranking decide
the results.

Checking them on every published story costs a scan (about 170 ms of SQL on 10,000 stories), so an
FTS5 table with the ``trigram`` tokenizer, ``articles_search_index`` (migration 0009), holds per
story the very text the predicates read: folded headline, deck, body text and contributors'
names. It only narrows the candidates: ``pk IN (SELECT rowid … MATCH …)`` with each query word
of ``MIN_INDEXED_LENGTH`` (3) characters or more as a quoted phrase (trigrams cannot match
shorter ones, which stay LIKE-only), and the exact predicates run on what is left. A word that
is a substring of a field is a run of that field's trigrams, so the prefilter keeps every true
match and the results are the same as without it. The table is ``case_sensitive 1``: the text
and the words are already folded by the same Python ``str.lower`` as the predicates', so FTS5's
own Unicode folding (which differs from Python's: it folds final sigma to sigma, for one) never
applies; the trigram tokenizer of SQLite 3.40 has no ``remove_diacritics``, nor is one wanted.
On the 10,000-story database a rare word now costs about 7 ms of SQL, and a word in 30% of the
stories about 70 ms (the exact predicates still read every candidate); words of one or two
characters alone still scan.

The SQLite index is kept at once, inside the saving transaction (a rollback takes it back too),
by the same signals and command as PostgreSQL's document; stories written without signals
(``bulk_create``, ``QuerySet.update()``, SQL by hand) need ``rebuild_search_index``, as on
PostgreSQL. A SQLite build without FTS5 or the trigram tokenizer (before 3.34) gets no table
from the migration, and search then scans every story as it did before: slower, same results.
Whether the table is there is looked up when a connection opens (outside the query budget) and
after ``migrate``; a long-lived connection of another process keeps what it saw until it
reconnects (SQLite's connections last one request unless ``DATABASE_CONN_MAX_AGE`` says more).
"""

from __future__ import annotations

import html
import logging
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
)
from django.db import DatabaseError, connections, models, transaction
from django.db.models import Case, Exists, F, Func, OuterRef, Q, Subquery, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat, Replace
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from people.models import Person

from .models import Article, ArticleQuerySet, Contribution

logger = logging.getLogger(__name__)

# Longer queries are cut to this many characters (the page says so).
MAX_QUERY_LENGTH = 200
# SQLite matches word by word; more words than this are ignored (the first ones count).
MAX_TERMS = 16
PAGE_SIZE = 20
# The results page ranks every story a query matches when they are at most RANK_ALL_UP_TO;
# when more match, only the newest RANKED_NEWEST (ten pages), and the page says so.
RANK_ALL_UP_TO = 1000
RANKED_NEWEST = 200
# Characters of text a SQLite snippet shows around the first match.
SNIPPET_LENGTH = 240
# SQLite's FTS5 prefilter (created by migration 0009): trigrams, so only words this long
# can be looked up in it.
SEARCH_INDEX = "articles_search_index"
MIN_INDEXED_LENGTH = 3
# Stories per statement when the SQLite index is rewritten (SQLite's bound-parameter limit).
INDEX_BATCH = 500

# Markers for matches inside snippets. Private-use characters: never in a query (cleaning
# drops them) and removed from the text first, so every one left is a marker; the text is
# escaped before they turn into <mark> tags.
START, STOP = "\ue000", "\ue001"
MARKED = re.compile(f"{START}(.*?){STOP}", re.DOTALL)

# A tag of the sanitised body (attribute values are double-quoted and may contain ">").
TAG_PATTERN = r'<(?:[^>"]|"[^"]*")*>'
TAG = re.compile(TAG_PATTERN)

WORD = re.compile(r"\w+")


def search_config() -> str:
    """The PostgreSQL text search configuration of the document and the queries."""
    return getattr(settings, "NEWSROOM_SEARCH_CONFIG", "english")


def clean_query(raw: str) -> tuple[str, bool]:
    """The reader's query made safe to run, and whether it had to be shortened.

    Control, format and private-use characters (NUL among them, which PostgreSQL refuses in
    text) become spaces, runs of spaces one space, and the result is cut to
    ``MAX_QUERY_LENGTH`` characters, at a space when there is one.
    """
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in raw).split())
    if len(text) <= MAX_QUERY_LENGTH:
        return text, False
    cut = text[: MAX_QUERY_LENGTH + 1]
    if " " in cut:
        # Whole words only: a clipped last word would have to match too.
        cut = cut[: cut.rindex(" ")]
    return cut[:MAX_QUERY_LENGTH].rstrip(), True


def query_terms(text: str) -> list[str]:
    """The distinct words of a query, lowercased, in order: quotes and operators dropped."""
    terms = dict.fromkeys(word.lower() for word in WORD.findall(text))
    return list(terms)[:MAX_TERMS]


def search(text: str) -> ArticleQuerySet:
    """Every published story matching ``text`` (already cleaned), best first, ready to list.

    The ranking itself, over all matches in one statement. The results page lists
    ``results(text)``: the same, bounded when very many stories match.
    """
    found = _Matching.of(text)
    return found.ranked(found.matches)


class Results:
    """The stories the results page lists for a query, best first, as its paginator reads them.

    ``len()`` is how many (no query); a slice is a page of ``stories``, the queryset of them
    all, ranked, with what a result prints. ``more``: more than ``RANK_ALL_UP_TO`` stories
    matched, so these are only the newest ``RANKED_NEWEST``. ``Results()``: nothing found.
    """

    def __init__(
        self, found: _Matching | None = None, ids: Iterable[int] = (), *, more: bool = False
    ):
        self._found = found
        self._ids = list(ids)
        self.more = more

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def stories(self) -> ArticleQuerySet:
        """All of them, ranked, with what a result prints."""
        if not self._ids:
            return Article.objects.none()
        if not self.more:
            # Every match: matching again is cheaper than looking up a thousand keys.
            return self._found.ranked(self._found.matches)
        return self._found.ranked(self._found.articles.filter(pk__in=self._ids))

    def __getitem__(self, page: slice) -> ArticleQuerySet:
        """Some of them: a page."""
        return self.stories[page]

    def __iter__(self) -> Iterator[Article]:
        return iter(self.stories)


def results(text: str) -> Results:
    """``search(text)``, or, when more than ``RANK_ALL_UP_TO`` stories match, the newest
    ``RANKED_NEWEST`` of them in the same order.

    One query asks for up to ``RANK_ALL_UP_TO + 1`` matches in no order (the GIN index and at
    most that many rows): when no more come back, their number is the count and a page's query
    ranks every match, as ``search()`` does. Otherwise a second query takes the keys of the
    newest ``RANKED_NEWEST`` matches (for a common word, a walk down the listing index that
    stops once it has them), and a page's query ranks those stories only.
    """
    found = _Matching.of(text)
    ids = list(found.matches.order_by().values_list("pk", flat=True)[: RANK_ALL_UP_TO + 1])
    more = len(ids) > RANK_ALL_UP_TO
    if more:
        newest = found.matches.order_by("-published_at", "-pk").values_list("pk", flat=True)
        ids = list(newest[:RANKED_NEWEST])
    return Results(found, ids, more=more)


@dataclass(frozen=True)
class _Matching:
    """A query, as both databases search: ``articles``, every published story ready to list;
    ``matches``, those matching the query; ``ranked``, which orders stories taken from
    ``articles`` best match first (ties: newest first).
    """

    articles: ArticleQuerySet
    matches: ArticleQuerySet
    ranked: Callable[[ArticleQuerySet], ArticleQuerySet]

    @classmethod
    def of(cls, text: str) -> _Matching:
        # The stored document can be long and the page never prints it.
        articles = Article.objects.published().for_listing().defer("search_vector")
        if connections[articles.db].vendor == "postgresql":
            return cls(articles, *_search_postgresql(articles, text))
        return cls(articles, *_search_sqlite(articles, query_terms(text)))


@dataclass(frozen=True)
class Hit:
    article: Article
    snippet: SafeString


def hits(articles: Iterable[Article], text: str) -> list[Hit]:
    """Each story of a page of ``search(text)`` or ``results(text)`` with its snippet."""
    terms = query_terms(text)
    return [
        Hit(
            article,
            _marked_html(article.search_snippet, unescape=True)
            if hasattr(article, "search_snippet")
            else _python_snippet(_plain_text(article), terms),
        )
        for article in articles
    ]


# --- PostgreSQL ----------------------------------------------------------------------------


def _text_of_html(expression) -> Func:
    """SQL for the text of sanitised HTML: tags out, entities kept.

    PostgreSQL's parser skips entities, as it would the tags, whereas decoded "<" and ">"
    could make text look like a tag, which ts_headline drops.
    """
    return Func(
        expression,
        Value(TAG_PATTERN),
        Value(" "),
        Value("g"),
        function="regexp_replace",
        output_field=models.TextField(),
    )


def _escaped(expression) -> Replace:
    """SQL for plain text written as HTML text, to sit beside the body's."""
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        expression = Replace(
            expression, Value(char), Value(entity), output_field=models.TextField()
        )
    return expression


def search_document(config: str) -> SearchVector:
    """The weighted document of a story, as an expression over its row."""
    names = (
        Contribution.objects.filter(article=OuterRef("pk"))
        .order_by()
        .values("article")
        .annotate(names=StringAgg("person__name", delimiter=" "))
        .values("names")
    )
    return (
        SearchVector("headline", config=config, weight="A")
        + SearchVector("deck", config=config, weight="B")
        + SearchVector(Subquery(names), config=config, weight="B")
        + SearchVector(_text_of_html(F("body")), config=config, weight="C")
    )


def update_search_vector(
    article_ids: Iterable[int] | models.QuerySet | None = None, *, using: str = "default"
) -> int:
    """Rebuild the search document of these stories (all when None) in one UPDATE.

    Returns the number of stories updated. On SQLite it rewrites their rows of the FTS5
    prefilter instead (``update_sqlite_index``); elsewhere it does nothing.
    """
    if connections[using].vendor == "sqlite":
        if isinstance(article_ids, models.QuerySet):
            article_ids = Article.objects.using(using).filter(pk__in=article_ids)
            article_ids = article_ids.values_list("pk", flat=True)
        return update_sqlite_index(None if article_ids is None else list(article_ids), using=using)
    if connections[using].vendor != "postgresql":
        return 0
    articles = Article.objects.using(using)
    if article_ids is not None:
        articles = articles.filter(pk__in=article_ids)
    return articles.update(search_vector=search_document(search_config()))


def _search_postgresql(
    articles: ArticleQuerySet, text: str
) -> tuple[ArticleQuerySet, Callable[[ArticleQuerySet], ArticleQuerySet]]:
    """The stories matching ``text``, and how to rank some of them (``_Matching``)."""
    config = search_config()
    query = SearchQuery(text, search_type="websearch", config=config)
    snippet_source = Func(
        Concat(
            _escaped(F("deck")),
            Value(" "),
            _text_of_html(F("body")),
            output_field=models.TextField(),
        ),
        Value(START + STOP),
        Value(""),
        function="translate",
        output_field=models.TextField(),
    )

    def ranked(stories: ArticleQuerySet) -> ArticleQuerySet:
        return stories.annotate(
            # ts_rank reads each story's whole document: the reason for RANKED_NEWEST.
            search_rank=SearchRank(F("search_vector"), query),
            # Computed for the page's rows only: PostgreSQL evaluates costly output
            # expressions after ORDER BY ... LIMIT.
            search_snippet=SearchHeadline(
                snippet_source,
                query,
                config=config,
                start_sel=START,
                stop_sel=STOP,
                max_fragments=2,
                max_words=30,
                min_words=12,
                fragment_delimiter=" … ",
            ),
        ).order_by("-search_rank", "-published_at", "-pk")

    return articles.filter(search_vector=query), ranked


def _marked_html(text: str, *, unescape: bool = False) -> SafeString:
    """Escape ``text`` and turn its START…STOP spans into <mark> elements.

    ``unescape``: ``text`` is HTML text (entities for "&", "<", ">"), decoded first so that
    each character is escaped exactly once.
    """
    parts = (
        [html.unescape(part) for part in MARKED.split(text)] if unescape else MARKED.split(text)
    )
    plain = [part.replace(START, "").replace(STOP, "") for part in parts[0::2]]
    marked = parts[1::2]
    return format_html(
        "{}{}",
        format_html_join("", "{}<mark>{}</mark>", zip(plain, marked, strict=False)),
        plain[-1],
    )


# --- SQLite --------------------------------------------------------------------------------


def fold(value: str | None) -> str:
    """Text as SQLite search compares it: lowercased beyond ASCII."""
    return value.lower() if value else ""


def html_text(value: str | None) -> str:
    """The words of sanitised HTML, without tags and entities."""
    return html.unescape(TAG.sub(" ", value)) if value else ""


def register_sqlite_functions(dbapi_connection) -> None:
    """Give a SQLite connection the functions its search queries call."""
    dbapi_connection.create_function("newsroom_fold", 1, fold, deterministic=True)
    dbapi_connection.create_function(
        "newsroom_fold_html", 1, lambda value: fold(html_text(value)), deterministic=True
    )


class Folded(Func):
    function = "newsroom_fold"
    output_field = models.TextField()


class FoldedHTML(Func):
    function = "newsroom_fold_html"
    output_field = models.TextField()


def sqlite_index_ready(connection) -> bool:
    """Whether this SQLite connection's database has the FTS5 prefilter (no query).

    ``check_sqlite_index`` notes it when the connection opens and after ``migrate``/``flush``.
    """
    return getattr(connection, "newsroom_search_index", False)


def check_sqlite_index(connection, dbapi_connection=None) -> bool:
    """Look up (and note on ``connection``) whether the FTS5 prefilter can be used.

    Both the table and the FTS5 module must be there: a database copied from a build with
    FTS5 to one without it keeps the table but could not read it, so the check reads it
    (no row: preparing the statement is what fails). Runs on the DB-API connection, so it is
    not one of a page's counted queries.
    """
    raw = dbapi_connection or connection.connection
    ready = False
    if connection.vendor == "sqlite" and raw is not None:
        try:
            raw.execute(f'SELECT rowid FROM "{SEARCH_INDEX}" LIMIT 0')  # noqa: S608 (a constant)
            ready = True
        except sqlite3.Error:  # "no such table", "no such module: fts5"
            ready = False
    connection.newsroom_search_index = ready
    return ready


def _index_select_sql() -> str:
    """SELECT of each story's row of the prefilter (alias ``a``): the text the LIKE predicates
    read, through the same SQL functions. Names are joined by a newline; a match across two
    names only widens the prefilter.
    """
    return f"""
        SELECT a.id, newsroom_fold(a.headline), newsroom_fold(a.deck),
               newsroom_fold_html(a.body),
               (SELECT group_concat(newsroom_fold(p.name), char(10))
                FROM {Contribution._meta.db_table} c
                JOIN {Person._meta.db_table} p ON p.id = c.person_id
                WHERE c.article_id = a.id)
        FROM {Article._meta.db_table} a
    """  # noqa: S608 (table names from the models; no outside text)


def update_sqlite_index(article_ids: list[int] | None = None, *, using: str = "default") -> int:
    """Rewrite the FTS5 rows of these stories (all when None) from their stored text.

    A story that no longer exists loses its row, so deletions go through here too. Returns
    the number of rows written; 0 without the index (no FTS5: search scans instead).
    """
    connection = connections[using]
    if not sqlite_index_ready(connection):
        return 0
    insert = f'INSERT INTO "{SEARCH_INDEX}" (rowid, headline, deck, body, names) '
    written = 0
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if article_ids is None:
            cursor.execute(f'DELETE FROM "{SEARCH_INDEX}"')  # noqa: S608 (a constant)
            cursor.execute(insert + _index_select_sql())
            return cursor.rowcount
        ids = sorted(set(article_ids))
        for start in range(0, len(ids), INDEX_BATCH):
            batch = ids[start : start + INDEX_BATCH]
            marks = ", ".join(["%s"] * len(batch))
            cursor.execute(
                f'DELETE FROM "{SEARCH_INDEX}" WHERE rowid IN ({marks})',  # noqa: S608 (ids bound)
                batch,
            )
            cursor.execute(
                f"{insert}{_index_select_sql()} WHERE a.id IN ({marks})",
                batch,
            )
            written += cursor.rowcount
    return written


def drop_orphans_from_sqlite_index(using: str = "default") -> None:
    """Remove the rows of stories deleted without signals (``flush``, SQL by hand).

    Such a row never hides a story, but its id may be given to a new story.
    """
    if sqlite_index_ready(connections[using]):
        with connections[using].cursor() as cursor:
            cursor.execute(
                f'DELETE FROM "{SEARCH_INDEX}" WHERE rowid NOT IN '  # noqa: S608 (constants)
                f"(SELECT id FROM {Article._meta.db_table})"
            )


def fts_query(terms: Iterable[str]) -> str:
    """An FTS5 query requiring every term as a phrase: quoted, so nothing is an operator.

    Inside double quotes FTS5 reads ``AND``, ``NEAR``, ``*``, ``^``, ``:`` and parentheses
    as text; a double quote is written twice.
    """
    return " AND ".join('"' + term.replace('"', '""') + '"' for term in terms)


def _search_sqlite(
    articles: ArticleQuerySet, terms: list[str]
) -> tuple[ArticleQuerySet, Callable[[ArticleQuerySet], ArticleQuerySet]]:
    """The stories matching every term, and how to rank some of them (``_Matching``)."""
    folded = {
        "headline_folded": Folded("headline"),
        "deck_folded": Folded("deck"),
        "body_folded": FoldedHTML("body"),
    }
    matches = articles.none() if not terms else articles
    indexed = [term for term in terms if len(term) >= MIN_INDEXED_LENGTH]
    if indexed and sqlite_index_ready(connections[articles.db]):
        # Only narrows: the exact predicates below still decide, and rank.
        matches = matches.filter(
            # The reader's words are a bound parameter, quoted for FTS5 by fts_query.
            pk__in=RawSQL(  # noqa: S611
                f'SELECT rowid FROM "{SEARCH_INDEX}" WHERE "{SEARCH_INDEX}" MATCH %s',  # noqa: S608
                (fts_query(indexed),),
            )
        )
    matches = matches.alias(**folded)
    rank = Value(0)
    for term in terms:
        in_names = Exists(
            Contribution.objects.filter(article=OuterRef("pk"))
            .alias(name_folded=Folded("person__name"))
            .filter(name_folded__contains=term)
        )
        in_headline = Q(headline_folded__contains=term)
        in_deck_or_names = Q(deck_folded__contains=term) | Q(in_names)
        matches = matches.filter(in_headline | in_deck_or_names | Q(body_folded__contains=term))
        rank += Case(
            When(in_headline, then=Value(4)),
            When(in_deck_or_names, then=Value(2)),
            default=Value(1),
        )

    def ranked(stories: ArticleQuerySet) -> ArticleQuerySet:
        return (
            stories.alias(**folded)
            .alias(search_rank=rank)
            .order_by("-search_rank", "-published_at", "-pk")
        )

    return matches, ranked


def _plain_text(article: Article) -> str:
    text = f"{article.deck} {html_text(article.body)}"
    return " ".join(text.replace(START, "").replace(STOP, "").split())


def _python_snippet(text: str, terms: list[str]) -> SafeString:
    """About SNIPPET_LENGTH characters of ``text`` from near its first match, matches marked."""
    pattern = (
        re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.I)
        if terms
        else None
    )
    first = pattern.search(text) if pattern else None
    start = 0
    if first and first.start() > SNIPPET_LENGTH // 3:
        # Begin at a word a little before the match, so it reads in context.
        start = text.rfind(" ", 0, first.start() - SNIPPET_LENGTH // 3) + 1
    end = len(text)
    if end - start > SNIPPET_LENGTH:
        cut = text.find(" ", start + SNIPPET_LENGTH)
        end = cut if cut != -1 else end
    window = text[start:end]
    if pattern:
        window = pattern.sub(lambda m: f"{START}{m.group(0)}{STOP}", window)
    return _marked_html(f"{'… ' if start else ''}{window}{' …' if end < len(text) else ''}")


# --- Keeping the PostgreSQL document after commit, and SQLite's index at once ---------------

_pending = threading.local()


def schedule_update(
    using: str, *, articles: Iterable[int] = (), people: Iterable[int] = ()
) -> None:
    """Rebuild the documents of these stories, and of these people's stories, after commit.

    Requests gather in a set per connection; the first commit callback runs one UPDATE for
    all of them (the others find the set empty), so a fixture load of many stories costs one
    statement. After a rollback the set simply waits for the next commit.

    SQLite's index is rewritten now instead, in the caller's transaction: SQLite has one
    writer, so nothing is gained by waiting, and a story is found exactly when its row is
    visible, inside its own transaction too, as the scan found it.
    """
    connection = connections[using]
    if connection.vendor == "sqlite":
        if sqlite_index_ready(connection):
            _update_sqlite_now(using, set(articles), set(people))
        return
    if connection.vendor != "postgresql":
        return
    pending = _pending_for(using)
    pending["articles"].update(articles)
    pending["people"].update(people)
    # robust: the story is saved either way; a failed index update is logged, and
    # rebuild_search_index repairs it.
    transaction.on_commit(lambda: _flush(using), using=using, robust=True)


def _pending_for(using: str) -> dict[str, set[int]]:
    if not hasattr(_pending, "by_alias"):
        _pending.by_alias = {}
    return _pending.by_alias.setdefault(using, {"articles": set(), "people": set()})


def _flush(using: str) -> None:
    pending = _pending_for(using)
    articles, people = set(pending["articles"]), set(pending["people"])
    pending["articles"].clear()
    pending["people"].clear()
    if not articles and not people:
        return
    ids = Article.objects.using(using).filter(
        Q(pk__in=articles)
        | Q(pk__in=Contribution.objects.filter(person__in=people).values("article"))
    )
    update_search_vector(ids.values("pk"), using=using)


def remove_from_index(using: str, article_ids: Iterable[int]) -> None:
    """Drop deleted stories from SQLite's index (PostgreSQL's document goes with the row)."""
    connection = connections[using]
    if connection.vendor == "sqlite" and sqlite_index_ready(connection):
        _update_sqlite_now(using, set(article_ids), set())


def keeps_index(using: str) -> bool:
    """Whether saves on this database maintain a search index (PostgreSQL, SQLite with FTS5)."""
    connection = connections[using]
    return connection.vendor == "postgresql" or (
        connection.vendor == "sqlite" and sqlite_index_ready(connection)
    )


def _update_sqlite_now(using: str, articles: set[int], people: set[int]) -> None:
    if people:
        articles |= set(
            Contribution.objects.using(using)
            .filter(person__in=people)
            .values_list("article_id", flat=True)
        )
    if not articles:
        return
    try:
        update_sqlite_index(sorted(articles), using=using)
    except DatabaseError:
        # As on PostgreSQL: the story is saved either way (the index's savepoint is rolled
        # back); rebuild_search_index repairs the index.
        logger.exception("Could not update the search index of stories %s.", sorted(articles))
