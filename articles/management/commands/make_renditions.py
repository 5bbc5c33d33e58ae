"""Make the renditions images are missing: after a fixture load, a restore of the database,
a change to ``RENDITION_SETS``, or a save whose after-commit rendering failed.

Saves make renditions by themselves; images already up to date are left alone (``--force``
remakes them). Failures are listed and the command exits with an error after doing the rest.
"""

import uuid

from django.core.management.base import BaseCommand, CommandError

from articles import images
from articles.models import Image


class Command(BaseCommand):
    help = "Make missing or out-of-date image renditions (all images, or those given)."

    def add_arguments(self, parser):
        parser.add_argument("uuids", nargs="*", help="Only these images (by UUID).")
        parser.add_argument(
            "--force", action="store_true", help="Remake renditions even when up to date."
        )

    def handle(self, *args, uuids: list[str], force: bool, **options):
        queryset = Image.objects.order_by("pk")
        if uuids:
            try:
                uuids = [str(uuid.UUID(value)) for value in uuids]
            except ValueError:
                raise CommandError("Give images by their UUID.") from None
            queryset = queryset.filter(uuid__in=uuids)
            missing = set(uuids) - {str(u) for u in queryset.values_list("uuid", flat=True)}
            if missing:
                raise CommandError(f"No image with UUID {', '.join(sorted(missing))}.")
        made = current = 0
        failed: list[str] = []
        for image in queryset.iterator(chunk_size=200):
            try:
                changed = images.ensure_renditions(image, force=force)
            except images.DECODE_ERRORS as exc:
                failed.append(str(image.uuid))
                self.stderr.write(f"{image.uuid} ({image.file.name}): {exc}")
                continue
            if changed:
                made += 1
                if options["verbosity"] > 1:
                    self.stdout.write(f"{image.uuid}: made")
            else:
                current += 1
        self.stdout.write(f"Renditions made for {made} image(s); {current} already up to date.")
        if failed:
            raise CommandError(f"{len(failed)} image(s) failed: {', '.join(failed)}.")
