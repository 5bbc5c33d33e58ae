"""Reader search over published stories: the query, the ranking, the snippets, the index.

One contract on both databases: ``search(text)`` returns a queryset of published stories, best
match first (ties: newest first), with the bylines a result prints; ``hits(page, text)`` pairs
each story of a page with a snippet of safe HTML in which the matched words are in ``<mark>``.

PostgreSQL ranks a weighted full-text document (``Article.search_vector``: headline A, deck and
people's names B, body C) against a ``websearch_to_tsquery`` of the reader's words, which accepts
quotes, ``or`` and ``-word`` and never rejects odd input; the GIN index
``article_search_vector_gin`` serves the match. ``update_search_vector()`` keeps the document;
``articles.signals`` calls it after commit and ``manage.py rebuild_search_index`` rebuilds all.
The text configuration is ``settings.NEWSROOM_SEARCH_CONFIG`` ("english" by default: English
stemming and stop words). Its parser splits words at spaces and punctuation, so a run of Chinese
characters is one word: 习近平 finds "习近平" standing alone, not inside "习近平主席".

SQLite, for local work and tests, has no full-text index: every word of the query must appear
(as a substring, case-insensitively, HTML tags ignored) in the headline, deck, body or a
contributor's name; a word in the headline counts more than one in the deck or names, which
counts more than one in the body. Two SQL functions registered on each SQLite connection
(``register_sqlite_functions``) fold case beyond ASCII, which SQLite's LIKE does not, and read
the body's text without its tags and entities.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
)
from django.db import connections, models, transaction
from django.db.models import Case, Exists, F, Func, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Concat, Replace
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from .models import Article, ArticleQuerySet, Contribution

# Longer queries are cut to this many characters (the page says so).
MAX_QUERY_LENGTH = 200
# SQLite matches word by word; more words than this are ignored (the first ones count).
MAX_TERMS = 16
PAGE_SIZE = 20
# Characters of text a SQLite snippet shows around the first match.
SNIPPET_LENGTH = 240

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
    """Published stories matching ``text`` (already cleaned), best first, ready to list."""
    # The stored document can be long and the page never prints it.
    articles = Article.objects.published().for_listing().defer("search_vector")
    if connections[articles.db].vendor == "postgresql":
        return _search_postgresql(articles, text)
    return _search_sqlite(articles, query_terms(text))


@dataclass(frozen=True)
class Hit:
    article: Article
    snippet: SafeString


def hits(articles: Iterable[Article], text: str) -> list[Hit]:
    """Each story of a page of ``search(text)`` with its snippet."""
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

    Returns the number of stories updated; does nothing on databases other than PostgreSQL.
    """
    if connections[using].vendor != "postgresql":
        return 0
    articles = Article.objects.using(using)
    if article_ids is not None:
        articles = articles.filter(pk__in=article_ids)
    return articles.update(search_vector=search_document(search_config()))


def _search_postgresql(articles: ArticleQuerySet, text: str) -> ArticleQuerySet:
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
    return (
        articles.filter(search_vector=query)
        .annotate(
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
        )
        .order_by("-search_rank", "-published_at", "-pk")
    )


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


def _search_sqlite(articles: ArticleQuerySet, terms: list[str]) -> ArticleQuerySet:
    if not terms:
        return articles.none()
    articles = articles.alias(
        headline_folded=Folded("headline"),
        deck_folded=Folded("deck"),
        body_folded=FoldedHTML("body"),
    )
    rank = Value(0)
    for term in terms:
        in_names = Exists(
            Contribution.objects.filter(article=OuterRef("pk"))
            .alias(name_folded=Folded("person__name"))
            .filter(name_folded__contains=term)
        )
        in_headline = Q(headline_folded__contains=term)
        in_deck_or_names = Q(deck_folded__contains=term) | Q(in_names)
        articles = articles.filter(in_headline | in_deck_or_names | Q(body_folded__contains=term))
        rank += Case(
            When(in_headline, then=Value(4)),
            When(in_deck_or_names, then=Value(2)),
            default=Value(1),
        )
    return articles.alias(search_rank=rank).order_by("-search_rank", "-published_at", "-pk")


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


# --- Keeping the PostgreSQL document after commit -----------------------------------------

_pending = threading.local()


def schedule_update(
    using: str, *, articles: Iterable[int] = (), people: Iterable[int] = ()
) -> None:
    """Rebuild the documents of these stories, and of these people's stories, after commit.

    Requests gather in a set per connection; the first commit callback runs one UPDATE for
    all of them (the others find the set empty), so a fixture load of many stories costs one
    statement. After a rollback the set simply waits for the next commit.
    """
    if connections[using].vendor != "postgresql":
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
