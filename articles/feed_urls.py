"""Feed addresses, under /feeds/: RSS and Atom for the site, sections, tags and people."""

from django.urls import path

from . import feeds

app_name = "feeds"

urlpatterns = [
    path("rss/", feeds.SiteFeed(), name="site_rss"),
    path("atom/", feeds.SiteAtomFeed(), name="site_atom"),
    path("sections/<slug:slug>/rss/", feeds.SectionFeed(), name="section_rss"),
    path("sections/<slug:slug>/atom/", feeds.SectionAtomFeed(), name="section_atom"),
    path("tags/<slug:slug>/rss/", feeds.TagFeed(), name="tag_rss"),
    path("tags/<slug:slug>/atom/", feeds.TagAtomFeed(), name="tag_atom"),
    path("people/<slug:slug>/rss/", feeds.PersonFeed(), name="person_rss"),
    path("people/<slug:slug>/atom/", feeds.PersonAtomFeed(), name="person_atom"),
]
