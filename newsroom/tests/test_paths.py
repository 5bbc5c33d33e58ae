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


# {% url %}: the engine's builtin (newsroom.templatetags.remembered_urls) prints what Django's
# tag prints, fails as it fails, and reverses each address once.


def render(source: str, **context) -> str:
    from django.template import engines

    return engines["django"].from_string(source).render(context)


def test_url_tag_prints_what_reverse_gives():
    assert render("{% url 'articles:tag' slug=s %}", s="harbours") == reverse(
        "articles:tag", kwargs={"slug": "harbours"}
    )
    assert render("{% url 'home' %}|{% url 'articles:archive_year' 2024 %}") == (
        f"{reverse('home')}|{reverse('articles:archive_year', args=[2024])}"
    )
    assert render("{% url 'search' as s %}[{{ s }}]") == f"[{reverse('search')}]"


def test_url_tag_fails_as_django_does():
    from django.urls import NoReverseMatch

    assert render("{% url 'no-such-page' as s %}[{{ s }}]") == "[]"
    with pytest.raises(NoReverseMatch):
        render("{% url 'no-such-page' %}")
    with pytest.raises(NoReverseMatch):
        render("{% url 'articles:tag' slug=s %}", s="not a slug!")


def test_url_tag_remembers(monkeypatch):
    import newsroom.paths

    calls = []
    real = newsroom.paths.reverse

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(newsroom.paths, "reverse", counting)
    newsroom.paths._reverse.cache_clear()
    for _ in range(3):
        assert render("{% url 'articles:tag' slug='ports' %}") == "/tags/ports/"
    assert calls == ["articles:tag"]

    class Year:
        """An argument that cannot be a key: reversed each time, same answer."""

        __hash__ = None

        def __str__(self):
            return "2024"

    for _ in range(2):
        assert newsroom.paths.remembered_reverse("articles:archive_year", args=[Year()]) == (
            real("articles:archive_year", args=[2024])
        )
    assert calls == ["articles:tag", "articles:archive_year", "articles:archive_year"]
