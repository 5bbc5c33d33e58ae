"""Write the whole newsroom to a directory that ``import_newsroom`` loads into another
database (SQLite or PostgreSQL): a backup, or a move to a new server.

See ``articles.transfer`` for what is carried and how. The directory holds staff password
hashes unless ``--without-passwords``: keep it as safe as a database dump.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from articles.transfer import TransferError, export_newsroom, summary


class Command(BaseCommand):
    help = (
        "Export people, sources, sections, tags, images and media, stories in every state "
        "with everything attached to them, staff accounts and flat pages to DIR."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="Where to write the export (new or empty).")
        parser.add_argument(
            "--with-revisions",
            action="store_true",
            help="Include every story's revision history.",
        )
        parser.add_argument(
            "--without-passwords",
            action="store_true",
            help="Leave password hashes out: accounts arrive without a usable password "
            "(set them with `manage.py changepassword`).",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, directory, with_revisions, without_passwords, database, **options):
        try:
            result = export_newsroom(
                directory,
                with_revisions=with_revisions,
                passwords=not without_passwords,
                using=database,
            )
        except TransferError as exc:
            raise CommandError(str(exc)) from exc
        for name in result.media_missing:
            self.stderr.write(f"Missing from media storage, not exported: {name}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Exported {summary(result.counts, result.media)} to {result.directory}."
            )
        )
