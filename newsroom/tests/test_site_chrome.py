"""The section links of the site header, printed in Python, are byte for byte what the
template loop they replaced printed, on every kind of page."""

import pytest
from django.template import engines
from django.test import RequestFactory

from articles.tests.factories import SectionFactory

pytestmark = pytest.mark.django_db

# The loop base.html had.
TEMPLATE_LOOP = (
    '{% for nav_section in nav_sections %}<li><a href="{{ nav_section.get_absolute_url }}"'
    '{% if nav_section.pk == current_section.pk %} aria-current="{% if request.path == '
    'nav_section.get_absolute_url %}page{% else %}true{% endif %}"{% endif %}>'
    "{{ nav_section.name }}</a></li>{% endfor %}"
)


def both(context: dict) -> tuple[str, str]:
    engine = engines["django"]
    looped = engine.from_string(TEMPLATE_LOOP).render(context)
    printed = engine.from_string("{% load site_chrome %}{% section_nav_items %}").render(context)
    return looped, printed


def test_section_links_print_as_the_loop_did():
    world = SectionFactory(name="World", slug="world")
    arts = SectionFactory(name='Arts & "Culture" <live>', slug="arts")
    sections = [world, arts, SectionFactory(name="Sport", slug="sport")]
    requests = RequestFactory()
    contexts = [
        {"nav_sections": sections},  # no section: the front page, search
        {"nav_sections": sections, "request": requests.get("/")},
        # The section's own page: aria-current="page".
        {"nav_sections": sections, "current_section": arts, "request": requests.get("/arts/")},
        # A story in the section: aria-current="true".
        {
            "nav_sections": sections,
            "current_section": world,
            "request": requests.get("/world/2025/03/10/a-story/"),
        },
        {"nav_sections": sections, "current_section": None, "request": requests.get("/")},
        {"nav_sections": []},
        {},
    ]
    for context in contexts:
        looped, printed = both(context)
        assert printed == looped, context
    looped, printed = both(contexts[2])
    assert 'href="/arts/" aria-current="page">Arts &amp; &quot;Culture&quot; &lt;live&gt;<' in (
        printed
    )
    assert 'aria-current="true"' in both(contexts[3])[1]
