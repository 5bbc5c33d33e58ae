"""Article body HTML: what a newsroom needs, sanitised on every write.

The allow-list matches the admin editor's toolbar (paragraphs, headings, bold, italic, links,
lists, blockquotes). ``RichTextField`` cleans in ``get_db_prep_save``, the one step every write
passes through (forms, ``save()``, ``update()``, ``bulk_create`` and raw fixture loads alike).
"""

from __future__ import annotations

import nh3
from django.db import models

ALLOWED_TAGS = {
    "p", "br", "h2", "h3", "h4", "strong", "b", "em", "i", "a",
    "ul", "ol", "li", "blockquote",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def sanitize_html(html: str) -> str:
    """Strip every tag, attribute and URL scheme outside the allow-list."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    ).strip()


class RichTextField(models.TextField):
    """A ``TextField`` holding HTML that is sanitised before it reaches the database."""

    def pre_save(self, model_instance, add):
        value = sanitize_html(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value

    def get_db_prep_save(self, value, connection):
        if isinstance(value, str):
            value = sanitize_html(value)
        return super().get_db_prep_save(value, connection)
