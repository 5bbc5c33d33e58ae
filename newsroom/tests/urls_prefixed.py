"""The project's URLs under /site/, for newsroom/tests/test_paths.py."""

from django.urls import include, path

urlpatterns = [path("site/", include("newsroom.urls"))]
