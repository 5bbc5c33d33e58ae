from django.conf import settings

from articles.models import Section


def site(request):
    """Site name and the section navigation, for the base layout."""
    return {
        "site_name": settings.NEWSROOM_NAME,
        "nav_sections": Section.objects.all(),
    }
