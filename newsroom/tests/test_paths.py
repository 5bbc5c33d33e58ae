"""newsroom.paths.path_to: reverse(), remembered, and still right when the prefix changes."""

import pytest
from django.urls import clear_script_prefix, reverse, set_script_prefix

from newsroom.paths import path_to


@pytest.fixture
def script_prefix():
    yield set_script_prefix
    clear_script_prefix()


def test_same_answer_as_reverse():
    assert path_to("articles:tag", slug="harbours") == reverse(
        "articles:tag", kwargs={"slug": "harbours"}
    )
    assert path_to(
        "articles:detail", section="world", year=2025, month="03", day="10", slug="x"
    ) == ("/world/2025/03/10/x/")


def test_a_site_under_a_prefix_gets_its_own_addresses(script_prefix):
    assert path_to("people:detail", slug="wang-lei") == "/people/wang-lei/"
    script_prefix("/news/")
    assert path_to("people:detail", slug="wang-lei") == "/news/people/wang-lei/"


def test_another_urlconf_is_not_answered_from_memory(settings):
    assert path_to("articles:section", slug="world") == "/world/"
    settings.ROOT_URLCONF = "newsroom.tests.urls_prefixed"
    assert path_to("articles:section", slug="world") == "/site/world/"
