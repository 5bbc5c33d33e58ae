"""The public site's own address, for every absolute URL the newsroom prints.

Feeds, sitemaps, robots.txt, canonical links, Open Graph and JSON-LD all use
``NEWSROOM_DOMAIN`` and ``NEWSROOM_URL_SCHEME`` from the environment, never the request's host:
a page reached through an internal address or a proxy still names its one public URL, and
building it costs no query. migrate keeps the Site record (which the flat pages framework and
the sitemap index read) equal to ``NEWSROOM_DOMAIN``.
"""

from django.conf import settings


def site_protocol() -> str:
    return settings.NEWSROOM_URL_SCHEME or ("http" if settings.DEBUG else "https")


def absolute_url(path: str) -> str:
    """``path`` on the public site; URLs that are already absolute pass through."""
    if path.startswith(("http://", "https://")):
        return path
    if path.startswith("//"):
        return f"{site_protocol()}:{path}"
    return f"{site_protocol()}://{settings.NEWSROOM_DOMAIN}{path}"
