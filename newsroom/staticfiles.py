"""Static files storage: whitenoise's compressed, hashed-name manifest storage.

Pages name static files by content hash (``css/site.3f2a….css``), so browsers and the CDN may
keep them for a year and a deploy still shows the new files at once. The names come from the
manifest ``collectstatic`` writes; before it has run (a fresh checkout, the test suite, a
benchmark started without collecting) pages use the plain names instead of failing, and the
first such page logs a warning so a deploy that forgot ``collectstatic`` is visible.
"""

import logging

from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)


class NewsroomStaticStorage(CompressedManifestStaticFilesStorage):
    _warned_missing_manifest = False

    def stored_name(self, name):
        if not self.hashed_files:
            if not NewsroomStaticStorage._warned_missing_manifest:
                NewsroomStaticStorage._warned_missing_manifest = True
                logger.warning(
                    "No static files manifest in %s: pages use unhashed static names. "
                    "Run `manage.py collectstatic` as part of every deploy.",
                    self.location,
                )
            return name
        return super().stored_name(name)
