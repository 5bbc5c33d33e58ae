"""Story lists printed from rows, byte for byte as the templates they replaced.

The front page's lead story and section blocks, and every list of stories, are printed in
Python (``articles/templatetags/listings.py``) from ``ListedStory`` rows read with only the
columns a card prints. Each comparison here renders the same stories twice: as the
templates printed them from ``for_listing()`` model instances (the markup below is theirs,
as the front page and the story card had it), and as the tags print them from rows.
"""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.test import override_settings
from django.utils import timezone, translation
from PIL import Image as PILImage

from articles.images import ensure_renditions
from articles.models import Article, ArticleType, Image
from articles.templatetags.listings import ListedStory, listed_stories
from articles.tests.factories import ContributionFactory, PublishedArticleFactory, SectionFactory
from newsroom.context_processors import navigation_sections
from newsroom.views import PAGE_SIZE, SECTION_BLOCK_SIZE, front_page
from people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

# A story card as the template printed it (includes/story_card.html before the card was
# printed in Python), with its picture through includes/card_image.html.
CARD = Template(
    "\n"
    '{% if heading_level == 3 %}<h3 class="story-item__headline">{% else %}'
    '<h2 class="story-item__headline">{% endif %}<a href="{{ article.get_absolute_url }}">'
    "{{ article.headline }}</a>{% if heading_level == 3 %}</h3>{% else %}</h2>{% endif %}\n"
    '<p class="story-item__meta"><span class="label label--{{ article.article_type }}">'
    "{{ article.get_article_type_display }}</span>{% if show_section %} · "
    '<a href="{{ article.section.get_absolute_url }}">{{ article.section.name }}</a>{% endif %}'
    " · <time datetime=\"{{ article.published_at|date:'c' }}\">"
    '{{ article.published_at|date:"H:i, F j, Y" }}</time>{% if article.listing_bylines %} · By '
    "{% for c in article.listing_bylines %}{{ c.person.name }}{% if not forloop.last %}"
    "{% if forloop.revcounter == 2 %} and {% else %}, {% endif %}{% endif %}{% endfor %}"
    "{% endif %}</p>\n"
    "{% if article.summary and show_summary is not False %}"
    '<p class="story-item__summary">{{ article.summary }}</p>{% endif %}\n'
    '{% if article.lead_image and show_image is not False %}<div class="story-item__image">'
    '{% if lead %}{% include "includes/card_image.html" with image=article.lead_image '
    'rendition="lead" sizes="(min-width: 64rem) 46rem, calc(100vw - 2rem)" %}{% else %}'
    '{% include "includes/card_image.html" with image=article.lead_image '
    'sizes="(min-width: 40rem) 10rem, 6.5rem" %}{% endif %}</div>{% endif %}\n'
)

# The front page's lead story, as templates/home.html printed it.
LEAD = Template(
    '<article class="story-item story-item--lead{% if lead_story.lead_image %}'
    ' story-item--with-image{% endif %}">\n'
    "    {% include card with article=lead_story heading_level=3 lead=True %}\n"
    "  </article>"
)

# The front page's section blocks, as the loop of templates/home.html printed them.
BLOCKS = Template(
    "{% for section, stories in section_blocks %}\n"
    '<section class="section-block" aria-labelledby="section-{{ section.slug }}-heading">\n'
    '  <h2 id="section-{{ section.slug }}-heading" class="section-heading">'
    '<a href="{{ section.get_absolute_url }}">{{ section.name }}</a></h2>\n'
    '  <ol class="story-list story-list--compact">\n'
    "    {% for article in stories %}\n"
    '    <li class="story-item{% if forloop.first and article.lead_image %}'
    ' story-item--with-image{% endif %}">\n'
    "      {% if forloop.first %}{% include card with heading_level=3 %}{% else %}"
    "{% include card with heading_level=3 show_summary=False show_image=False %}{% endif %}\n"
    "    </li>\n"
    "    {% endfor %}\n"
    "  </ol>\n"
    '  <p class="section-block__more"><a href="{{ section.get_absolute_url }}">More from '
    '{{ section.name }}<span class="visually-hidden"> stories</span></a></p>\n'
    "</section>\n"
    "{% endfor %}"
)

# A list of stories, as includes/article_list.html printed it.
LIST = Template(
    '<ol class="story-list">\n'
    "  {% for article in articles %}\n"
    '  <li class="story-item{% if article.lead_image %} story-item--with-image{% endif %}">\n'
    "    {% include card %}\n"
    "  </li>\n"
    "  {% empty %}\n"
    '  <li class="story-item story-item--empty">No stories yet.</li>\n'
    "  {% endfor %}\n"
    "</ol>"
)


def printed(source: str, **context) -> str:
    return Template("{% load listings %}" + source).render(Context(context))


def reference(template: Template, **context) -> str:
    return template.render(Context({"card": CARD, **context}))


def make_image(alt: str, *, renditions: bool) -> Image:
    buffer = io.BytesIO()
    PILImage.new("RGB", (1600, 1000), (40, 90, 160)).save(buffer, "JPEG")
    upload = SimpleUploadedFile("harbour.jpg", buffer.getvalue(), content_type="image/jpeg")
    image = Image.objects.create(file=upload, alt_text=alt, caption="Boats at dawn.")
    if renditions:
        ensure_renditions(image)
    return image


@pytest.fixture
def newsroom():
    """Stories in three sections with what a card can print, and what needs escaping:
    0 to 3 bylines, every story type, summaries or none, pictures with renditions, without
    them yet (just uploaded) or none, times across the day, odd characters everywhere.
    """
    now = timezone.now().replace(second=0, microsecond=0)
    sections = [
        SectionFactory(name="World", slug="world", position=1),
        SectionFactory(name='Arts & "Culture" <live>', slug="arts", position=2),
        SectionFactory(name="Sport", slug="sport", position=2),
    ]
    people = [PersonFactory(name=name) for name in ("Ana Lee", "O'Brien & Co", "<Zhou> Wei")]
    images = [
        make_image('Boats "at dawn" & <gulls>', renditions=True),
        make_image("A harbour", renditions=False),
        None,
    ]
    types = list(ArticleType.values)
    stories = []
    for i in range(PAGE_SIZE + 3 * (SECTION_BLOCK_SIZE + 2)):
        story = PublishedArticleFactory(
            headline=f'Story {i}: <b>rates</b> & "prices" aren\'t {"x" * (i % 3)}',
            summary="" if i % 4 == 3 else f"What happened & why <{i}>.",
            section=sections[i % 3],
            article_type=types[i % len(types)],
            lead_image=images[i % 3],
            published_at=now - timedelta(hours=5 * i, minutes=7 * i),
        )
        for position, person in enumerate(people[: i % 4]):
            ContributionFactory(article=story, person=person, position=position)
        stories.append(story)
    # A credit is no byline: it is never printed in a list.
    ContributionFactory(article=stories[1], person=people[2], kind="credit", role="Photos")
    return stories


def as_models(rows: list[ListedStory]) -> list[Article]:
    """The same stories as ``for_listing()`` model instances, in the same order."""
    found = Article.objects.published().for_listing().in_bulk([row.pk for row in rows])
    return [found[row.pk] for row in rows]


@pytest.mark.parametrize(
    ("language", "zone"), [("en", "Asia/Shanghai"), ("de", "America/New_York"), ("en", "UTC")]
)
def test_front_page_lead_and_section_blocks_print_what_the_template_printed(
    newsroom, language, zone
):
    with translation.override(language), timezone.override(zone):
        stories = Article.objects.published().order_by("-published_at", "-pk")
        front, blocks = front_page(stories, navigation_sections(), PAGE_SIZE, SECTION_BLOCK_SIZE)
        assert [len(rows) for _, rows in blocks] == [SECTION_BLOCK_SIZE] * 3
        lead = as_models(front[:1])[0]
        model_blocks = [
            (models[0].section, models) for models in (as_models(r) for _, r in blocks)
        ]

        assert printed("{% front_lead lead_story %}", lead_story=front[0]) == reference(
            LEAD, lead_story=lead
        )
        assert printed("{% front_sections section_blocks %}", section_blocks=blocks) == reference(
            BLOCKS, section_blocks=model_blocks
        )
        assert printed(
            '<ol class="story-list">\n  {% story_items articles %}\n</ol>',
            articles=front[1:],
            heading_level=3,
            show_section=True,
        ) == reference(LIST, articles=as_models(front[1:]), heading_level=3, show_section=True)


def test_the_lead_story_without_a_picture_is_printed_as_the_template_did(newsroom):
    Article.objects.update(lead_image=None)
    (row,) = listed_stories(Article.objects.published().order_by("-published_at")[:1])
    lead = as_models([row])[0]
    assert printed("{% front_lead lead_story %}", lead_story=row) == reference(
        LEAD, lead_story=lead
    )


def test_a_story_list_from_a_query_is_read_as_rows_and_printed_as_the_template_did(
    newsroom, django_assert_num_queries
):
    listing = Article.objects.published().for_listing()[3:15]
    template = Template(
        '{% load listings %}<ol class="story-list">\n  {% story_items articles %}\n</ol>'
    )
    context = Context({"articles": listing, "show_section": True})
    # The stories, then their bylines: as for_listing() with its prefetch.
    with django_assert_num_queries(2):
        html = template.render(context)
    assert html == reference(LIST, articles=list(listing), show_section=True)
    # A list already read as model instances is printed as it is, without a query.
    models = list(Article.objects.published().for_listing()[3:15])
    with django_assert_num_queries(0):
        assert template.render(Context({"articles": models, "show_section": True})) == html


def test_an_empty_list_says_so_as_the_template_did(newsroom):
    nothing = Article.objects.published().for_listing().filter(headline="No such story")
    html = printed(
        '<ol class="story-list">\n  {% story_items articles %}\n</ol>', articles=nothing
    )
    assert html == reference(LIST, articles=[])
    assert "No stories yet." in html


def test_rows_carry_what_a_card_prints_in_the_listings_order(newsroom):
    listing = Article.objects.published().for_listing()
    rows = listed_stories(listing)
    models = list(listing)
    assert [row.pk for row in rows] == [story.pk for story in models]
    for row, story in zip(rows, models, strict=True):
        assert row.get_absolute_url() == story.get_absolute_url()
        assert row.get_article_type_display() == story.get_article_type_display()
        assert row.byline_names == [c.person.name for c in story.listing_bylines]
        assert (row.section.pk, row.section.name, row.section.slug) == (
            story.section.pk,
            story.section.name,
            story.section.slug,
        )
        if story.lead_image is None:
            assert row.lead_image is None
        else:
            assert row.lead_image.file.url == story.lead_image.file.url
            assert row.lead_image.renditions == story.lead_image.renditions
    # One Section instance per section, shared by its stories.
    assert len({id(row.section) for row in rows}) == 3


def test_pictures_follow_the_media_url(newsroom):
    rows = listed_stories(Article.objects.published().filter(lead_image__isnull=False)[:2])
    source = '<ol class="story-list">\n  {% story_items articles %}\n</ol>'
    before = printed(source, articles=rows)
    with override_settings(MEDIA_URL="https://cdn.example/media/"):
        after = printed(source, articles=rows)
        assert after == reference(LIST, articles=as_models(rows))
    assert "https://cdn.example/media/renditions/" in after
    assert "https://cdn.example/" not in before


def test_story_addresses_follow_the_time_zone():
    # 23:30 UTC is the next day in Shanghai: the date in the address changes with the zone.
    story = PublishedArticleFactory(
        section=SectionFactory(slug="world"),
        published_at=datetime(2024, 3, 1, 23, 30, tzinfo=UTC),
    )
    for zone in ("UTC", "Asia/Shanghai", "UTC"):
        with timezone.override(zone):
            (row,) = listed_stories(Article.objects.published())
            html = printed("{% story_items articles %}", articles=[row])
            assert f'href="{story.get_absolute_url()}"' in html
    with timezone.override("Asia/Shanghai"):
        assert "/2024/03/02/" in story.get_absolute_url()


def test_the_front_page_prints_its_rows_in_a_fixed_number_of_queries(
    client, newsroom, django_assert_max_num_queries
):
    client.get("/")
    # The kept pick, navigation and count; the stories, then their bylines.
    with django_assert_max_num_queries(2):
        response = client.get("/")
    html = response.content.decode()
    stories = Article.objects.published().for_listing()
    assert html.count('class="story-item__headline"') == PAGE_SIZE + 3 * SECTION_BLOCK_SIZE
    for story in stories[:PAGE_SIZE]:
        assert story.get_absolute_url() in html
