"""Prepared queries (newsroom.prepared): compiled once, run with new values, the same rows as
the queryset they were built from; refused where they could not be faithful.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.db.models.sql.compiler import SQLCompiler

from articles.models import Article, Contribution
from articles.tests.factories import (
    ArticleFactory,
    ContributionFactory,
    PublishedArticleFactory,
    SectionFactory,
)
from newsroom.prepared import PreparedPrefetch, PreparedQuery, PreparedQueryError, attach_related

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 3, 10, 4, 0, tzinfo=UTC)


def visible_with(slug, now, ids):
    story = Q(slug=slug)
    return (
        Article.objects.published(now)
        .select_related("section")
        .annotate(is_story=ExpressionWrapper(story, output_field=BooleanField()))
        .filter(story | Q(pk__in=ids))
        .order_by("pk")
    )


def facts(rows) -> list[tuple]:
    return [(row.pk, row.slug, row.published_at, row.section.name, row.is_story) for row in rows]


@pytest.fixture
def stories():
    section = SectionFactory(name="World")
    return [
        PublishedArticleFactory(section=section, published_at=NOW - timedelta(hours=hours))
        for hours in (3, 2, 1, -1)  # the last one is scheduled an hour ahead
    ]


def test_rows_match_the_queryset_for_new_values(stories, django_assert_num_queries):
    prepared = PreparedQuery(visible_with)
    first, second, third, scheduled = stories
    cases = [
        (first.slug, NOW, [second.pk, scheduled.pk]),
        (second.slug, NOW, [first.pk, third.pk]),
        # An hour later the scheduled story is live: the time is a value, not a constant.
        (third.slug, NOW + timedelta(hours=2), [first.pk, scheduled.pk]),
        (scheduled.slug, NOW, [first.pk, second.pk]),
        ("no-such-story", NOW, []),
    ]
    for slug, now, ids in cases:
        with django_assert_num_queries(1):
            got = facts(prepared(slug=slug, now=now, ids=ids))
        assert got == facts(visible_with(slug, now, ids)), (slug, now, ids)
    later = facts(prepared(slug=third.slug, now=NOW + timedelta(hours=2), ids=[scheduled.pk]))
    assert scheduled.pk in [pk for pk, *_ in later]
    now_rows = facts(prepared(slug=third.slug, now=NOW, ids=[scheduled.pk]))
    assert scheduled.pk not in [pk for pk, *_ in now_rows]


def test_compiled_once_per_shape(stories, monkeypatch):
    built = []

    def build(slug, now, known):
        built.append(len(known))
        return visible_with(slug, now, known)

    prepared = PreparedQuery(build)
    compiled = []
    original = SQLCompiler.as_sql

    def counting_as_sql(self, *args, **kwargs):
        compiled.append(self.query.model)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting_as_sql)
    first, second, third, _ = stories
    list(prepared(slug=first.slug, now=NOW, known=[second.pk]))
    assert built == [1, 1]  # built and compiled twice, with two sets of stand-ins
    assert len(compiled) == 2
    for story in stories:
        list(prepared(slug=story.slug, now=NOW, known=[third.pk]))
    assert built == [1, 1]
    assert len(compiled) == 2
    list(prepared(slug=first.slug, now=NOW, known=[second.pk, third.pk]))
    assert built == [1, 1, 2, 2]  # another length of list, another shape


def test_values_lists_and_prefetches_run_as_the_queryset_would(stories):
    story = stories[0]
    ContributionFactory(article=story, position=2)
    ContributionFactory(article=story, position=1)
    by_values = PreparedQuery(
        lambda now: Article.objects.published(now).order_by("pk").values_list("slug", flat=True)
    )
    assert list(by_values(now=NOW)) == [s.slug for s in stories[:3]]
    with_people = PreparedQuery(
        lambda pk: Article.objects.filter(pk=pk).prefetch_related("contributions__person")
    )
    (row,) = with_people(pk=story.pk)
    assert sorted(c.person.name for c in row.contributions.all()) == sorted(
        c.person.name for c in story.contributions.all()
    )


def test_values_it_cannot_follow_are_refused(stories):
    patterns = PreparedQuery(lambda word: Article.objects.filter(headline__icontains=word))
    with pytest.raises(PreparedQueryError, match="cannot be followed"):
        patterns(word="storm")
    inline = PreparedQuery(lambda size: Article.objects.order_by("pk")[:size])
    with pytest.raises(PreparedQueryError, match="text of the SQL"):
        inline(size=3)
    with pytest.raises(PreparedQueryError, match="not date"):
        PreparedQuery(lambda day: Article.objects.filter(published_at__date=day))(day=NOW.date())
    # A stand-in beyond a small column's range: refused where the database has such
    # ranges (PostgreSQL), faithful where it does not (SQLite); never the wrong rows.
    ContributionFactory(article=stories[0], position=1)
    small = PreparedQuery(lambda position: Contribution.objects.filter(position=position))
    try:
        rows = list(small(position=1))
    except PreparedQueryError as error:
        assert connection.vendor == "postgresql"
        assert "range" in str(error)
    else:
        assert connection.vendor == "sqlite"
        assert rows == list(Contribution.objects.filter(position=1))
    with pytest.raises(PreparedQueryError, match="flag"):
        PreparedQuery(lambda live: Article.objects.all())(live=True)


def test_a_prepared_queryset_cannot_be_refined(stories):
    prepared = PreparedQuery(lambda now: Article.objects.published(now))
    for refine in (
        lambda qs: qs.filter(slug="x"),
        lambda qs: qs.count(),
        lambda qs: qs[:1],
        lambda qs: qs.first(),
    ):
        with pytest.raises(PreparedQueryError, match="runs as prepared"):
            refine(prepared(now=NOW))


def test_an_unused_value_is_allowed():
    story = ArticleFactory()
    prepared = PreparedQuery(lambda pk, now: Article.objects.filter(pk=pk))
    assert [row.pk for row in prepared(pk=story.pk, now=NOW)] == [story.pk]


def test_attach_related_reads_like_a_prefetch(django_assert_num_queries):
    story = ArticleFactory()
    ContributionFactory(article=story, position=1)
    rows = list(Contribution.objects.filter(article=story).select_related("person"))
    fresh = Article.objects.get(pk=story.pk)
    attach_related(fresh, "contributions", rows)
    with django_assert_num_queries(0):
        assert list(fresh.contributions.all()) == rows
        assert all(row.article is fresh for row in rows)
    attach_related(fresh, "corrections", [], to_attr="shown_corrections")
    assert fresh.shown_corrections == []


def test_shape_arguments_are_compiled_per_value(stories, django_assert_num_queries):
    built = []

    def page(now, offset):
        built.append(offset)
        return Article.objects.published(now).order_by("-published_at", "-pk")[offset : offset + 2]

    prepared = PreparedQuery(page, shape=("offset",))
    newest_first = list(Article.objects.published(NOW).order_by("-published_at", "-pk"))
    with django_assert_num_queries(1):
        assert list(prepared(now=NOW, offset=0)) == newest_first[:2]
    assert list(prepared(now=NOW, offset=2)) == newest_first[2:4]
    assert list(prepared(now=NOW, offset=0)) == newest_first[:2]
    assert built == [0, 0, 2, 2]


def test_prepared_prefetch_gives_each_instance_its_rows(stories, django_assert_num_queries):
    from django.db.models import Prefetch

    first, second, third, _ = stories
    for position in (3, 1, 2):
        ContributionFactory(article=first, position=position)
    ContributionFactory(article=third, position=1)

    def bylines():
        return Prefetch(
            "contributions",
            queryset=Contribution.objects.select_related("person").order_by("position", "pk"),
            to_attr="shown",
        )

    prefetch = PreparedPrefetch(Article, bylines)
    instances = list(Article.objects.filter(pk__in=[first.pk, second.pk, third.pk]))
    with django_assert_num_queries(1):
        prefetch(instances)
        printed = {
            a.pk: [(c.position, c.person.name, c.article is a) for c in a.shown] for a in instances
        }
    expected = {
        a.pk: [
            (c.position, c.person.name, True) for c in a.contributions.order_by("position", "pk")
        ]
        for a in instances
    }
    assert printed == expected
    assert [p for p, _, _ in printed[first.pk]] == [1, 2, 3]
    assert printed[second.pk] == []
    with django_assert_num_queries(0):
        prefetch([])


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)
def test_postgresql_prepares_the_statements_of_prepared_queries_only(client, stories):
    """Parameters bound by the server: a prepared query's statement is prepared on its first
    run and planned once per connection; other statements (a search, whose best plan
    depends on the word) are planned for their own values every time."""
    story = stories[0]
    for _ in range(3):
        assert client.get(story.get_absolute_url()).status_code == 200
        assert client.get("/search/?q=synthetic").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "articles_contribution"' in sql for sql in prepared)
    assert any('"articles_article"."slug" = $' in sql for sql in prepared)
    assert not any("websearch_to_tsquery" in sql for sql in prepared)
