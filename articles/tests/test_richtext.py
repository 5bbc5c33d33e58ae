"""The body editor and the server-side sanitiser, end to end through the admin."""

import pytest
from django.urls import reverse

from articles.forms import BODY_EDITOR_EXTENSIONS, ArticleAdminForm
from articles.models import Article
from articles.richtext import ALLOWED_TAGS, sanitize_html
from articles.tests.factories import SectionFactory

pytestmark = pytest.mark.django_db

XSS_PAYLOADS = [
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="&#106;avascript:alert(1)">click</a>',
    '<p onmouseover="alert(1)">hover</p>',
    '<svg onload="alert(1)"><circle /></svg>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<div style="background-image:url(javascript:alert(1))">styled</div>',
    '<math><mi xlink:href="javascript:alert(1)">m</mi></math>',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    "<<script>script>alert(1)<</script>/script>",
]


def assert_harmless(html: str) -> None:
    lowered = html.lower()
    for needle in ("<script", "onerror", "onload", "onmouseover", "javascript:", "data:text",
                   "<iframe", "<svg", "<form", "style=", "<math"):  # fmt: skip
        assert needle not in lowered, (needle, html)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_sanitiser_neutralises_xss(payload):
    assert_harmless(sanitize_html(f"<p>before</p>{payload}<p>after</p>"))


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_admin_save_stores_only_clean_html(admin_client, payload):
    section = SectionFactory()
    url = reverse("admin:articles_article_add")
    inlines = admin_client.get(url).context["inline_admin_formsets"]
    management = {
        f"{inline.formset.prefix}-{key}": 0
        for inline in inlines
        for key in ("TOTAL_FORMS", "INITIAL_FORMS")
    }
    response = admin_client.post(
        url,
        {
            "headline": "Payload story",
            "body": f"<p>Kept paragraph.</p>{payload}",
            "section": section.pk,
            "article_type": "news",
            **management,
        },
    )
    assert response.status_code == 302
    body = Article.objects.get(headline="Payload story").body
    assert "<p>Kept paragraph.</p>" in body
    assert_harmless(body)


def test_editor_toolbar_offers_only_what_the_sanitiser_keeps():
    # Every element the editor can produce survives the server's allow-list, and nothing more
    # is offered: headings 2-4, bold, italic, links, lists, blockquotes, line breaks.
    assert set(BODY_EDITOR_EXTENSIONS) == {
        "Bold", "Italic", "Heading", "Link", "BulletList", "OrderedList", "ListItem",
        "Blockquote", "HardBreak",
    }  # fmt: skip
    produced = {"strong", "em", "h2", "h3", "h4", "a", "ul", "ol", "li", "blockquote", "br", "p"}
    assert produced <= ALLOWED_TAGS


def test_body_widget_is_the_rich_text_editor_served_locally():
    form = ArticleAdminForm()
    widget_html = str(form["body"])
    assert "data-django-prose-editor" in widget_html
    media = str(form.media)
    assert "django_prose_editor/editor.js" in media
    assert "//" not in media.replace("/static/", "")  # no external hosts
