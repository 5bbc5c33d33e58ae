"""Content API addresses, under /api/ (see ``articles.api``)."""

from django.urls import path, re_path

from . import api

app_name = "api"

urlpatterns = [
    path("", api.index, name="index"),
    path("stories/", api.story_list, name="stories"),
    path("stories/<uuid:uuid>/", api.story_detail, name="story"),
    path("corrections/", api.correction_list, name="corrections"),
    # Anything else under /api/ ending in a slash is a JSON 404. Addresses without the slash
    # are left unmatched, so APPEND_SLASH redirects /api/stories to /api/stories/.
    re_path(r"^(?P<path>.*/)$", api.not_found, name="not_found"),
]
