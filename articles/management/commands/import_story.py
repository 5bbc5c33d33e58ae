"""Import wire copy as drafts: ``manage.py import_story FILE [FILE…]`` (``-`` reads stdin).

Each file is read, parsed and imported in its own transaction, so one bad file costs only
itself; errors name the file and the line. A summary ends the run, and the command fails
(exit status 1) when any file did. The layout and the rules are in ``articles.importers``.
"""

from __future__ import annotations

import sys
from collections import Counter

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction

from articles.importers import (
    Outcome,
    WireFormatError,
    WireImportError,
    import_wire_story,
    parse,
    read_file,
    read_stream,
)
from articles.models import Section

STDIN = "-"
STDIN_NAME = "<stdin>"

DONE = {
    Outcome.CREATED: "created draft",
    Outcome.UPDATED: "updated draft",
    Outcome.UNCHANGED: "unchanged",
    Outcome.SKIPPED: "skipped",
}
WOULD = {
    Outcome.CREATED: "would create draft",
    Outcome.UPDATED: "would update draft",
    Outcome.UNCHANGED: "unchanged",
    Outcome.SKIPPED: "would skip",
}
FAILED = "failed"
# Printed in this order, each always, so scripts can read the summary.
SUMMARY_ORDER = [*Outcome, FAILED]


class DryRun(Exception):
    """Raised inside a file's transaction to roll back what a dry run wrote."""


class Command(BaseCommand):
    help = "Import plain-text wire copy as draft stories (FILE… or - for standard input)."
    # Tests hand the command their own standard input.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE", help="Wire copy; - for stdin.")
        parser.add_argument(
            "--section",
            metavar="SLUG",
            help="Section of new stories (default: the NEWSROOM_WIRE_SECTION section, "
            "'wire'). Stories imported before keep theirs.",
        )
        parser.add_argument(
            "--user", metavar="USERNAME", help="Who the import is recorded as (the starter)."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Read and check everything, report what would happen, save nothing.",
        )

    def handle(self, *args, files, section, user, dry_run, verbosity, **options):
        self.stdin = options.get("stdin") or sys.stdin
        section_obj = self._section(section)
        user_obj = self._user(user)
        if files.count(STDIN) > 1:
            raise CommandError("Standard input (-) can be read only once.")

        verbs = WOULD if dry_run else DONE
        tally: Counter[str] = Counter()
        for path in files:
            name = STDIN_NAME if path == STDIN else path
            try:
                result = self._import(path, name, section_obj, user_obj, dry_run)
            except (WireFormatError, WireImportError, IntegrityError) as error:
                tally[FAILED] += 1
                message = str(error)
                if isinstance(error, WireImportError):
                    message = f"{name}: {error}"
                elif isinstance(error, IntegrityError):
                    message = f"{name}: not saved, a simultaneous change got in the way ({error})."
                self.stderr.write(message)
                continue
            tally[result.outcome] += 1
            article = result.article
            line = f"{name}: {verbs[result.outcome]} “{article.headline}”"
            if result.reason:
                line += f": {result.reason}"
            if not dry_run:
                line += f" (id {article.pk})"
            if verbosity:
                self.stdout.write(line)
            for warning in result.warnings:
                self.stderr.write(f"{name}: warning: {warning}")

        summary = ", ".join(f"{tally[key]} {key}" for key in SUMMARY_ORDER)
        noun = "file" if len(files) == 1 else "files"
        prefix = "Dry run, nothing saved: " if dry_run else ""
        self.stdout.write(f"{prefix}{len(files)} {noun}: {summary}.")
        if tally[FAILED]:
            raise CommandError(f"{tally[FAILED]} of {len(files)} {noun} failed.")

    def _import(self, path, name, section, user, dry_run):
        if path == STDIN:
            text = read_stream(getattr(self.stdin, "buffer", self.stdin), name)
        else:
            text = read_file(path)
        story = parse(text, name)
        outcome = None
        try:
            with transaction.atomic():
                outcome = import_wire_story(story, by=user, section=section)
                if dry_run:
                    raise DryRun
        except DryRun:
            pass
        return outcome

    def _section(self, slug: str | None) -> Section | None:
        if slug is None:
            return None
        try:
            return Section.objects.get(slug=slug)
        except Section.DoesNotExist:
            known = ", ".join(Section.objects.values_list("slug", flat=True)) or "none yet"
            raise CommandError(f"No section “{slug}”. Sections: {known}.") from None

    def _user(self, username: str | None):
        if username is None:
            return None
        User = get_user_model()
        try:
            return User.objects.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(f"No user “{username}”.") from None
