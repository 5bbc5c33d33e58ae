"""Query plans at newsroom scale: the pages readers and the desk load most use indexes.

PostgreSQL only. A newsroom-sized data set is made in SQL (``generate_series``, a few
seconds), the planner's statistics are refreshed, then every query the home, section, tag,
person and article pages and the admin change list run is captured from a real request and
EXPLAINed. A sequential scan over a big table there is a page that slows down as the archive
grows. SQLite plans by its own rules (with the statistics newsroom/sqlite3 keeps), so it is
skipped there.
"""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import (
    Article,
    Contribution,
    Correction,
    RelatedLink,
    Section,
    Source,
    Tag,
    TaggedArticle,
    WorkflowEvent,
)
from people.models import Person

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="query plans are checked on PostgreSQL, the production database",
    ),
    pytest.mark.django_db,
]

# Enough rows that the planner prefers an index whenever one fits (a table of a few hundred
# rows is read whole, whatever the indexes); 100,000 was checked by hand (docs/architecture.md).
STORIES = 30_000
SECTIONS = 10
PEOPLE = 1_000
TAGS = 400

# Tables that grow with the archive: never read whole for a page.
BIG_TABLES = [
    model._meta.db_table
    for model in (Article, Contribution, TaggedArticle, Correction, RelatedLink, WorkflowEvent)
]


def seed_newsroom(stories: int) -> None:
    """An archive of ``stories`` stories in SQL: one a minute back from now, 9 in 10 live,
    the rest scheduled, drafts, in review, ready or withdrawn; a byline each, a credit on
    every third, three tags, a workflow event, a correction on every 50th, a related link
    on every 10th.
    """
    article = Article._meta.db_table
    # One statement an execute(): parameters are bound by the server, which takes one
    # command at a time.
    with connection.cursor() as cursor:
        for sql, params in [
            (
                f"""INSERT INTO {Section._meta.db_table} (name, slug, description, position)
                SELECT 'Section ' || s, 'section-' || s, '', s FROM generate_series(1, %s) s""",
                [SECTIONS],
            ),
            (
                f"""INSERT INTO {Source._meta.db_table} (name, slug, url)
                VALUES ('China Daily', 'china-daily', '')""",
                [],
            ),
            (
                f"""INSERT INTO {Person._meta.db_table}
                    (name, slug, job_title, affiliation, bio, expertise)
                SELECT 'Person ' || p, 'person-' || p, '', '', '', ''
                FROM generate_series(1, %s) p""",
                [PEOPLE],
            ),
            (
                f"""INSERT INTO {Tag._meta.db_table} (name, slug)
                SELECT 'Tag ' || t, 'tag-' || t FROM generate_series(1, %s) t""",
                [TAGS],
            ),
        ]:
            cursor.execute(sql, params)  # table names from the models, numbers as parameters
        cursor.execute(
            f"""
            INSERT INTO {article} (
                uuid, headline, slug, deck, body, summary, section_id, source_id,
                article_type, dateline_place, original_url, syndication, state,
                published_at, first_published_at, created_at, updated_at, version,
                withdrawal_notice)
            SELECT
                md5('story' || i)::uuid, 'Story ' || i, 'story-' || i, 'Deck ' || i,
                '<p>Body of story ' || i || '.</p>', '',
                (SELECT min(id) FROM {Section._meta.db_table}) + i %% %s,
                CASE WHEN i %% 4 = 0 THEN (SELECT min(id) FROM {Source._meta.db_table}) END,
                'news', '', '', 'canonical',
                CASE
                    WHEN i %% 50 = 1 THEN 'draft'
                    WHEN i %% 50 = 2 THEN 'review'
                    WHEN i %% 50 = 3 THEN 'ready'
                    WHEN i %% 50 = 4 THEN 'withdrawn'
                    ELSE 'published'
                END,
                CASE WHEN i %% 50 IN (1, 2, 3) THEN NULL
                     WHEN i %% 50 = 5 THEN now() + i * interval '1 minute'
                     ELSE now() - i * interval '1 minute' END,
                CASE WHEN i %% 50 IN (1, 2, 3, 5) THEN NULL
                     ELSE now() - i * interval '1 minute' END,
                now() - i * interval '1 minute' - interval '1 hour',
                now() - i * interval '1 minute',
                1, ''
            FROM generate_series(1, %s) i
            """,
            [SECTIONS, stories],
        )
        first_person = f"(SELECT min(id) FROM {Person._meta.db_table})"
        first_tag = f"(SELECT min(id) FROM {Tag._meta.db_table})"
        for sql, params in [
            (
                f"""INSERT INTO {Contribution._meta.db_table}
                    (article_id, person_id, kind, role, position)
                SELECT id, {first_person} + id %% %s, 'byline', '', 0 FROM {article}""",
                [PEOPLE],
            ),
            (
                f"""INSERT INTO {Contribution._meta.db_table}
                    (article_id, person_id, kind, role, position)
                SELECT id, {first_person} + (id * 7 + 1) %% %s, 'credit', 'Web editor', 0
                FROM {article} WHERE id %% 3 = 0""",
                [PEOPLE],
            ),
            (
                f"""INSERT INTO {TaggedArticle._meta.db_table} (content_object_id, tag_id)
                SELECT DISTINCT id, {first_tag} + t.n
                FROM {article}, LATERAL (
                    VALUES (id %% %s), ((id * 7 + 1) %% %s), ((id * 13 + 2) %% %s)
                ) t(n)""",
                [TAGS, TAGS, TAGS],
            ),
            (
                f"""INSERT INTO {WorkflowEvent._meta.db_table}
                    (article_id, action, from_state, to_state, at, comment)
                SELECT id, 'submit', 'draft', 'review', updated_at, '' FROM {article}""",
                [],
            ),
            (
                f"""INSERT INTO {Correction._meta.db_table}
                    (uuid, article_id, kind, text, created_at)
                SELECT md5('correction' || id)::uuid, id, 'correction',
                    'A name was misspelt.', updated_at
                FROM {article} WHERE id %% 50 = 7""",
                [],
            ),
            (
                f"""INSERT INTO {RelatedLink._meta.db_table}
                    (uuid, article_id, target_id, url, title, position)
                SELECT md5('link' || id)::uuid, id, id - 1, '', '', 0
                FROM {article}
                WHERE id %% 10 = 0 AND id > (SELECT min(id) FROM {article})""",
                [],
            ),
        ]:
            cursor.execute(sql, params)
        # Statistics for the planner and the visibility map for index-only scans, as
        # autovacuum keeps them on a live database.
        cursor.execute("VACUUM ANALYZE")


# A page's queries may read this many rows of a big table: a few pages' worth of a walk down
# an index, never a share of the archive. Counts for the paginator are judged apart: they
# touch every matching row by nature (an index-only scan), and so does the admin's date
# hierarchy; their time at 100,000 stories is in docs/architecture.md.
ROWS_PER_QUERY = STORIES // 10


def plans_of(queries: list[dict]) -> list[tuple[str, dict]]:
    """(sql, plan) of each captured SELECT, run again under EXPLAIN ANALYZE.

    Django's PostgreSQL backend binds parameters on the client, so the captured SQL is the
    statement the server ran, parameters and all.
    """
    found = []
    with connection.cursor() as cursor:
        for query in queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            found.append((sql, cursor.fetchone()[0][0]["Plan"]))
    return found


def nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def rows_read(node: dict) -> int:
    kept = node.get("Actual Rows", 0)
    removed = node.get("Rows Removed by Filter", 0) + node.get("Rows Removed by Index Recheck", 0)
    return (kept + removed) * node.get("Actual Loops", 1)


def is_whole_list_summary(sql: str) -> bool:
    """The paginator's count, or the admin date hierarchy's list of periods: both cover
    every row of the filtered list by nature, read from an index alone.
    """
    head = sql.lstrip().upper()
    return head.startswith("SELECT COUNT(") or head.startswith("SELECT DISTINCT DATE_TRUNC(")


def wide_reads(plans: list[tuple[str, dict]]) -> list[str]:
    """Where a query reads a big table whole, or a large share of it, with the query."""
    problems = []
    for sql, plan in plans:
        for node in nodes(plan):
            table = node.get("Relation Name")
            if table not in BIG_TABLES:
                continue
            if node["Node Type"] == "Seq Scan":
                problems.append(f"Seq Scan on {table}: {sql}")
            elif not is_whole_list_summary(sql) and rows_read(node) > ROWS_PER_QUERY:
                problems.append(f"{node['Node Type']} on {table} read {rows_read(node)}: {sql}")
    return problems


SEEDED = [RelatedLink, Correction, WorkflowEvent, TaggedArticle, Contribution, Article]
SEEDED += [Tag, Person, Source, Section]


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The archive, made once for the module outside any test's transaction (VACUUM cannot
    run inside one), and removed after it.
    """
    with django_db_blocker.unblock():
        seed_newsroom(STORIES)
        yield
        tables = ", ".join(model._meta.db_table for model in SEEDED)
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {tables} CASCADE")


@pytest.fixture
def newsroom(seeded, settings):
    # The queries themselves are under test, not the page cache in front of them.
    settings.NEWSROOM_CACHE_ENABLED = False


@pytest.fixture
def desk(make_staff):
    return make_staff(is_superuser=True, username="chief")


def explain_page(client, url: str) -> list[tuple[str, dict]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    plans = plans_of(captured.captured_queries)
    # A page served from a cache ran nothing, which would prove nothing.
    assert any(Article._meta.db_table in sql for sql, _ in plans), url
    return plans


def live_story() -> Article:
    # A story in the middle of the archive, with a credit, tags and a curated link.
    return (
        Article.objects.published()
        .filter(pk__gte=STORIES // 2, related_links__isnull=False, contributions__kind="credit")
        .order_by("pk")
        .first()
    )


def page_url(page: str) -> str:
    story = live_story()
    return {
        "home, page 2": "/?page=2",
        "section": story.section.get_absolute_url(),
        "section, page 5": story.section.get_absolute_url() + "?page=5",
        "tag": story.tags.first().get_absolute_url(),
        "person": story.contributions.first().person.get_absolute_url(),
        "front page": "/",
        "article": story.get_absolute_url(),
    }[page]


@pytest.mark.parametrize(
    "page",
    [
        "home, page 2",
        "section",
        "section, page 5",
        "tag",
        "person",
        "front page",
        "article",
    ],
)
def test_public_page_reads_a_few_rows_of_each_big_table(client, newsroom, page):
    assert wide_reads(explain_page(client, page_url(page))) == []


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?p=40",
        "?status=live",
        "?status=scheduled",
        "?status=review",
        "?section__id__exact=section-3",
        "?person=person-7",
        "?published_at__gte=week-ago",
    ],
)
def test_admin_change_list_reads_a_few_rows_of_each_big_table(client, newsroom, desk, query):
    client.force_login(desk)
    week_ago = urlencode({"": (timezone.now() - datetime.timedelta(days=7)).isoformat()})[1:]
    query = (
        query.replace("section-3", str(Section.objects.get(slug="section-3").pk))
        .replace("person-7", str(Person.objects.get(slug="person-7").pk))
        .replace("week-ago", week_ago)
    )
    assert wide_reads(explain_page(client, "/admin/articles/article/" + query)) == []


def test_the_check_sees_a_wide_read(newsroom):
    # The assertions above would pass vacuously if plans never named a table.
    with CaptureQueriesContext(connection) as captured:
        list(Article.objects.filter(headline__contains="Story 1").only("pk"))
    assert wide_reads(plans_of(captured.captured_queries))
