"""The newsroom's content: sections, sources, articles and what hangs off them."""

from __future__ import annotations

import operator
import uuid
from datetime import datetime
from functools import reduce
from itertools import groupby

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connections, models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from taggit.managers import TaggableManager
from taggit.models import ItemBase, TagBase

from newsroom.paths import path_to
from newsroom.slugs import slugify, unique_slug
from people.models import Person

from .richtext import RichTextField


class SlugManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class UUIDManager(models.Manager):
    def get_by_natural_key(self, uuid):
        return self.get(uuid=uuid)


class Source(models.Model):
    """A publication or agency a story comes from, printed after the byline."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    url = models.URLField(blank=True, help_text="The publication's home page.")

    objects = SlugManager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


# Top-level paths the site uses for itself; a section may not take one as its slug.
RESERVED_SECTION_SLUGS = frozenset(
    {
        "admin",
        "api",
        "archive",
        "feeds",
        "media",
        "people",
        "preview",
        "search",
        "standards",
        "static",
        "tags",
    }
)


def validate_section_slug(value: str) -> None:
    if value in RESERVED_SECTION_SLUGS:
        raise ValidationError(f"“{value}” is a path the site uses; choose another slug.")


class Section(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True, validators=[validate_section_slug])
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Order in the site navigation; lower comes first."
    )

    objects = SlugManager()

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return path_to("articles:section", slug=self.slug)

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class Tag(TagBase):
    """A django-taggit tag whose slug is readable ASCII whatever the script of its name."""

    class Meta:
        ordering = ["name"]

    def slugify(self, tag, i=None):
        slug = slugify(tag, max_length=90, fallback="tag")
        return slug if i is None else f"{slug}-{i + 1}"

    def get_absolute_url(self) -> str:
        return path_to("articles:tag", slug=self.slug)


class TaggedArticleManager(models.Manager):
    def get_by_natural_key(self, article_uuid, tag_name):
        return self.get(content_object__uuid=article_uuid, tag__name=tag_name)


class TaggedArticle(ItemBase):
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="tagged_articles")
    content_object = models.ForeignKey(
        "Article", on_delete=models.CASCADE, related_name="tagged_items"
    )

    objects = TaggedArticleManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["content_object", "tag"], name="unique_tag_per_article"
            )
        ]
        # The constraint serves story → tags; a tag's page and feed go tag → stories.
        indexes = [models.Index(fields=["tag", "content_object"], name="taggedarticle_tag_idx")]

    def natural_key(self):
        return (*self.content_object.natural_key(), *self.tag.natural_key())

    natural_key.dependencies = ["articles.article", "articles.tag"]


class ImageManager(models.Manager):
    def get_by_natural_key(self, uuid):
        return self.get(uuid=uuid)


class Image(models.Model):
    """A photo or graphic with what readers and screen readers need, and its renditions.

    Uploads are validated and renditions made by ``articles.images``; ``renditions`` maps a
    rendition name to its stored files so pages print ``srcset`` without touching storage.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    file = models.ImageField(upload_to="images/%Y/%m/", width_field="width", height_field="height")
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)
    alt_text = models.CharField(
        max_length=300, help_text="What the image shows, for readers who cannot see it."
    )
    caption = models.TextField(blank=True)
    credit = models.CharField(max_length=200, blank=True, help_text="Photographer or agency.")
    focal_x = models.FloatField(
        default=0.5,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Horizontal focus, 0 (left) to 1 (right); crops keep it in view.",
    )
    focal_y = models.FloatField(
        default=0.5,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Vertical focus, 0 (top) to 1 (bottom).",
    )
    renditions = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ImageManager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.alt_text or self.file.name

    def natural_key(self) -> tuple[str]:
        return (str(self.uuid),)


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    REVIEW = "review", "In review"
    READY = "ready", "Ready"
    PUBLISHED = "published", "Published"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ArticleType(models.TextChoices):
    """The kind of journalism, labelled for readers (a Trust Project indicator)."""

    NEWS = "news", "News"
    ANALYSIS = "analysis", "Analysis"
    OPINION = "opinion", "Opinion"
    FEATURE = "feature", "Feature"
    INTERVIEW = "interview", "Interview"
    EXPLAINER = "explainer", "Explainer"
    REVIEW = "review", "Review"
    OBITUARY = "obituary", "Obituary"
    SPONSORED = "sponsored", "Sponsored"


class Syndication(models.TextChoices):
    """How a partner's copy tells search engines where the original lives."""

    CANONICAL = "canonical", "Canonical link to the original"
    NOINDEX = "noindex", "Keep out of search engines (noindex)"


def public_q(prefix: str = "", now: datetime | None = None) -> Q:
    """The visibility rule as a condition, for an article reached through ``prefix``.

    ``Article.objects.published()`` is this with no prefix; a relation to an article (a related
    link's target) applies the same rule with its path, e.g. ``public_q("target__")``.
    ``now`` is the time of the request, the current time unless given (a page that applies
    the rule several times passes one time to all of them).
    """
    if now is None:
        now = timezone.now()
    return Q(**{f"{prefix}state": State.PUBLISHED, f"{prefix}published_at__lte": now})


def pk_in_any(using: str, *subsets: models.QuerySet) -> Q:
    """Rows whose primary key is in any of ``subsets`` (each a sliced ``values("pk")``).

    PostgreSQL gets one set, a UNION ALL, which it joins to by primary key: an OR of
    ``IN (subquery)`` tests would have it check every row of the table against each set.
    SQLite allows no LIMIT inside a UNION, and reads an OR of sets index by index.
    """
    if connections[using].features.supports_slicing_ordering_in_compound:
        first, *rest = subsets
        return Q(pk__in=first.union(*rest, all=True)) if rest else Q(pk__in=first)
    return reduce(operator.or_, (Q(pk__in=subset) for subset in subsets))


class ArticleQuerySet(models.QuerySet):
    def published(self, now: datetime | None = None) -> ArticleQuerySet:
        """What the public may see: published, and not ahead of its publication time.

        The one visibility rule (see ``public_q``). Scheduled stories go live by themselves
        because the time is compared at query time (``now``, the current time unless given).
        """
        return self.filter(public_q(now=now))

    def scheduled(self) -> ArticleQuerySet:
        """Published by the desk for a time that has not come yet (an embargo)."""
        return self.filter(state=State.PUBLISHED, published_at__gt=timezone.now())

    def withdrawn_after_publication(self) -> ArticleQuerySet:
        """Stories readers once saw and the desk withdrew: their addresses answer 410."""
        return self.filter(state=State.WITHDRAWN, first_published_at__isnull=False)

    def for_listing(self) -> ArticleQuerySet:
        """Newest first, with what a list item prints, in a fixed number of queries."""
        return (
            self.select_related("section", "source", "lead_image")
            .defer("search_vector")
            .prefetch_related(
                models.Prefetch(
                    "contributions",
                    queryset=Contribution.objects.filter(kind=Contribution.Kind.BYLINE)
                    .select_related("person")
                    .order_by("position", "pk"),
                    to_attr="listing_bylines",
                )
            )
            .order_by("-published_at", "-pk")
        )

    def for_page(self) -> ArticleQuerySet:
        """Everything the article page prints, in a fixed number of queries."""
        return self.for_page_joined().prefetch_related(*page_prefetches())

    def for_page_joined(self) -> ArticleQuerySet:
        """The part of ``for_page()`` that one query joins: the story's section, source
        and lead image. ``page_prefetches()`` loads the rest for the stories that need it.
        """
        return self.select_related("section", "source", "lead_image").defer("search_vector")


def page_prefetches(now: datetime | None = None) -> list[models.Prefetch]:
    """What the article page prints beyond the story's row, a query each, ordered as shown:
    contributions with their people, tags, the related links readers may follow at ``now``
    (their targets joined with what a link prints) and corrections, newest first.
    """
    return [
        models.Prefetch(
            "contributions",
            queryset=Contribution.objects.select_related("person").order_by(
                "kind", "position", "pk"
            ),
        ),
        models.Prefetch(
            "tagged_items",
            queryset=TaggedArticle.objects.select_related("tag").order_by("tag__name"),
        ),
        models.Prefetch(
            "related_links",
            queryset=RelatedLink.objects.visible(now)
            .select_related("target__section")
            .defer("target__body", "target__search_vector")
            .order_by("position", "pk"),
            to_attr="visible_related_links",
        ),
        models.Prefetch("corrections", queryset=Correction.objects.order_by("-created_at")),
    ]


ArticleManager = models.Manager.from_queryset(ArticleQuerySet)


class ArticleManagerWithNaturalKey(ArticleManager):
    def get_by_natural_key(self, uuid):
        return self.get(uuid=uuid)


def article_path(section_slug: str, when, slug: str) -> str:
    """A story's address: its section, its local publication date and its slug."""
    local = timezone.localtime(when)
    return path_to(
        "articles:detail",
        section=section_slug,
        year=local.year,
        month=f"{local.month:02d}",
        day=f"{local.day:02d}",
        slug=slug,
    )


class StateWriteError(RuntimeError):
    """Raised when code other than ``articles.workflow`` changes a saved story's state."""


class Article(models.Model):
    # Set by articles.workflow for the one save that applies a transition.
    _workflow_write = False

    uuid = models.UUIDField(
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text="Stable identity of the story across slugs, exports and feeds.",
    )
    headline = models.CharField(max_length=300)
    slug = models.SlugField(
        max_length=120,
        unique=True,
        blank=True,
        help_text="Part of the story's URL; made from the headline when left blank.",
    )
    deck = models.TextField(
        blank=True, help_text="Standfirst printed under the headline.", verbose_name="deck"
    )
    body = RichTextField(blank=True)
    summary = models.TextField(
        blank=True, help_text="One or two sentences for listings, feeds and search engines."
    )
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="articles")
    source = models.ForeignKey(
        Source,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
        help_text="Where the copy comes from, when it is not the newsroom's own.",
    )
    article_type = models.CharField(
        "type", max_length=20, choices=ArticleType.choices, default=ArticleType.NEWS
    )
    dateline_place = models.CharField(
        max_length=100, blank=True, help_text="Where the story was reported from, e.g. Beijing."
    )
    lead_image = models.ForeignKey(
        Image, null=True, blank=True, on_delete=models.SET_NULL, related_name="lead_of"
    )
    original_url = models.URLField(
        "original URL",
        blank=True,
        max_length=500,
        help_text="For syndicated copy: the story's address at its source.",
    )
    syndication = models.CharField(
        max_length=20,
        choices=Syndication.choices,
        default=Syndication.CANONICAL,
        help_text="With an original URL: point search engines to it, or keep this copy out.",
    )
    tags = TaggableManager(through=TaggedArticle, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT)
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The dateline time. A time ahead of now keeps the story scheduled.",
    )
    first_published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(
        default=1, editable=False, help_text="Counts saves; guards against lost updates."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text="Who started the story; reporters may edit their own drafts.",
    )
    withdrawal_notice = models.TextField(
        blank=True,
        editable=False,
        help_text="Shown to readers at the story's address once it is withdrawn.",
    )
    # PostgreSQL full-text document (headline A, deck and people B, body C), kept by
    # articles.search; unused on SQLite. Its GIN index is made by a PostgreSQL-only migration.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = ArticleManagerWithNaturalKey()

    class Meta:
        ordering = ["-published_at", "-pk"]
        permissions = [
            ("submit_article", "Can submit stories for review"),
            ("review_article", "Can send back and approve stories"),
            ("publish_article", "Can publish, schedule, unpublish and withdraw stories"),
            ("correct_article", "Can add corrections to published stories"),
            ("take_over_article", "Can take over a story someone else is editing"),
            ("share_preview_article", "Can share preview links to unpublished stories"),
        ]
        # Checked with EXPLAIN at 100,000 stories (articles/tests/test_plans.py). Public
        # listings read published() newest first: partial indexes hold only published rows,
        # in the listing's exact order (pk breaks ties), so a page is a short index walk and
        # a count is an index-only scan.
        indexes = [
            models.Index(
                fields=["-published_at", "-id"],
                condition=Q(state=State.PUBLISHED),
                name="article_live_idx",
            ),
            models.Index(
                fields=["section", "-published_at", "-id"],
                condition=Q(state=State.PUBLISHED),
                name="article_section_live_idx",
            ),
            # The desk's status filters (drafts, in review, scheduled…).
            models.Index(fields=["state", "-published_at"], name="article_visible_idx"),
            # The desk's date filters and date hierarchy, whatever the state.
            models.Index(fields=["published_at"], name="article_published_idx"),
            # The change list's order.
            models.Index(fields=["-updated_at"], name="article_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.headline

    def save(self, *args, **kwargs):
        loaded = getattr(self, "_loaded_state", None)
        if loaded is not None and self.state != loaded and not self._workflow_write:
            raise StateWriteError(
                f"State of “{self}” changed from {loaded} to {self.state} outside the "
                "workflow; use articles.workflow."
            )
        if not self.slug:
            others = Article.objects.exclude(pk=self.pk)
            self.slug = unique_slug(
                self.headline,
                lambda s: others.filter(slug=s).exists(),
                max_length=80,
                fallback="story",
            )
        old_path = self._loaded_path
        super().save(*args, **kwargs)
        self._loaded_state = self.state
        self._workflow_write = False
        self._remember_old_address(old_path)

    def get_absolute_url(self) -> str:
        return article_path(self.section.slug, self.published_at or self.created_at, self.slug)

    def natural_key(self) -> tuple[str]:
        return (str(self.uuid),)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_state = instance.__dict__.get("state")
        instance._loaded_address = tuple(
            instance.__dict__.get(name) for name in ("slug", "section_id", "published_at")
        )
        return instance

    @property
    def _loaded_path(self) -> str | None:
        """The address readers had before this save, if the story was ever public."""
        loaded = getattr(self, "_loaded_address", None)
        if not loaded or None in loaded or self.first_published_at is None:
            return None
        slug, section_id, published_at = loaded
        if (slug, section_id, published_at) == (self.slug, self.section_id, self.published_at):
            return None
        section_slug = Section.objects.filter(pk=section_id).values_list("slug", flat=True)
        return article_path(section_slug.first() or "", published_at, slug)

    def _remember_old_address(self, old_path: str | None) -> None:
        """Keep a changed address answering: the old path redirects here (301)."""
        self._loaded_address = (self.slug, self.section_id, self.published_at)
        if old_path is None:
            return
        new_path = self.get_absolute_url()
        # Moving back to a former address: it is live again, not a redirect.
        ArticleRedirect.objects.filter(old_path=new_path).delete()
        if old_path != new_path:
            ArticleRedirect.objects.update_or_create(old_path=old_path, defaults={"article": self})

    @property
    def is_live(self) -> bool:
        return (
            self.state == State.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    @property
    def is_scheduled(self) -> bool:
        return (
            self.state == State.PUBLISHED
            and self.published_at is not None
            and self.published_at > timezone.now()
        )

    # What the page prints. These read prefetched rows when ``for_page()`` loaded them.
    @cached_property
    def bylines(self) -> list[Contribution]:
        return [c for c in self.contributions.all() if c.kind == Contribution.Kind.BYLINE]

    @cached_property
    def credits(self) -> list[Contribution]:
        return [c for c in self.contributions.all() if c.kind == Contribution.Kind.CREDIT]

    @cached_property
    def credit_groups(self) -> list[tuple[str, list[Person]]]:
        """Credits grouped by role in printed order: [("Web editor", [p1, p2]), …]."""
        return [
            (role, [c.person for c in group])
            for role, group in groupby(self.credits, key=lambda c: c.role)
        ]

    @cached_property
    def tag_list(self) -> list[Tag]:
        return [item.tag for item in self.tagged_items.all()]


class ContributionManager(models.Manager):
    def get_by_natural_key(self, article_uuid, kind, person_slug, role):
        return self.get(article__uuid=article_uuid, kind=kind, person__slug=person_slug, role=role)


class Contribution(models.Model):
    """A person credited on a story, ordered: in the byline, or in the credit line."""

    class Kind(models.TextChoices):
        BYLINE = "byline", "Byline"
        CREDIT = "credit", "Credit"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="contributions")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="contributions")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.BYLINE)
    role = models.CharField(
        max_length=100,
        blank=True,
        help_text='What they did, e.g. "Reporter" or "Web editor". Credits are grouped by it.',
    )
    position = models.PositiveSmallIntegerField(default=0)

    objects = ContributionManager()

    class Meta:
        ordering = ["kind", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "kind", "person", "role"], name="unique_contribution"
            )
        ]
        # The constraint serves story → people; a person's page and feed go person → stories.
        indexes = [models.Index(fields=["person", "article"], name="contribution_person_idx")]

    def __str__(self) -> str:
        return f"{self.person} ({self.role or self.get_kind_display()})"

    def natural_key(self):
        return (*self.article.natural_key(), self.kind, *self.person.natural_key(), self.role)

    natural_key.dependencies = ["articles.article", "people.person"]


class KindManager(ContributionManager):
    """Only the contributions of one kind, so the admin can edit bylines and credits apart."""

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

    def get_queryset(self):
        return super().get_queryset().filter(kind=self.kind)


class Byline(Contribution):
    objects = KindManager(Contribution.Kind.BYLINE)

    class Meta:
        proxy = True

    def save(self, *args, **kwargs):
        self.kind = Contribution.Kind.BYLINE
        super().save(*args, **kwargs)


class Credit(Contribution):
    objects = KindManager(Contribution.Kind.CREDIT)

    class Meta:
        proxy = True

    def save(self, *args, **kwargs):
        self.kind = Contribution.Kind.CREDIT
        super().save(*args, **kwargs)


class RelatedLinkQuerySet(models.QuerySet):
    def visible(self, now: datetime | None = None) -> RelatedLinkQuerySet:
        """External links, and internal links whose target the public may see (at ``now``,
        the current time unless given)."""
        # The visibility rule applied to the joined target; a "target in published()"
        # subquery would build the set of every live story.
        return self.filter(Q(target__isnull=True) | public_q("target__", now))


class RelatedLinkManager(models.Manager.from_queryset(RelatedLinkQuerySet)):
    def get_by_natural_key(self, uuid):
        return self.get(uuid=uuid)


class RelatedLink(models.Model):
    """A curated "Related Stories" entry: another story here, or a page elsewhere."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="related_links")
    target = models.ForeignKey(
        Article,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="linked_from",
        help_text="A story on this site…",
    )
    url = models.URLField("external URL", blank=True, help_text="…or a page elsewhere.")
    title = models.CharField(
        max_length=300, blank=True, help_text="Link text; an internal story's headline by default."
    )
    position = models.PositiveSmallIntegerField(default=0)

    objects = RelatedLinkManager()

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(target__isnull=False) & Q(url=""))
                | (Q(target__isnull=True) & ~Q(url="")),
                name="related_link_target_xor_url",
                violation_error_message="Link to a story here or to an external URL, not both.",
            )
        ]

    def __str__(self) -> str:
        return self.display_title

    def natural_key(self) -> tuple[str]:
        return (str(self.uuid),)

    @property
    def display_title(self) -> str:
        if self.title:
            return self.title
        return self.target.headline if self.target_id else self.url

    @property
    def href(self) -> str:
        return self.target.get_absolute_url() if self.target_id else self.url


class Correction(models.Model):
    """A correction, update or clarification printed on a published story."""

    class Kind(models.TextChoices):
        CORRECTION = "correction", "Correction"
        UPDATE = "update", "Update"
        CLARIFICATION = "clarification", "Clarification"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="corrections")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CORRECTION)
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    objects = UUIDManager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:60]}"

    def natural_key(self) -> tuple[str]:
        return (str(self.uuid),)


class WorkflowEvent(models.Model):
    """One step of a story through the workflow: who, when, from, to, and why."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=30)
    from_state = models.CharField(max_length=20, choices=State.choices)
    to_state = models.CharField(max_length=20, choices=State.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(blank=True)
    publish_at = models.DateTimeField(
        null=True, blank=True, help_text="The publication time set by a publish action."
    )

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["article", "-at"], name="event_article_idx")]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_state} → {self.to_state}"


class Revision(models.Model):
    """A snapshot of a story's content (with bylines, credits, links, tags) after a change."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(help_text="The story's version after this change.")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.CharField(max_length=200, blank=True)
    data = models.JSONField()

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="unique_revision_number")
        ]

    def __str__(self) -> str:
        return f"{self.article} v{self.number}"


class EditLease(models.Model):
    """Who has a story open in the admin. Lapses when not renewed (no lock lives forever)."""

    article = models.OneToOneField(Article, on_delete=models.CASCADE, related_name="lease")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.article} held by {self.user}"


class PreviewLink(models.Model):
    """A signed, expiring, revocable link showing an unpublished story to someone outside."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="preview_links")
    note = models.CharField(max_length=200, blank=True, help_text="Who it is for, e.g. legal.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Preview of {self.article} ({self.note or 'no note'})"


class ArticleRedirect(models.Model):
    """A former address of a public story (slug, section or date changed): answers 301."""

    old_path = models.CharField(max_length=400, unique=True)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="redirects")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.old_path} → {self.article}"
