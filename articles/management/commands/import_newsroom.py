"""Load a directory written by ``export_newsroom`` into this database, which must be freshly
migrated and hold no newsroom content.

Checks the manifest and every checksum first, then loads everything in one transaction and
copies the media files into storage: all or nothing. The search index is rebuilt at the end.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from articles.transfer import TransferError, import_newsroom, summary


class Command(BaseCommand):
    help = "Import a newsroom exported with export_newsroom into this (empty) database."

    def add_arguments(self, parser):
        parser.add_argument("directory", help="A directory written by export_newsroom.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, directory, database, **options):
        try:
            result = import_newsroom(directory, using=database)
        except TransferError as exc:
            raise CommandError(f"Nothing was imported. {exc}") from exc
        if options["verbosity"] > 1:
            for label, count in result.counts.items():
                skipped = result.skipped.get(label)
                note = f" ({skipped} already here, kept)" if skipped else ""
                self.stdout.write(f"  {label}: {count}{note}")
        for warning in result.warnings:
            self.stderr.write(warning)
        self.stdout.write(self.style.SUCCESS(f"Imported {summary(result.counts, result.media)}."))
