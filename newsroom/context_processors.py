from django.conf import settings
from django.utils.functional import SimpleLazyObject

from articles.models import Section

from .cache import kept_for_generation


def navigation_sections() -> list[Section]:
    """The sections, in navigation order: kept until a section (or other content) changes."""
    return kept_for_generation("nav-sections", lambda: list(Section.objects.all()), clock=False)


def site(request):
    """Site name and the section navigation, for the base layout."""
    return {
        "site_name": settings.NEWSROOM_NAME,
        # Lazy: pages that print no navigation (the admin) never look it up.
        "nav_sections": SimpleLazyObject(navigation_sections),
    }
