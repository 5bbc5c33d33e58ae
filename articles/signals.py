"""Side effects of saving content, run after commit: keeping the search document current.

Raw saves (``loaddata``) are handled too, unlike the house rule for signal handlers: the
handlers only queue story ids, and the update reads the committed rows, so a loaded fixture
(``make run`` loads the sample story) is searchable on PostgreSQL at once.
"""

from django.db import connections
from django.db.backends.signals import connection_created
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from people.models import Person

from . import search
from .models import Article, Byline, Contribution, Credit


@receiver(post_save, sender=Article, dispatch_uid="search_article_saved")
def article_saved(sender, instance, using, **kwargs):
    search.schedule_update(using, articles=[instance.pk])


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
        connections[using].vendor != "postgresql"
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
