"""What pages tell machines: JSON-LD, canonical URLs, robots, Open Graph and Twitter tags."""

import io
import json
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.contrib.flatpages.models import FlatPage
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import resolve
from django.utils import timezone
from PIL import Image as PILImage

from articles import previews, structured_data, workflow
from articles.models import (
    Article,
    ArticleType,
    Correction,
    Image,
    RelatedLink,
    State,
    Syndication,
)
from articles.tests.factories import (
    ArticleFactory,
    ContributionFactory,
    CorrectionFactory,
    CreditFactory,
    PublishedArticleFactory,
    RelatedLinkFactory,
    SectionFactory,
    SourceFactory,
)
from people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

# Absolute URLs name the public site (NEWSROOM_DOMAIN), whatever host the request came to.
SITE = "https://news.example"


@pytest.fixture(autouse=True)
def public_domain(settings):
    settings.NEWSROOM_DOMAIN = "news.example"


ORIGINAL = "https://agency.example/world/2024/03/01/harbour-reopens.html"


def make_image(width=1600, height=900, **fields) -> Image:
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), (40, 90, 160)).save(buffer, "JPEG")
    upload = SimpleUploadedFile("harbour.jpg", buffer.getvalue(), content_type="image/jpeg")
    fields.setdefault("alt_text", "Cranes over the harbour at dawn")
    return Image.objects.create(file=upload, **fields)


def soup_of(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def json_ld_blocks(soup) -> list[dict]:
    return [json.loads(s.string) for s in soup.find_all("script", type="application/ld+json")]


def article_json_ld(soup) -> dict:
    (block,) = json_ld_blocks(soup)
    return block


def meta(soup, key: str) -> str | None:
    """The content of a <meta> named ``key`` (name= or property=), or None."""
    tag = soup.find("meta", attrs={"property": key}) or soup.find("meta", attrs={"name": key})
    return tag["content"] if tag else None


def metas(soup, key: str) -> list[str]:
    return [t["content"] for t in soup.find_all("meta", attrs={"property": key})]


def canonical(soup) -> str | None:
    link = soup.find("link", rel="canonical")
    return link["href"] if link else None


# --- The sample story --------------------------------------------------------------------


def test_sample_story_json_ld_carries_every_field(client, sample_story):
    soup = soup_of(client.get(sample_story.get_absolute_url()))
    data = article_json_ld(soup)
    page = f"{SITE}{sample_story.get_absolute_url()}"

    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "ReportageNewsArticle"
    assert data["headline"] == "Xi: Build model general offices of Party, governments"
    assert data["description"] == sample_story.summary
    assert data["url"] == page
    assert data["mainEntityOfPage"] == {"@type": "WebPage", "@id": page}
    assert data["mainEntityOfPage"]["@id"] == canonical(soup)
    # Stored 00:55 UTC; given in the newsroom's time with its offset, as the page prints it.
    assert data["datePublished"] == "2023-09-15T08:55:00+08:00"
    assert data["dateModified"] >= data["datePublished"]
    assert data["author"] == [
        {
            "@type": "Person",
            "name": "Cao Desheng",
            "url": f"{SITE}/people/cao-desheng/",
            "jobTitle": "Reporter",
            "worksFor": {"@type": "Organization", "name": "China Daily"},
        }
    ]
    assert [(e["@type"], e["name"], e["url"]) for e in data["editor"]] == [
        ("Person", "Zhong Wenxing", f"{SITE}/people/zhong-wenxing/"),
        ("Person", "Liang Jun", f"{SITE}/people/liang-jun/"),
    ]
    assert data["articleSection"] == "Politics"
    assert data["keywords"] == ["Communist Party of China", "Governance", "Xi Jinping"]
    assert data["inLanguage"] == "en-US"
    assert data["isAccessibleForFree"] is True
    assert data["sourceOrganization"] == {
        "@type": "Organization",
        "name": "China Daily",
        "url": "https://www.chinadaily.com.cn/",
    }
    # China Daily's copy without an original address: not presented as a syndicated copy.
    assert "isBasedOn" not in data
    assert "correction" not in data
    assert "image" not in data


def test_publisher_logo_is_a_real_raster_of_the_stated_size(client, sample_story):
    data = article_json_ld(soup_of(client.get(sample_story.get_absolute_url())))
    publisher = data["publisher"]
    assert publisher["@type"] == "NewsMediaOrganization"
    assert publisher["name"] == "Newsroom"
    assert publisher["url"] == f"{SITE}/"
    assert publisher["publishingPrinciples"] == f"{SITE}/standards/"
    logo = publisher["logo"]
    assert logo["@type"] == "ImageObject"
    assert logo["url"] == f"{SITE}/static/img/logo.png"

    path = finders.find(logo["url"].removeprefix(f"{SITE}/static/"))
    with PILImage.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (logo["width"], logo["height"])
    # What schema.org's publisher logo wants: a wide mark fitting a 600x60 box.
    assert logo["width"] <= 600 and logo["height"] <= 60


def test_sample_story_page_carries_social_and_search_tags(client, sample_story):
    soup = soup_of(client.get(sample_story.get_absolute_url()))
    page = f"{SITE}{sample_story.get_absolute_url()}"

    assert meta(soup, "description") == sample_story.summary
    assert canonical(soup) == page
    assert "noindex" not in meta(soup, "robots")
    assert meta(soup, "og:type") == "article"
    assert meta(soup, "og:title") == sample_story.headline
    assert meta(soup, "og:description") == sample_story.summary
    assert meta(soup, "og:url") == page
    assert meta(soup, "og:site_name") == "Newsroom"
    assert meta(soup, "article:published_time") == "2023-09-15T08:55:00+08:00"
    assert meta(soup, "article:section") == "Politics"
    assert metas(soup, "article:tag") == ["Communist Party of China", "Governance", "Xi Jinping"]
    assert metas(soup, "article:author") == [f"{SITE}/people/cao-desheng/"]
    # No photo: the site's square mark stands in, on the small card.
    assert meta(soup, "og:image") == f"{SITE}/static/img/logo-square.png"
    assert meta(soup, "twitter:card") == "summary"
    assert meta(soup, "twitter:title") == sample_story.headline


def test_article_page_stays_within_its_query_budget(client, django_assert_max_num_queries):
    article = PublishedArticleFactory(lead_image=make_image(), source=SourceFactory())
    for _ in range(3):
        ContributionFactory(article=article)
        CreditFactory(article=article)
        CorrectionFactory(article=article)
        RelatedLinkFactory(article=article)
    article.tags.add("harbours", "shipping", "weather")
    with django_assert_max_num_queries(6):
        soup = soup_of(client.get(article.get_absolute_url()))
    data = article_json_ld(soup)
    assert len(data["author"]) == 3
    assert len(data["editor"]) == 3
    assert len(data["correction"]) == 3


def test_absolute_urls_name_the_public_site_whatever_host_was_asked(
    client, sample_story, settings
):
    # Reached on an internal address over plain HTTP (a health check, a proxy hop): the page
    # still names its one public address, as the feeds and sitemaps do.
    settings.ALLOWED_HOSTS = ["app-3.internal"]
    soup = soup_of(client.get(sample_story.get_absolute_url(), HTTP_HOST="app-3.internal"))
    data = article_json_ld(soup)
    assert canonical(soup) == f"{SITE}{sample_story.get_absolute_url()}"
    assert data["author"][0]["url"] == f"{SITE}/people/cao-desheng/"
    assert data["publisher"]["logo"]["url"].startswith(f"{SITE}/")


def test_lead_image_appears_as_image_object_and_large_social_card(client):
    image = make_image(caption="The harbour reopened on Friday.", credit="Photo: Li Wei")
    article = PublishedArticleFactory(lead_image=image)
    soup = soup_of(client.get(article.get_absolute_url()))
    url = f"{SITE}{image.file.url}"

    assert article_json_ld(soup)["image"] == [
        {
            "@type": "ImageObject",
            "url": url,
            "contentUrl": url,
            "width": 1600,
            "height": 900,
            "caption": "The harbour reopened on Friday.",
            "creditText": "Photo: Li Wei",
        }
    ]
    assert meta(soup, "og:image") == url
    assert meta(soup, "og:image:width") == "1600"
    assert meta(soup, "og:image:height") == "900"
    assert meta(soup, "og:image:alt") == "Cranes over the harbour at dawn"
    assert meta(soup, "twitter:card") == "summary_large_image"
    assert meta(soup, "twitter:image") == url
    assert meta(soup, "twitter:image:alt") == "Cranes over the harbour at dawn"


def rendition_set(name: str, sizes: list[tuple[int, int]]) -> dict:
    """An ``Image.renditions`` entry as ``articles.images`` records it."""
    return {
        "signature": "0123456789",
        "sizes": [
            {"width": w, "height": h, "webp": f"r/{name}-{w}.webp", "jpeg": f"r/{name}-{w}.jpg"}
            for w, h in sizes
        ],
    }


def test_renditions_offer_wide_card_and_square_jpegs(client):
    image = make_image(
        width=2400,
        height=1600,
        renditions={
            "lead": rendition_set("lead", [(480, 270), (800, 450), (1200, 675), (1600, 900)]),
            "card": rendition_set("card", [(320, 213), (640, 427)]),
            "square": rendition_set("square", [(160, 160), (320, 320), (480, 480)]),
            "full": rendition_set("full", [(480, 320), (960, 640)]),
        },
    )
    article = PublishedArticleFactory(lead_image=image)
    soup = soup_of(client.get(article.get_absolute_url()))

    images = article_json_ld(soup)["image"]
    # Wide at the 1,200 pixels large previews want; the widest card (3:2) and square.
    assert [(i["url"], i["width"], i["height"]) for i in images] == [
        (f"{SITE}/media/r/lead-1200.jpg", 1200, 675),
        (f"{SITE}/media/r/card-640.jpg", 640, 427),
        (f"{SITE}/media/r/square-480.jpg", 480, 480),
    ]
    assert all(i["caption"] == "Cranes over the harbour at dawn" for i in images)
    assert meta(soup, "og:image") == f"{SITE}/media/r/lead-1200.jpg"
    assert meta(soup, "og:image:width") == "1200"
    assert meta(soup, "og:image:height") == "675"
    assert meta(soup, "twitter:card") == "summary_large_image"


def test_headline_is_cut_to_googles_limit_in_json_ld_only(client):
    headline = " ".join(["Harbour"] * 30)
    article = PublishedArticleFactory(headline=headline)
    soup = soup_of(client.get(article.get_absolute_url()))
    data = article_json_ld(soup)
    assert len(data["headline"]) <= structured_data.HEADLINE_MAX
    assert data["headline"].endswith("…")
    assert headline.startswith(data["headline"].removesuffix("…").rstrip())
    assert meta(soup, "og:title") == headline


@pytest.mark.parametrize(
    ("article_type", "schema_type"),
    [
        (ArticleType.NEWS, "ReportageNewsArticle"),
        (ArticleType.ANALYSIS, "AnalysisNewsArticle"),
        (ArticleType.OPINION, "OpinionNewsArticle"),
        (ArticleType.EXPLAINER, "BackgroundNewsArticle"),
        (ArticleType.REVIEW, "ReviewNewsArticle"),
        (ArticleType.FEATURE, "NewsArticle"),
        (ArticleType.INTERVIEW, "NewsArticle"),
        (ArticleType.OBITUARY, "NewsArticle"),
        (ArticleType.SPONSORED, "AdvertiserContentArticle"),
    ],
)
def test_article_type_label_maps_to_schema_type(client, article_type, schema_type):
    article = PublishedArticleFactory(article_type=article_type, dateline_place="Ningbo")
    data = article_json_ld(soup_of(client.get(article.get_absolute_url())))
    assert data["@type"] == schema_type
    # dateline belongs to NewsArticle; sponsored copy is a plain Article.
    assert data.get("dateline") == ("Ningbo" if schema_type.endswith("NewsArticle") else None)


def test_credits_that_are_not_editing_are_contributors(client):
    article = PublishedArticleFactory()
    CreditFactory(article=article, person__name="Amy Web", role="Web editor")
    CreditFactory(article=article, person__name="Pat Photo", role="Photographer")
    CreditFactory(article=article, person__name="Copy Chief", role="Copy Editor")
    data = article_json_ld(soup_of(client.get(article.get_absolute_url())))
    assert [e["name"] for e in data["editor"]] == ["Amy Web", "Copy Chief"]
    assert [c["name"] for c in data["contributor"]] == ["Pat Photo"]


def test_several_bylines_are_authors_in_printed_order(client):
    article = PublishedArticleFactory()
    for position, name in enumerate(["Ana", "Ben", "Chen"]):
        ContributionFactory(article=article, person__name=name, position=position)
    data = article_json_ld(soup_of(client.get(article.get_absolute_url())))
    assert [a["name"] for a in data["author"]] == ["Ana", "Ben", "Chen"]


def test_corrections_and_clarifications_are_correction_comments(client):
    article = PublishedArticleFactory()
    when = timezone.now() - timedelta(minutes=30)
    CorrectionFactory(
        article=article,
        kind=Correction.Kind.CORRECTION,
        text="An earlier version gave the wrong date.",
        created_at=when,
    )
    CorrectionFactory(
        article=article,
        kind=Correction.Kind.CLARIFICATION,
        text="The figures are for 2023.",
        created_at=when + timedelta(minutes=5),
    )
    CorrectionFactory(article=article, kind=Correction.Kind.UPDATE, text="Adds the toll.")

    data = article_json_ld(soup_of(client.get(article.get_absolute_url())))

    assert data["correction"] == [
        {
            "@type": "CorrectionComment",
            "name": "Clarification",
            "text": "The figures are for 2023.",
            "datePublished": structured_data.iso(when + timedelta(minutes=5)),
        },
        {
            "@type": "CorrectionComment",
            "name": "Correction",
            "text": "An earlier version gave the wrong date.",
            "datePublished": structured_data.iso(when),
        },
    ]
    assert "+08:00" in data["correction"][0]["datePublished"]


def test_date_modified_never_precedes_date_published(client):
    # Edited the day before its scheduled time, which has now come.
    article = PublishedArticleFactory(published_at=timezone.now() - timedelta(minutes=5))
    Article.objects.filter(pk=article.pk).update(updated_at=timezone.now() - timedelta(days=1))
    data = article_json_ld(soup_of(client.get(article.get_absolute_url())))
    assert data["dateModified"] == data["datePublished"]


def test_description_falls_back_to_deck_then_to_the_opening(client):
    with_deck = PublishedArticleFactory(summary="", deck="Ferries run again after the storm.")
    bare = PublishedArticleFactory(
        summary="", deck="", body="<p>The <b>harbour</b> reopened.</p><p>Ships queued.</p>"
    )
    soup = soup_of(client.get(with_deck.get_absolute_url()))
    assert meta(soup, "description") == "Ferries run again after the storm."
    assert article_json_ld(soup)["description"] == "Ferries run again after the storm."
    soup = soup_of(client.get(bare.get_absolute_url()))
    assert meta(soup, "description") == "The harbour reopened. Ships queued."


# --- Syndicated copy ---------------------------------------------------------------------


def test_syndicated_story_with_canonical_treatment_points_to_the_original(client):
    source = SourceFactory(name="Harbour Wire", url="https://agency.example/")
    article = PublishedArticleFactory(
        source=source, original_url=ORIGINAL, syndication=Syndication.CANONICAL
    )
    soup = soup_of(client.get(article.get_absolute_url()))
    data = article_json_ld(soup)

    assert canonical(soup) == ORIGINAL
    assert meta(soup, "og:url") == ORIGINAL
    assert "noindex" not in meta(soup, "robots")
    assert data["isBasedOn"] == ORIGINAL
    assert data["mainEntityOfPage"]["@id"] == ORIGINAL
    assert data["sourceOrganization"] == {
        "@type": "Organization",
        "name": "Harbour Wire",
        "url": "https://agency.example/",
    }


def test_syndicated_story_with_noindex_treatment_stays_out_of_search(client):
    article = PublishedArticleFactory(
        source=SourceFactory(), original_url=ORIGINAL, syndication=Syndication.NOINDEX
    )
    soup = soup_of(client.get(article.get_absolute_url()))
    own = f"{SITE}{article.get_absolute_url()}"
    data = article_json_ld(soup)

    assert meta(soup, "robots") == "noindex"
    # A canonical would contradict noindex: none at all.
    assert canonical(soup) is None
    assert meta(soup, "og:url") == own
    assert data["isBasedOn"] == ORIGINAL
    assert data["mainEntityOfPage"]["@id"] == own
    assert data["sourceOrganization"]["name"] == article.source.name


def test_syndication_choice_means_nothing_without_an_original_url(client):
    article = PublishedArticleFactory(original_url="", syndication=Syndication.NOINDEX)
    soup = soup_of(client.get(article.get_absolute_url()))
    assert canonical(soup) == f"{SITE}{article.get_absolute_url()}"
    assert "noindex" not in meta(soup, "robots")
    assert "isBasedOn" not in article_json_ld(soup)


# --- Safety --------------------------------------------------------------------------------


def test_headline_cannot_break_out_of_the_json_ld_script(client):
    attack = "Harbour </script><script>alert(1)</script> & <!-- more"
    article = PublishedArticleFactory(headline=attack, summary='Said "no" </script>')
    response = client.get(article.get_absolute_url())
    html = response.content.decode()
    soup = soup_of(response)

    assert "<script>alert(1)" not in html
    scripts = soup.find_all("script")
    assert [s.get("type") for s in scripts] == ["application/ld+json"]
    data = json.loads(scripts[0].string)
    assert data["headline"] == attack
    assert data["description"] == 'Said "no" </script>'
    assert "<" not in scripts[0].string and "&" not in scripts[0].string
    assert meta(soup, "og:title") == attack


def test_json_ld_script_escapes_markup_characters():
    script = structured_data.json_ld_script({"headline": "</script><b>&"})
    assert script == (
        '<script type="application/ld+json">'
        '{"headline":"\\u003C/script\\u003E\\u003Cb\\u003E\\u0026"}</script>'
    )


# --- Unpublished content is never described ------------------------------------------------


def unpublished_stories() -> list[Article]:
    """A draft, a story in review, a scheduled story and a withdrawn one, each tagged and
    bylined like the live story so they would show on the same pages if anything leaked.
    """
    later = timezone.now() + timedelta(hours=1)
    return [
        ArticleFactory(headline="Secret draft about the harbour", state=State.DRAFT),
        ArticleFactory(headline="Harbour story in review", state=State.REVIEW),
        PublishedArticleFactory(headline="Embargoed harbour report", published_at=later),
        PublishedArticleFactory(headline="Withdrawn harbour claim", state=State.WITHDRAWN),
    ]


def test_unpublished_stories_never_appear_in_any_json_ld(client):
    person = PersonFactory(name="Lin Hai", slug="lin-hai")
    section = SectionFactory(name="Ports", slug="ports")
    live = PublishedArticleFactory(headline="Harbour reopens", section=section)
    hidden = unpublished_stories()
    for story in [live, *hidden]:
        story.section = section
        story.save()
        ContributionFactory(article=story, person=person)
        story.tags.add("harbours")
        RelatedLinkFactory(article=live, target=story)

    pages = ["/", "/ports/", "/tags/harbours/", "/people/lin-hai/", live.get_absolute_url()]
    # The live story's own page describes it, so the check below has something to look at.
    assert "Harbour reopens" in json.dumps(json_ld_blocks(soup_of(client.get(pages[-1]))))
    for url in pages:
        soup = soup_of(client.get(url))
        blocks = json.dumps(json_ld_blocks(soup))
        for story in hidden:
            assert story.headline not in blocks, (url, story.headline)
            assert story.slug not in blocks, (url, story.headline)


def test_related_links_are_not_carried_in_json_ld(client):
    article = PublishedArticleFactory()
    visible = RelatedLinkFactory(article=article)
    RelatedLink.objects.create(article=article, url="https://elsewhere.example/", title="Else")
    soup = soup_of(client.get(article.get_absolute_url()))
    blocks = json.dumps(json_ld_blocks(soup))
    # The page lists them for readers; the structured data names only this story.
    assert visible.target.headline in soup.select_one(".related").get_text()
    assert visible.target.headline not in blocks
    assert "elsewhere.example" not in blocks


def test_share_link_preview_has_no_canonical_social_tags_or_json_ld(client, editor):
    draft = ArticleFactory(headline="Harbour deal near", summary="Talks resume.")
    ContributionFactory(article=draft)
    link = previews.make_link(draft, by=editor, expires_in=timedelta(days=1))
    soup = soup_of(client.get(previews.url_for(link)))

    assert json_ld_blocks(soup) == []
    assert canonical(soup) is None
    assert meta(soup, "og:url") is None
    assert meta(soup, "og:title") is None
    assert meta(soup, "twitter:card") is None
    assert meta(soup, "robots") == "noindex, nofollow"


def test_admin_preview_of_a_scheduled_story_is_not_described(client, publisher):
    article = PublishedArticleFactory(published_at=timezone.now() + timedelta(hours=2))
    client.force_login(publisher)
    soup = soup_of(client.get(f"/admin/articles/article/{article.pk}/preview/"))
    assert soup.select_one(".preview-banner")
    assert json_ld_blocks(soup) == []
    assert canonical(soup) is None
    assert meta(soup, "og:type") is None


def test_withdrawn_story_notice_has_no_structured_data(client, publisher):
    story = ArticleFactory(headline="Claim about the harbour")
    for step in (workflow.submit, workflow.approve, workflow.publish):
        step(story, by=publisher)
    workflow.withdraw(story, by=publisher, notice="The claim was false.")
    response = client.get(story.get_absolute_url())
    assert response.status_code == 410
    soup = BeautifulSoup(response.content, "html.parser")
    assert json_ld_blocks(soup) == []
    assert canonical(soup) is None
    assert meta(soup, "og:title") is None
    assert meta(soup, "robots") == "noindex"
    assert story.summary not in (meta(soup, "description") or "")


# --- Other pages ---------------------------------------------------------------------------


def test_home_page_describes_the_site_and_its_publisher(client):
    soup = soup_of(client.get("/?utm_source=newsletter"))
    assert canonical(soup) == f"{SITE}/"
    assert meta(soup, "og:type") == "website"
    assert meta(soup, "og:url") == f"{SITE}/"
    assert meta(soup, "description") == "The latest stories from Newsroom."
    (block,) = json_ld_blocks(soup)
    website, organization = block["@graph"]
    assert website["@type"] == "WebSite"
    assert website["url"] == f"{SITE}/"
    assert website["publisher"] == {"@id": organization["@id"]}
    assert organization["@type"] == "NewsMediaOrganization"
    assert organization["logo"]["url"] == f"{SITE}/static/img/logo-square.png"


def test_site_description_comes_from_settings(client, settings):
    settings.NEWSROOM_DESCRIPTION = "Independent news from the Pearl River Delta."
    soup = soup_of(client.get("/"))
    assert meta(soup, "description") == "Independent news from the Pearl River Delta."
    assert meta(soup, "og:description") == "Independent news from the Pearl River Delta."


def test_section_tag_and_person_pages_are_canonical_at_their_own_address(client, sample_story):
    for path, title in [
        ("/politics/", "Politics"),
        ("/tags/governance/", "Governance"),
        ("/people/cao-desheng/", "Cao Desheng"),
    ]:
        soup = soup_of(client.get(f"{path}?utm_campaign=share"))
        assert canonical(soup) == f"{SITE}{path}", path
        assert meta(soup, "og:url") == f"{SITE}{path}", path
        assert meta(soup, "og:title") == title, path
        assert meta(soup, "twitter:card") == "summary", path
        assert meta(soup, "description"), path
    soup = soup_of(client.get("/politics/"))
    assert meta(soup, "description") == "Government, parties and power."


def test_later_pages_of_a_listing_keep_their_page_number(client):
    section = SectionFactory(name="Ports", slug="ports")
    PublishedArticleFactory.create_batch(21, section=section)
    soup = soup_of(client.get("/ports/?page=2&utm_source=x"))
    assert canonical(soup) == f"{SITE}/ports/?page=2"
    soup = soup_of(client.get("/ports/?page=1"))
    assert canonical(soup) == f"{SITE}/ports/"


def test_person_page_is_a_profile_page(client, sample_story):
    soup = soup_of(client.get("/people/cao-desheng/"))
    assert meta(soup, "og:type") == "profile"
    (profile,) = json_ld_blocks(soup)
    assert profile["@type"] == "ProfilePage"
    assert profile["mainEntity"] == {
        "@type": "Person",
        "name": "Cao Desheng",
        "url": f"{SITE}/people/cao-desheng/",
        "jobTitle": "Reporter",
        "worksFor": {"@type": "Organization", "name": "China Daily"},
    }
    assert meta(soup, "description") == "Cao Desheng, Reporter, China Daily: stories on Newsroom."


def test_person_photo_is_their_social_image(client):
    photo = make_image(800, 800, renditions={"square": rendition_set("sq", [(480, 480)])})
    PersonFactory(name="Lin Hai", slug="lin-hai", photo=photo)
    soup = soup_of(client.get("/people/lin-hai/"))
    url = f"{SITE}/media/r/sq-480.jpg"
    assert meta(soup, "og:image") == url
    assert json_ld_blocks(soup)[0]["mainEntity"]["image"]["url"] == url
    # A portrait suits the small card.
    assert meta(soup, "twitter:card") == "summary"


def test_search_results_are_kept_out_of_the_index_without_a_canonical(client, sample_story):
    soup = soup_of(client.get("/search/?q=offices"))
    assert meta(soup, "robots") == "noindex, follow"
    assert canonical(soup) is None
    assert meta(soup, "og:url") is None
    assert json_ld_blocks(soup) == []


def render_head(path: str, **context) -> BeautifulSoup:
    request = RequestFactory().get(path)
    request.resolver_match = resolve(path)
    html = render_to_string("includes/page_meta.html", context, request=request)
    return BeautifulSoup(html, "html.parser")


def test_any_page_may_name_its_title_description_and_robots():
    soup = render_head("/ports/", meta_title="Archive", meta_description="Every story by day.")
    assert meta(soup, "og:title") == "Archive"
    assert meta(soup, "description") == "Every story by day."
    assert canonical(soup) == f"{SITE}/ports/"

    soup = render_head("/ports/", meta_robots="noindex, follow", meta_description="Hidden.")
    assert meta(soup, "robots") == "noindex, follow"
    assert meta(soup, "description") == "Hidden."
    assert canonical(soup) is None
    assert json_ld_blocks(soup) == []


def test_standards_page_is_described_from_its_own_text():
    page = FlatPage.objects.get(url="/standards/")
    soup = render_head("/ports/", flatpage=page)
    assert meta(soup, "og:title") == "Standards and corrections policy"
    assert meta(soup, "description").startswith(
        "We aim to be accurate, fair and clear about how we work. Corrections When we get"
    )
    assert canonical(soup) == f"{SITE}/ports/"


def test_only_the_icons_are_printed_without_a_request():
    # As on the server-error page, which is rendered without a request.
    soup = BeautifulSoup(render_to_string("includes/page_meta.html", {}), "html.parser")
    assert [tag.name for tag in soup.find_all(True)] == ["link", "link"]


def test_page_not_found_has_no_canonical(client):
    for path in ["/people/nobody-at-all/", "/no/such/address/here/"]:
        response = client.get(path)
        assert response.status_code == 404
        soup = BeautifulSoup(response.content, "html.parser")
        assert meta(soup, "robots") == "noindex", path
        assert canonical(soup) is None, path
        assert meta(soup, "og:url") is None, path
        assert json_ld_blocks(soup) == [], path


def test_standards_page_is_canonical_at_its_address(client):
    soup = soup_of(client.get("/standards/"))
    assert canonical(soup) == f"{SITE}/standards/"
    assert meta(soup, "og:title") == "Standards and corrections policy"
    assert meta(soup, "description").startswith("We aim to be accurate, fair and clear")


def test_every_page_names_its_icons_so_browsers_skip_favicon_ico(client, sample_story):
    for path in ["/", sample_story.get_absolute_url(), "/no/such/address/here/"]:
        soup = BeautifulSoup(client.get(path).content, "html.parser")
        assert soup.find("link", rel="icon")["href"] == "/static/img/favicon.png", path
        touch = soup.find("link", rel="apple-touch-icon")
        assert touch["href"] == "/static/img/apple-touch-icon.png", path
    for name, size in [("favicon.png", (32, 32)), ("apple-touch-icon.png", (180, 180))]:
        with PILImage.open(finders.find(f"img/{name}")) as image:
            assert image.size == size
