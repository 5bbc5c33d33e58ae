"""Fill an empty database with a synthetic newsroom, for benchmarks and scale tests.

``seed_newsroom --articles N [--seed S]`` makes sections, people, sources, tags, a handful of
real JPEG images (stored through the storage, with renditions) and N published stories with
bylines, credits, tags, related links, lead images and some corrections. Every text is
visibly synthetic ("Synthetic story 123: …", made-up words), never a real name.

Rows are written with ``bulk_create`` in batches, so 100,000 stories take minutes, not hours.
That skips ``Article.save()`` and the post-save signals, which is fine here: each story is
created in its final state, and the one thing the signals keep (the search index: PostgreSQL's
document, SQLite's FTS5 rows) is rebuilt at the end with ``rebuild_search_index``.

It refuses a database that already has stories: mixing synthetic copy into a real newsroom
is never wanted, and seeding twice would only muddle the counts a benchmark relies on.
"""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from io import BytesIO

from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from PIL import Image as PILImage
from PIL import ImageDraw

from articles import images
from articles.models import (
    Article,
    ArticleType,
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

SECTIONS = ["World", "Nation", "Business", "Science", "Culture", "Sport", "Opinion", "Local"]
SYLLABLES = [
    "ka", "lo", "mer", "ti", "va", "sun", "bre", "dol", "qui", "na", "ros", "te", "mil",
    "fa", "zor", "pel", "vi", "tam", "ux", "rel", "ben", "cor", "di", "sol",
]  # fmt: skip
CREDIT_ROLES = ["Web editor", "Photographer", "Additional reporting"]
IMAGE_COUNT = 6
# Small enough that making every rendition stays quick (renditions are never upscaled).
IMAGE_SIZE = (1200, 675)
# Share of stories scheduled ahead of now (published by the desk for a later time).
SCHEDULED_SHARE = 0.002
CORRECTION_SHARE = 0.05
YEARS_BACK = 5


class Words:
    """Lorem-like made-up words and sentences from a seeded generator."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def word(self) -> str:
        return "".join(self.rng.choice(SYLLABLES) for _ in range(self.rng.randint(1, 3)))

    def words(self, low: int, high: int) -> str:
        return " ".join(self.word() for _ in range(self.rng.randint(low, high)))

    def sentence(self) -> str:
        return self.words(6, 14).capitalize() + "."

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 5)))

    def name(self) -> str:
        return f"{self.word().capitalize()} {self.word().capitalize()}"


class Command(BaseCommand):
    help = "Seed an empty database with a synthetic newsroom of N published stories."

    def add_arguments(self, parser):
        parser.add_argument("--articles", type=int, default=10_000, help="Stories to make.")
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed (same seed, same copy)."
        )
        parser.add_argument("--batch-size", type=int, default=2000, help="Stories per batch.")
        parser.add_argument(
            "--images",
            type=int,
            default=IMAGE_COUNT,
            help=f"Distinct lead images shared by the stories (default {IMAGE_COUNT}).",
        )

    def handle(self, *args, articles: int, seed: int, batch_size: int, images: int, **options):
        if articles < 1:
            raise CommandError("--articles must be at least 1.")
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if images < 1:
            raise CommandError("--images must be at least 1.")
        # Synthetic sections without stories: an earlier seed stopped half-way.
        if Article.objects.exists() or Section.objects.filter(slug__startswith="synthetic-"):
            raise CommandError(
                "This database already has stories; seed_newsroom only fills an empty one "
                "(use a throwaway database)."
            )
        # Repeatable synthetic copy, not secrets.
        self.rng = random.Random(seed)  # noqa: S311
        self.text = Words(self.rng)
        self.now = timezone.now()
        with transaction.atomic():
            sections = self._sections()
            people = self._people(max(4, articles // 50))
            sources = self._sources()
            tags = self._tags(max(6, articles // 20))
        pictures = self._images(images)
        made = 0
        earlier: list[int] = []
        for start in range(0, articles, batch_size):
            count = min(batch_size, articles - start)
            with transaction.atomic():
                batch = self._articles(start, count, sections, sources, pictures)
                self._contributions(batch, people)
                self._tagging(batch, tags)
                earlier.extend(a.pk for a in batch)
                self._related(batch, earlier)
                self._corrections(batch)
            made += count
            if options["verbosity"] > 1:
                self.stdout.write(f"{made} stories")
        call_command("rebuild_search_index", verbosity=0, stdout=self.stdout)
        # Fresh statistics for the query planner after a bulk load (SQLite has none until
        # ANALYZE; PostgreSQL's autovacuum would get there, later).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {made} synthetic stories, {len(people)} people, {len(tags)} tags, "
                f"{len(sections)} sections and {len(pictures)} images."
            )
        )

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _sections(self) -> list[Section]:
        return Section.objects.bulk_create(
            Section(
                name=f"{name} (synthetic)",
                slug=f"synthetic-{name.lower()}",
                description=f"Synthetic {name.lower()} desk. {self.text.sentence()}",
                position=position,
            )
            for position, name in enumerate(SECTIONS)
        )

    def _people(self, count: int) -> list[Person]:
        return Person.objects.bulk_create(
            (
                Person(
                    name=(name := f"{self.text.name()} {i}"),
                    slug=f"synthetic-person-{i}",
                    job_title=self.rng.choice(["Reporter", "Correspondent", "Editor"]),
                    bio=f"{name} is a synthetic reporter. {self.text.sentence()}",
                    expertise=self.text.words(2, 4),
                )
                for i in range(count)
            ),
            batch_size=1000,
        )

    def _sources(self) -> list[Source]:
        return Source.objects.bulk_create(
            Source(
                name=f"Synthetic Wire {i}",
                slug=f"synthetic-wire-{i}",
                url=f"https://wire{i}.example/",
            )
            for i in range(1, 4)
        )

    def _tags(self, count: int) -> list[Tag]:
        return Tag.objects.bulk_create(
            (Tag(name=f"{self.text.word()} {i}", slug=f"synthetic-tag-{i}") for i in range(count)),
            batch_size=1000,
        )

    def _images(self, count: int) -> list[Image]:
        """A few small real JPEGs, stored like uploads, with the renditions pages print."""
        made = []
        width, height = IMAGE_SIZE
        for i in range(count):
            picture = PILImage.new("RGB", IMAGE_SIZE, (40 * i % 256, 90, abs(160 - 20 * i) % 256))
            draw = ImageDraw.Draw(picture)
            for band in range(0, width, 80):
                draw.rectangle([band, 0, band + 40, height], fill=(200, 30 * i % 256, band % 256))
            draw.text((40, 40), f"Synthetic image {i + 1}", fill=(255, 255, 255))
            data = BytesIO()
            picture.save(data, "JPEG", quality=80)
            image = Image.objects.create(
                uuid=self._uuid(),
                file=ContentFile(data.getvalue(), name=f"synthetic-{i + 1}.jpg"),
                alt_text=f"Synthetic image {i + 1}: coloured stripes",
                caption=f"Synthetic caption {i + 1}. {self.text.sentence()}",
                credit="Synthetic Photo Desk",
            )
            # The after-commit receiver may already have made them; this makes sure.
            images.ensure_renditions(image)
            made.append(image)
        return made

    def _published_at(self):
        if self.rng.random() < SCHEDULED_SHARE:
            return self.now + timedelta(hours=self.rng.randint(1, 24 * 14))
        return self.now - timedelta(seconds=self.rng.randint(60, YEARS_BACK * 365 * 86400))

    def _articles(self, start, count, sections, sources, pictures) -> list[Article]:
        stories = []
        for number in range(start + 1, start + count + 1):
            published_at = self._published_at()
            words = self.text.words(4, 8)
            body = "".join(
                f"<p>{self.text.paragraph()}</p>" for _ in range(self.rng.randint(4, 8))
            )
            stories.append(
                Article(
                    uuid=self._uuid(),
                    headline=f"Synthetic story {number}: {words.capitalize()}",
                    slug=f"synthetic-story-{number}",
                    deck=self.text.sentence(),
                    summary=self.text.sentence(),
                    body=body,
                    section=self.rng.choice(sections),
                    source=self.rng.choice(sources) if self.rng.random() < 0.2 else None,
                    article_type=self.rng.choice(ArticleType.values[:6]),
                    dateline_place=self.text.word().capitalize(),
                    lead_image=self.rng.choice(pictures),
                    state=State.PUBLISHED,
                    published_at=published_at,
                    # A scheduled story has never been seen by readers yet.
                    first_published_at=published_at if published_at <= self.now else None,
                    created_at=min(published_at, self.now) - timedelta(hours=2),
                )
            )
        return Article.objects.bulk_create(stories)

    def _contributions(self, batch, people) -> None:
        rows = []
        for article in batch:
            for position, person in enumerate(self.rng.sample(people, self.rng.randint(1, 4))):
                rows.append(
                    Contribution(
                        article=article,
                        person=person,
                        kind=Contribution.Kind.BYLINE,
                        role="Reporter",
                        position=position,
                    )
                )
            for position in range(self.rng.randint(0, 2)):
                rows.append(
                    Contribution(
                        article=article,
                        person=self.rng.choice(people),
                        kind=Contribution.Kind.CREDIT,
                        role=CREDIT_ROLES[position],
                        position=position,
                    )
                )
        Contribution.objects.bulk_create(rows, batch_size=5000)

    def _tagging(self, batch, tags) -> None:
        rows = [
            TaggedArticle(content_object=article, tag=tag)
            for article in batch
            for tag in self.rng.sample(tags, self.rng.randint(3, min(6, len(tags))))
        ]
        TaggedArticle.objects.bulk_create(rows, batch_size=5000)

    def _related(self, batch, earlier: list[int]) -> None:
        rows = []
        for article in batch:
            for position in range(self.rng.randint(0, 5)):
                target = self.rng.choice(earlier)
                if target != article.pk and self.rng.random() < 0.8:
                    rows.append(
                        RelatedLink(
                            uuid=self._uuid(),
                            article=article,
                            target_id=target,
                            position=position,
                        )
                    )
                else:
                    rows.append(
                        RelatedLink(
                            uuid=self._uuid(),
                            article=article,
                            url=f"https://elsewhere.example/synthetic/{self.text.word()}",
                            title=f"Synthetic link: {self.text.words(3, 6)}",
                            position=position,
                        )
                    )
        RelatedLink.objects.bulk_create(rows, batch_size=5000)

    def _corrections(self, batch) -> None:
        rows = [
            Correction(
                uuid=self._uuid(),
                article=article,
                kind=self.rng.choice(Correction.Kind.values),
                text=f"Synthetic correction: {self.text.sentence()}",
                created_at=article.published_at + timedelta(hours=self.rng.randint(1, 48)),
            )
            for article in batch
            # Only stories readers have seen get corrected.
            if article.first_published_at and self.rng.random() < CORRECTION_SHARE
        ]
        Correction.objects.bulk_create(rows, batch_size=5000)
