"""seed_newsroom: a synthetic newsroom for benchmarks, made in bulk from an empty database."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import F
from django.utils import timezone

from articles.models import (
    Article,
    Contribution,
    Correction,
    Image,
    RelatedLink,
    Section,
    Source,
    State,
    Tag,
    TaggedArticle,
)
from people.models import Person

N = 50


def seed(articles: int = N, images: int = 2, **options) -> str:
    # Two images keep the tests quick: making renditions is most of a small seed's time.
    out = StringIO()
    call_command("seed_newsroom", articles=articles, images=images, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def seeded(db):
    return seed()


def test_seeds_the_number_of_stories_asked_for_with_sections_people_and_tags(seeded):
    assert Article.objects.count() == N
    assert 1 <= Section.objects.count() <= 8
    assert Person.objects.count() >= 4
    assert Tag.objects.count() >= 6
    assert f"Seeded {N} synthetic stories" in seeded


def test_every_story_is_published_and_almost_all_are_live(seeded):
    assert set(Article.objects.values_list("state", flat=True)) == {State.PUBLISHED}
    live = Article.objects.published()
    assert live.count() >= N - 2
    # Stories readers saw carry their first publication time; scheduled ones do not yet.
    assert not live.filter(first_published_at__isnull=True).exists()
    assert not Article.objects.scheduled().filter(first_published_at__isnull=False).exists()


def test_publication_times_spread_over_past_years(seeded):
    times = sorted(Article.objects.published().values_list("published_at", flat=True))
    assert (times[-1] - times[0]).days > 365


def test_text_is_clearly_synthetic(seeded):
    for headline, body in Article.objects.values_list("headline", "body"):
        assert headline.startswith("Synthetic story ")
        assert body.startswith("<p>") and body.endswith("</p>")
    assert all(
        name.endswith(tuple("0123456789"))
        for name in Person.objects.values_list("name", flat=True)
    )
    assert all(
        slug.startswith("synthetic-person-")
        for slug in Person.objects.values_list("slug", flat=True)
    )


def test_each_story_has_one_to_four_bylines_and_some_credits(seeded):
    bylines = Counter(
        Contribution.objects.filter(kind=Contribution.Kind.BYLINE).values_list(
            "article_id", flat=True
        )
    )
    assert len(bylines) == N
    assert set(bylines.values()) <= {1, 2, 3, 4}
    assert Contribution.objects.filter(kind=Contribution.Kind.CREDIT).exists()


def test_each_story_has_three_to_six_tags(seeded):
    tags = Counter(TaggedArticle.objects.values_list("content_object_id", flat=True))
    assert len(tags) == N
    assert set(tags.values()) <= {3, 4, 5, 6}


def test_related_links_are_zero_to_five_and_point_inside_or_out(seeded):
    links = Counter(RelatedLink.objects.values_list("article_id", flat=True))
    assert max(links.values()) <= 5
    assert RelatedLink.objects.filter(target__isnull=False).exists()
    assert not RelatedLink.objects.filter(target_id=F("article_id")).exists()


def test_every_story_has_a_lead_image_with_renditions_from_a_few_stored_jpegs(seeded):
    assert not Article.objects.filter(lead_image__isnull=True).exists()
    pictures = Image.objects.all()
    assert pictures.count() == 2
    for picture in pictures:
        assert picture.file.name.endswith(".jpg")
        assert picture.file.storage.exists(picture.file.name)
        assert picture.width and picture.height
        assert picture.renditions, "pages print srcset from the renditions"


def test_some_stories_carry_corrections(db):
    seed(articles=200)
    corrected = Correction.objects.values("article").distinct().count()
    assert 1 <= corrected <= 40
    assert not Correction.objects.filter(article__first_published_at__isnull=True).exists()


def newsroom_made_by(seed_value: int) -> list[tuple]:
    seed(articles=20, seed=seed_value)
    made = list(Article.objects.order_by("pk").values_list("uuid", "headline", "published_at"))
    Article.objects.all().delete()
    for model in (Person, Tag, Section, Source, Image):
        model.objects.all().delete()
    return made


def test_the_same_seed_makes_the_same_newsroom(db):
    first = newsroom_made_by(7)
    again = newsroom_made_by(7)
    assert [row[:2] for row in again] == [row[:2] for row in first]
    assert [row[:2] for row in newsroom_made_by(8)] != [row[:2] for row in first]


def test_refuses_a_database_that_already_has_stories(seeded):
    with pytest.raises(CommandError, match="already has stories"):
        seed()
    assert Article.objects.count() == N


def test_refuses_a_database_an_earlier_seed_left_half_done(seeded):
    Article.objects.all().delete()
    with pytest.raises(CommandError, match="already has stories"):
        seed()


@pytest.mark.parametrize(
    "options", [{"articles": 0}, {"articles": 5, "batch_size": 0}, {"articles": 5, "images": 0}]
)
def test_refuses_nonsense_counts(db, options):
    with pytest.raises(CommandError, match="at least 1"):
        call_command("seed_newsroom", stdout=StringIO(), **options)


def test_story_pages_render_from_seeded_rows(seeded, client):
    story = Article.objects.published().order_by("?").first()
    response = client.get(story.get_absolute_url())
    assert response.status_code == 200
    assert b"srcset" in response.content
    assert story.headline.encode() in response.content


def test_search_finds_seeded_stories(seeded, client):
    """The seeder rebuilds the search index (PostgreSQL's document, SQLite's FTS5 rows)
    that bulk creation skipped."""
    story = Article.objects.published().filter(slug__regex=r"-[1-4][0-9]$").first()
    number = story.slug.rsplit("-", 1)[1]
    response = client.get("/search/", {"q": f"synthetic story {number}"})
    assert response.status_code == 200
    assert story.get_absolute_url().encode() in response.content
    if connection.vendor == "postgresql":
        assert not Article.objects.filter(search_vector__isnull=True).exists()


def test_batches_do_not_change_what_is_made(db):
    seed(articles=30, batch_size=7, seed=3)
    assert Article.objects.count() == 30
    assert Article.objects.filter(published_at__lte=timezone.now()).count() >= 28


def test_the_query_planner_has_statistics_after_seeding(seeded):
    """A bulk load leaves SQLite without statistics (it guesses, badly, at scale) and
    PostgreSQL waiting for autovacuum: the seeder analyses the tables it filled."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'articles_article'")
            assert cursor.fetchone()[0] == N
        else:
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE idx = 'article_live_idx'")
            assert int(cursor.fetchone()[0].split()[0]) >= N - 2
