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
    # Addresses remembered per storage (a page asks for the same few on every request).
    MAX_REMEMBERED_URLS = 1_000

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._remembered_urls: dict[tuple[str, bool], str] = {}

    def url(self, name, force=False):
        """The address of ``name``, remembered: it depends only on the manifest, read once
        when the storage is made, and the settings, whose change makes a new storage."""
        key = (name, force)
        try:
            return self._remembered_urls[key]
        except KeyError:
            pass
        url = super().url(name, force)
        if len(self._remembered_urls) >= self.MAX_REMEMBERED_URLS:
            self._remembered_urls.clear()
        self._remembered_urls[key] = url
        return url

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
