"""Rebuild every story's search document: PostgreSQL's ``search_vector``, SQLite's FTS5 rows.

Saves keep the documents current; run this after bulk changes that bypass ``save()``
(``QuerySet.update()``, ``bulk_create``, SQL run by hand), after changing
``NEWSROOM_SEARCH_CONFIG`` or the folding of ``articles.search``, or after restoring a
database dump made without them.

SQLite's index is rewritten in one transaction (SQLite has one writer either way), which also
drops rows of stories deleted without signals. A SQLite without FTS5 has no index to rebuild:
its search reads the stories directly.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from articles import search
from articles.models import Article


class Command(BaseCommand):
    help = "Rebuild the full-text search document of every story (PostgreSQL, SQLite FTS5)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size",
            type=int,
            default=1000,
            help="PostgreSQL: stories per UPDATE, each in its own transaction (default 1000).",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, batch_size: int, database: str, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        connection = connections[database]
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            if search.check_sqlite_index(connection):
                indexed = search.update_search_vector(using=database)
                self.stdout.write(
                    self.style.SUCCESS(
                        f"Rebuilt the search index of {indexed} "
                        f"stor{'y' if indexed == 1 else 'ies'} (SQLite FTS5, trigram)."
                    )
                )
                return
        if connection.vendor != "postgresql":
            self.stdout.write(
                "Nothing to rebuild: this database has no search index (SQLite without FTS5, "
                "or not migrated), so search reads the stories directly."
            )
            return
        # Short batches keep row locks brief on a live site.
        ids = list(Article.objects.using(database).order_by("pk").values_list("pk", flat=True))
        updated = 0
        for start in range(0, len(ids), batch_size):
            with transaction.atomic(using=database):
                updated += search.update_search_vector(
                    ids[start : start + batch_size], using=database
                )
        self.stdout.write(
            self.style.SUCCESS(
                f"Rebuilt the search document of {updated} "
                f"stor{'y' if updated == 1 else 'ies'} "
                f"(configuration “{search.search_config()}”)."
            )
        )
