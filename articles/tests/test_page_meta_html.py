"""The page's meta tags are printed in Python (``PageMeta.head_html()``); every kind of page
prints exactly what the template they replaced printed. That template is kept here, and each
page is rendered once with it and once as the site renders it: the bytes must match.
"""

import copy
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from articles import previews
from articles.models import Image, Syndication
from articles.tests.factories import (
    ArticleFactory,
    ContributionFactory,
    PublishedArticleFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db

# includes/page_meta.html as it was, printing every tag with template syntax.
TEMPLATE_PRINTED = (Path(__file__).parent / "data" / "page_meta_template_printed.html").read_text()


@pytest.fixture
def with_template_printed_meta(settings):
    """Switch the site to the template above for includes/page_meta.html."""

    def switch():
        engine = copy.deepcopy(settings.TEMPLATES[0])
        engine["APP_DIRS"] = False
        engine["OPTIONS"]["loaders"] = [
            (
                "django.template.loaders.locmem.Loader",
                {"includes/page_meta.html": TEMPLATE_PRINTED},
            ),
            "django.template.loaders.filesystem.Loader",
            "django.template.loaders.app_directories.Loader",
        ]
        settings.TEMPLATES = [engine, *settings.TEMPLATES[1:]]

    return switch


def image(**fields) -> Image:
    buffer = io.BytesIO()
    PILImage.new("RGB", (1600, 900), (40, 90, 160)).save(buffer, "JPEG")
    upload = SimpleUploadedFile("harbour.jpg", buffer.getvalue(), content_type="image/jpeg")
    return Image.objects.create(file=upload, **fields)


def test_every_kind_of_page_prints_the_same_tags(
    client, settings, sample_story, editor, with_template_printed_meta
):
    settings.NEWSROOM_DOMAIN = "news.example"
    pictured = PublishedArticleFactory(
        headline='Cranes & "quotes" <at> dawn',
        lead_image=image(alt_text="Cranes over the harbour", caption="At dawn"),
    )
    unlabelled = PublishedArticleFactory(lead_image=image(alt_text=""))
    syndicated = PublishedArticleFactory(
        source=SourceFactory(name="Harbour Wire", url="https://agency.example/"),
        original_url="https://agency.example/a.html",
        syndication=Syndication.CANONICAL,
    )
    kept_out = PublishedArticleFactory(
        source=SourceFactory(),
        original_url="https://agency.example/b.html",
        syndication=Syndication.NOINDEX,
    )
    draft = ArticleFactory()
    ContributionFactory(article=draft)
    share = previews.url_for(previews.make_link(draft, by=editor, expires_in=timedelta(days=1)))
    byline = sample_story.bylines[0].person
    addresses = [
        "/",
        "/?page=2",
        sample_story.get_absolute_url(),
        pictured.get_absolute_url(),
        unlabelled.get_absolute_url(),
        syndicated.get_absolute_url(),
        kept_out.get_absolute_url(),
        sample_story.section.get_absolute_url(),
        sample_story.tag_list[0].get_absolute_url(),
        byline.get_absolute_url(),
        "/search/?q=offices",
        "/no-such-page/",
        "/standards/",
        share,
    ]
    printed = {url: client.get(url) for url in addresses}
    with_template_printed_meta()
    for url, response in printed.items():
        before = client.get(url)
        assert before.status_code == response.status_code, url
        assert b'<meta name="description"' in response.content, url
        assert response.content == before.content, url
