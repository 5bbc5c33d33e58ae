"""Side effects of saving content, run after commit: keeping the search document current,
and raising the public cache's content generation (see ``newsroom.cache``).

Raw saves (``loaddata``) are handled too, unlike the house rule for signal handlers: the
handlers only queue story ids, and the update reads the committed rows, so a loaded fixture
(``make run`` loads the sample story) is searchable on PostgreSQL at once. On SQLite the same
handlers rewrite the stories' rows of the FTS5 search prefilter at once, in the saving
transaction (see ``articles.search``), and a deleted story loses its row.
"""

import logging

from django.contrib.flatpages.models import FlatPage
from django.contrib.sites.models import Site
from django.db import connections, transaction
from django.db.backends.signals import connection_created
from django.db.models import Q
from django.db.models.signals import (
    m2m_changed,
    post_delete,
    post_migrate,
    post_save,
    pre_save,
)
from django.dispatch import receiver

from newsroom import cache as public_cache
from people.models import Person

from . import search
from .models import (
    Article,
    ArticleRedirect,
    Byline,
    Contribution,
    Correction,
    Credit,
    Image,
    RelatedLink,
    Section,
    Source,
    State,
    Tag,
    TaggedArticle,
)

logger = logging.getLogger(__name__)


@receiver(post_save, sender=Article, dispatch_uid="search_article_saved")
def article_saved(sender, instance, using, **kwargs):
    search.schedule_update(using, articles=[instance.pk])


@receiver(post_delete, sender=Article, dispatch_uid="search_article_deleted")
def article_deleted(sender, instance, using, **kwargs):
    # PostgreSQL's document goes with the row; SQLite's index is a table of its own.
    search.remove_from_index(using, [instance.pk])


def contribution_changed(sender, instance, using, **kwargs):
    search.schedule_update(using, articles=[instance.article_id])


# The admin saves bylines and credits through their proxy models, which send as themselves.
for model in (Contribution, Byline, Credit):
    for signal, event in ((post_save, "saved"), (post_delete, "deleted")):
        signal.connect(
            contribution_changed, sender=model, dispatch_uid=f"search_{model.__name__}_{event}"
        )


@receiver(pre_save, sender=Person, dispatch_uid="search_person_renaming")
def person_renaming(sender, instance, using, update_fields=None, **kwargs):
    """Note whether the name changes: only then do their stories need a new document."""
    instance._search_name_changed = False
    if (
        not search.keeps_index(using)
        or instance.pk is None
        or (update_fields is not None and "name" not in update_fields)
    ):
        return
    stored = Person.objects.using(using).filter(pk=instance.pk).values_list("name", flat=True)
    instance._search_name_changed = stored.first() not in (None, instance.name)


@receiver(post_save, sender=Person, dispatch_uid="search_person_saved")
def person_saved(sender, instance, using, **kwargs):
    if getattr(instance, "_search_name_changed", False):
        search.schedule_update(using, people=[instance.pk])


@receiver(connection_created, dispatch_uid="search_sqlite_functions")
def add_sqlite_functions(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        search.register_sqlite_functions(connection.connection)
        search.check_sqlite_index(connection)


@receiver(post_migrate, dispatch_uid="search_sqlite_index_migrated")
def sqlite_index_migrated(sender, using="default", **kwargs):
    """After ``migrate`` (the index may have come or gone) and ``flush`` (stories went without
    signals), note whether SQLite's index is there and drop rows of vanished stories."""
    connection = connections[using]
    if sender.name == "articles" and connection.vendor == "sqlite":
        connection.ensure_connection()
        if search.check_sqlite_index(connection):
            search.drop_orphans_from_sqlite_index(using)


# --- The public cache: a new content generation for every publish-relevant change -----------
# Raw saves count too: a loaded fixture changes what readers see.


def _bump_generation() -> None:
    try:
        public_cache.bump_generation()
    except Exception:
        # The cache being down must not stop the desk from saving; nothing is served from it.
        logger.exception("Could not raise the public cache's content generation.")


def bump_generation(using: str) -> None:
    """Bump now and again after commit.

    Now, so this process (and a test inside one transaction) never serves what was there
    before; after commit, because a reader's request between the two could otherwise store
    the old content under the new number. Another app server sees the change on its next
    request either way: the generation lives in the shared cache.
    """
    _bump_generation()
    if connections[using].in_atomic_block:
        transaction.on_commit(_bump_generation, using=using, robust=True)


def _ever_public(article: Article) -> bool:
    """Whether readers see, saw, or are scheduled to see this story (no query)."""
    return (
        article.state == State.PUBLISHED
        or getattr(article, "_loaded_state", None) == State.PUBLISHED
        or article.first_published_at is not None
    )


@receiver(pre_save, sender=Article, dispatch_uid="cache_article_saving")
def article_saving(sender, instance, **kwargs):
    # Before save: the state it was loaded with is forgotten once the row is written.
    instance._cache_was_public = _ever_public(instance)


@receiver(post_save, sender=Article, dispatch_uid="cache_article_saved")
@receiver(post_delete, sender=Article, dispatch_uid="cache_article_deleted")
def article_changed(sender, instance, using, raw=False, **kwargs):
    # A draft no reader ever saw changes nothing public: the desk's edits keep the cache.
    if raw or getattr(instance, "_cache_was_public", False) or _ever_public(instance):
        bump_generation(using)


def _story_of(instance, field: str, using: str) -> Article | None:
    article = instance._state.fields_cache.get(field)
    if article is None:
        article = Article.objects.using(using).filter(pk=getattr(instance, f"{field}_id")).first()
    return article


def story_part_changed(sender, instance, using, raw=False, **kwargs):
    """A byline, credit, link, correction or tag of a story: only a public story matters."""
    field = "content_object" if isinstance(instance, TaggedArticle) else "article"
    article = None if raw else _story_of(instance, field, using)
    if article is None or _ever_public(article):
        bump_generation(using)


def content_changed(sender, using, **kwargs):
    """People, sections, tags, sources, images, pages, redirects: shown on public pages."""
    bump_generation(using)


for model in (Contribution, Byline, Credit, RelatedLink, Correction, TaggedArticle):
    for signal, event in ((post_save, "saved"), (post_delete, "deleted")):
        signal.connect(
            story_part_changed, sender=model, dispatch_uid=f"cache_{model.__name__}_{event}"
        )


@receiver(post_save, sender=Image, dispatch_uid="cache_Image_saved")
def image_saved(sender, instance, using, raw=False, **kwargs):
    """Only a picture readers can see matters: the desk uploads many that never run."""
    public_story = Q(state=State.PUBLISHED) | Q(first_published_at__isnull=False)
    if (
        raw
        or instance.lead_of.using(using).filter(public_story).exists()
        or Person.objects.using(using).filter(photo=instance).exists()
    ):
        bump_generation(using)


post_delete.connect(content_changed, sender=Image, dispatch_uid="cache_Image_deleted")

for model in (Person, Section, Tag, Source, FlatPage, Site, ArticleRedirect):
    for signal, event in ((post_save, "saved"), (post_delete, "deleted")):
        signal.connect(
            content_changed, sender=model, dispatch_uid=f"cache_{model.__name__}_{event}"
        )

# Which sites a flat page is on decides whether it is served.
m2m_changed.connect(
    content_changed, sender=FlatPage.sites.through, dispatch_uid="cache_flatpage_sites"
)
