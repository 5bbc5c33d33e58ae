"""The public pages: home, section, tag and article pages, the standards page and the layout.

Each page shows what it should, never an unpublished story (draft, in review, scheduled,
withdrawn), pages through long lists, and costs a fixed number of queries.
"""

import io
import re
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.contrib.flatpages.models import FlatPage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image as PILImage

from articles.models import Article, ArticleType, Correction, Image, State
from articles.tests.factories import (
    ArticleFactory,
    ContributionFactory,
    CorrectionFactory,
    CreditFactory,
    PublishedArticleFactory,
    RelatedLinkFactory,
    SectionFactory,
)
from newsroom.views import PAGE_SIZE, SECTION_BLOCK_SIZE

pytestmark = pytest.mark.django_db


def text_of(node) -> str:
    return re.sub(r"\s+", " ", node.get_text()).strip()


def soup_of(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def get(client, url: str) -> BeautifulSoup:
    return soup_of(client.get(url))


def headlines(soup) -> list[str]:
    return [text_of(a) for a in soup.select(".story-item__headline a")]


def make_image(alt="Fishing boats in the harbour at dawn") -> Image:
    buffer = io.BytesIO()
    PILImage.new("RGB", (1200, 800), (40, 90, 160)).save(buffer, "JPEG")
    upload = SimpleUploadedFile("harbour.jpg", buffer.getvalue(), content_type="image/jpeg")
    return Image.objects.create(file=upload, alt_text=alt, caption="Boats at dawn.")


@pytest.fixture
def hidden_stories():
    """One story of each kind readers must not see, in one section and one tag."""
    section = SectionFactory(name="World", slug="world")
    stories = {
        "draft": ArticleFactory(state=State.DRAFT, section=section, headline="Draft story"),
        "in review": ArticleFactory(state=State.REVIEW, section=section, headline="Review story"),
        "ready": ArticleFactory(state=State.READY, section=section, headline="Ready story"),
        "scheduled": PublishedArticleFactory(
            section=section,
            headline="Scheduled story",
            published_at=timezone.now() + timedelta(hours=1),
        ),
        "withdrawn": PublishedArticleFactory(
            state=State.WITHDRAWN, section=section, headline="Withdrawn story"
        ),
    }
    for story in stories.values():
        story.tags.add("harbours")
    return stories


def assert_hidden_absent(soup, hidden_stories):
    page = soup.get_text()
    for kind, story in hidden_stories.items():
        assert story.headline not in page, kind
        assert not soup.find("a", href=story.get_absolute_url()), kind


def build_stories(count: int, section=None) -> list:
    """``count`` published stories, an hour apart, each with two bylines, a credit and tags."""
    now = timezone.now()
    stories = []
    for i in range(count):
        story = PublishedArticleFactory(
            section=section or SectionFactory(),
            published_at=now - timedelta(hours=i + 1),
        )
        ContributionFactory(article=story, position=1)
        ContributionFactory(article=story, position=2)
        CreditFactory(article=story)
        story.tags.add("harbours", f"topic {i}")
        stories.append(story)
    return stories


# --- Layout -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["home", "section", "tag", "article", "standards"])
def test_every_page_has_landmarks_one_h1_a_skip_link_and_alt_text(client, name):
    story = PublishedArticleFactory(lead_image=make_image())
    story.tags.add("harbours")
    url = {
        "home": "/",
        "section": story.section.get_absolute_url(),
        "tag": "/tags/harbours/",
        "article": story.get_absolute_url(),
        "standards": "/standards/",
    }[name]
    soup = get(client, url)
    assert len(soup.find_all("h1")) == 1
    for landmark in ("header", "nav", "main", "footer"):
        assert soup.find(landmark), landmark
    skip = soup.find("a", class_="skip-link")
    assert skip is soup.find("body").find("a")  # the first thing a keyboard reaches
    assert soup.find(id=skip["href"].lstrip("#")).name == "main"
    assert all(img.get("alt") for img in soup.find_all("img"))
    assert soup.find("html")["lang"] == "en"


def test_layout_makes_no_request_elsewhere_and_needs_no_script(client):
    story = PublishedArticleFactory(lead_image=make_image())
    for url in ("/", story.get_absolute_url()):
        soup = get(client, url)
        assert soup.find("script", src=True) is None
        for tag, attr in (("link", "href"), ("img", "src"), ("source", "srcset")):
            for node in soup.find_all(tag):
                if tag == "link" and node.get("rel") in (["canonical"], ["alternate"]):
                    continue  # addresses of this site for crawlers, not fetched by the page
                assert not node[attr].startswith(("http:", "https:", "//")), node


def test_header_has_a_search_form_and_section_navigation(client):
    SectionFactory(name="World", slug="world", position=1)
    SectionFactory(name="Business", slug="business", position=2)
    soup = get(client, "/")
    form = soup.select_one("header form[role=search]")
    assert form["method"] == "get"
    assert form["action"] == reverse("search")
    field = form.find("input", attrs={"name": "q"})
    assert soup.find("label", attrs={"for": field["id"]})
    nav = soup.find("nav", attrs={"aria-label": "Sections"})
    assert [(text_of(a), a["href"]) for a in nav.find_all("a")] == [
        ("World", "/world/"),
        ("Business", "/business/"),
    ]


def test_footer_links_the_archive_and_the_standards_page(client):
    footer = get(client, "/").find("footer")
    links = {text_of(a): a["href"] for a in footer.find_all("a")}
    assert links["Archive"] == "/archive/"
    assert links["Standards and corrections policy"] == "/standards/"


def test_navigation_marks_the_current_section(client):
    story = PublishedArticleFactory(section=SectionFactory(name="World", slug="world"))
    SectionFactory(name="Sport", slug="sport")
    nav = get(client, "/world/").find("nav", attrs={"aria-label": "Sections"})
    assert nav.find("a", href="/world/")["aria-current"] == "page"
    assert not nav.find("a", href="/sport/").has_attr("aria-current")
    nav = get(client, story.get_absolute_url()).find("nav", attrs={"aria-label": "Sections"})
    assert nav.find("a", href="/world/")["aria-current"] == "true"


# --- Home -------------------------------------------------------------------------------------


def test_home_leads_with_the_newest_story_then_the_latest(client):
    now = timezone.now()
    older = PublishedArticleFactory(published_at=now - timedelta(days=1), headline="Older")
    lead = PublishedArticleFactory(
        published_at=now - timedelta(minutes=5),
        headline="Lead",
        summary="What the lead story is about.",
        lead_image=make_image(),
    )
    soup = get(client, "/")
    top = soup.select_one(".lead-story .story-item--lead")
    assert text_of(top.select_one(".story-item__headline")) == "Lead"
    assert top.select_one(".story-item__headline a")["href"] == lead.get_absolute_url()
    assert text_of(top.select_one(".story-item__summary")) == "What the lead story is about."
    assert (
        top.select_one(".story-item__image img")["alt"] == "Fishing boats in the harbour at dawn"
    )
    assert headlines(soup.select_one(".latest")) == ["Older"]
    assert older.get_absolute_url() in [a["href"] for a in soup.select(".latest a")]


def test_home_shows_each_sections_newest_stories_once(client):
    now = timezone.now()
    world = SectionFactory(name="World", slug="world", position=1)
    sport = SectionFactory(name="Sport", slug="sport", position=2)
    SectionFactory(name="Empty", slug="empty", position=3)
    # The 20 newest fill the latest list; the older ones feed the section blocks.
    for i in range(PAGE_SIZE):
        PublishedArticleFactory(section=world, published_at=now - timedelta(minutes=i + 1))
    older = [
        PublishedArticleFactory(
            section=section,
            headline=f"{section.name} {i}",
            published_at=now - timedelta(days=i + 1),
        )
        for i in range(SECTION_BLOCK_SIZE + 1)
        for section in (sport, world)
    ]
    soup = get(client, "/")
    blocks = soup.select(".section-block")
    assert [text_of(b.find("h2")) for b in blocks] == ["World", "Sport"]
    assert headlines(blocks[0]) == [f"World {i}" for i in range(SECTION_BLOCK_SIZE)]
    assert headlines(blocks[1]) == [f"Sport {i}" for i in range(SECTION_BLOCK_SIZE)]
    assert blocks[1].select_one(".section-block__more a")["href"] == "/sport/"
    shown = [a["href"] for a in soup.select(".story-item__headline a")]
    assert len(shown) == len(set(shown)) == PAGE_SIZE + 2 * SECTION_BLOCK_SIZE
    assert older[-1].headline not in soup.get_text()


def test_home_is_paginated_and_later_pages_carry_on_down_the_latest(client):
    stories = build_stories(PAGE_SIZE + 3)
    first = get(client, "/")
    assert len(headlines(first.select_one(".front"))) == PAGE_SIZE
    assert first.select_one(".pagination a[rel=next]")["href"] == "?page=2"
    second = get(client, "/?page=2")
    assert headlines(second) == [story.headline for story in stories[PAGE_SIZE:]]
    assert second.select_one(".lead-story") is None
    assert second.select_one(".section-block") is None
    assert second.select_one(".pagination a[rel=prev]")["href"] == "/"
    assert client.get("/?page=3").status_code == 404


def test_home_leaves_out_unpublished_stories(client, hidden_stories):
    live = PublishedArticleFactory(section=hidden_stories["draft"].section)
    soup = get(client, "/")
    assert live.headline in soup.get_text()
    assert_hidden_absent(soup, hidden_stories)


def test_home_section_blocks_leave_out_unpublished_stories(client, hidden_stories):
    build_stories(PAGE_SIZE)  # the latest list is full: older stories go to the blocks
    world = hidden_stories["draft"].section
    older = PublishedArticleFactory(
        section=world, headline="Older live story", published_at=timezone.now() - timedelta(days=9)
    )
    # Dated just before it, so only the visibility rule keeps them out of World's block.
    for kind, story in hidden_stories.items():
        if kind != "scheduled":
            Article.objects.filter(pk=story.pk).update(
                published_at=older.published_at - timedelta(hours=1)
            )
    soup = get(client, "/")
    (block,) = [b for b in soup.select(".section-block") if text_of(b.find("h2")) == "World"]
    assert headlines(block) == ["Older live story"]
    assert_hidden_absent(soup, hidden_stories)


def test_home_without_stories_says_so(client):
    soup = get(client, "/")
    assert "No stories yet." in soup.get_text()
    assert len(soup.find_all("h1")) == 1


@pytest.mark.parametrize("count", [1, 30])
def test_home_query_budget_is_fixed(client, django_assert_max_num_queries, count):
    build_stories(count)
    # page count and the next scheduled publication (kept until the content changes);
    # latest stories and section blocks; their bylines; navigation sections (kept too)
    with django_assert_max_num_queries(5):
        soup = get(client, "/")
    with django_assert_max_num_queries(2):
        assert get(client, "/").select(".story-item__headline") == soup.select(
            ".story-item__headline"
        )
    # Each story has a section of its own: those beyond the latest fill the section blocks.
    assert len(headlines(soup)) == count
    assert all(" · By " in text_of(m) for m in soup.select(".story-item__meta"))


# --- Section and tag pages --------------------------------------------------------------------


def test_section_page_lists_its_published_stories(client, hidden_stories):
    section = hidden_stories["draft"].section
    section.description = "News from around the world."
    section.save()
    live = PublishedArticleFactory(section=section, headline="Harbour reopens")
    elsewhere = PublishedArticleFactory(headline="Elsewhere")
    soup = get(client, "/world/")
    assert text_of(soup.find("h1")) == "World"
    assert "News from around the world." in soup.get_text()
    assert headlines(soup) == ["Harbour reopens"]
    assert soup.select_one(".story-item__headline a")["href"] == live.get_absolute_url()
    assert elsewhere.headline not in soup.get_text()
    assert_hidden_absent(soup, hidden_stories)


def test_tag_page_lists_published_stories_with_the_tag(client, hidden_stories):
    live = PublishedArticleFactory(headline="Harbour reopens")
    live.tags.add("harbours")
    PublishedArticleFactory(headline="Untagged")
    soup = get(client, "/tags/harbours/")
    assert text_of(soup.find("h1")) == "Stories tagged “harbours”"
    assert headlines(soup) == ["Harbour reopens"]
    assert_hidden_absent(soup, hidden_stories)


@pytest.mark.parametrize("url", ["/world/", "/tags/harbours/"])
def test_section_and_tag_pages_are_paginated(client, url):
    stories = build_stories(PAGE_SIZE + 2, section=SectionFactory(name="World", slug="world"))
    first = get(client, url)
    assert headlines(first) == [s.headline for s in stories[:PAGE_SIZE]]
    assert first.select_one(".pagination a[rel=next]")["href"] == "?page=2"
    second = get(client, f"{url}?page=2")
    assert headlines(second) == [s.headline for s in stories[PAGE_SIZE:]]
    assert "page 2" in text_of(second.find("h1"))
    assert client.get(f"{url}?page=3").status_code == 404


@pytest.mark.parametrize("url", ["/nowhere/", "/tags/nothing/"])
def test_unknown_section_or_tag_is_not_found(client, url):
    assert client.get(url).status_code == 404


def test_a_new_or_renamed_section_answers_at_once(client):
    """Sections are looked up in the kept navigation, which follows every section change."""
    world = SectionFactory(name="World", slug="world")
    build_stories(1, section=world)
    assert client.get("/world/").status_code == 200
    assert client.get("/asia/").status_code == 404
    SectionFactory(name="Asia", slug="asia")
    assert client.get("/asia/").status_code == 200
    world.slug = "global"
    world.save()
    assert client.get("/world/").status_code == 404
    assert headlines(get(client, "/global/"))


@pytest.mark.parametrize(("url", "repeat"), [("/world/", 2), ("/tags/harbours/", 3)])
@pytest.mark.parametrize("count", [1, 30])
def test_section_and_tag_query_budget_is_fixed(
    client, django_assert_max_num_queries, url, repeat, count
):
    build_stories(count, section=SectionFactory(name="World", slug="world"))
    # tag (a section is found in the kept navigation); page count and the next scheduled
    # publication (kept until the content changes); stories; their bylines; navigation
    # sections (kept too)
    with django_assert_max_num_queries(6):
        soup = get(client, url)
    with django_assert_max_num_queries(repeat):
        assert headlines(get(client, url)) == headlines(soup)
    assert len(headlines(soup)) == min(count, PAGE_SIZE)
    assert all(" · By " in text_of(m) for m in soup.select(".story-item__meta"))


# --- Article page -----------------------------------------------------------------------------


@pytest.fixture
def full_story():
    story = PublishedArticleFactory(
        headline="Harbour reopens after storm",
        deck="Fishing fleet returns a week after the typhoon.",
        article_type=ArticleType.ANALYSIS,
        dateline_place="Xiamen",
        section=SectionFactory(name="China", slug="china"),
        lead_image=make_image(),
    )
    ContributionFactory(article=story, person__name="Li Na", person__slug="li-na")
    CreditFactory(article=story, person__name="Zed", role="Web editor")
    story.tags.add("harbours", "typhoons")
    return story


def test_article_page_prints_every_part_of_the_story(client, full_story):
    soup = get(client, full_story.get_absolute_url())
    story = soup.select_one("article.story")
    kicker = story.select_one(".story__kicker")
    assert kicker.find("a")["href"] == "/china/"
    assert text_of(kicker.select_one(".label")) == "Analysis"
    assert text_of(story.find("h1")) == "Harbour reopens after storm"
    assert text_of(story.select_one(".story__deck")) == (
        "Fishing fleet returns a week after the typhoon."
    )
    figure = story.select_one("figure")
    assert figure.find("img")["alt"] == "Fishing boats in the harbour at dawn"
    assert "Boats at dawn." in text_of(figure)
    assert [(text_of(a), a["href"]) for a in story.select(".byline a")] == [
        ("Li Na", "/people/li-na/")
    ]
    local = timezone.localtime(full_story.published_at)
    assert (
        text_of(story.select_one(".dateline"))
        == f"Xiamen {local:%H:%M}, {local:%B} {local.day}, {local.year}"
    )
    assert [text_of(p) for p in story.select(".story__body p")] == [
        "First synthetic paragraph.",
        "Second synthetic paragraph.",
    ]
    assert text_of(story.select_one(".credits")) == "(Web editor: Zed)"
    assert [(text_of(a), a["href"]) for a in story.select(".story__tags a")] == [
        ("harbours", "/tags/harbours/"),
        ("typhoons", "/tags/typhoons/"),
    ]


def test_corrections_are_listed_newest_first_with_the_standards_policy(client, full_story):
    now = timezone.now()
    CorrectionFactory(article=full_story, text="Older fix.", created_at=now - timedelta(hours=2))
    CorrectionFactory(
        article=full_story,
        kind=Correction.Kind.UPDATE,
        text="Newer update.",
        created_at=now - timedelta(hours=1),
    )
    soup = get(client, full_story.get_absolute_url())
    corrections = soup.select_one(".corrections")
    items = [text_of(li) for li in corrections.select("li")]
    assert items[0].startswith("Update") and items[0].endswith("Newer update.")
    assert items[1].startswith("Correction") and items[1].endswith("Older fix.")
    assert [t["datetime"] for t in corrections.select("li time")] == sorted(
        (t["datetime"] for t in corrections.select("li time")), reverse=True
    )
    assert corrections.find("a", href="/standards/")


def test_story_without_corrections_still_links_the_standards_policy(client, full_story):
    soup = get(client, full_story.get_absolute_url())
    assert soup.select_one(".corrections") is None
    assert soup.select_one("article.story .corrections__policy a")["href"] == "/standards/"


def test_related_stories_fall_back_to_published_stories_sharing_tags(client, full_story):
    now = timezone.now()
    both = PublishedArticleFactory(
        headline="Shares both tags", published_at=now - timedelta(days=3)
    )
    both.tags.add("harbours", "typhoons")
    one = [
        PublishedArticleFactory(headline=f"Shares one {i}", published_at=now - timedelta(days=i))
        for i in range(4)
    ]
    for story in one:
        story.tags.add("typhoons")
    unpublished = [
        ArticleFactory(headline="Draft neighbour"),
        PublishedArticleFactory(
            headline="Scheduled neighbour", published_at=now + timedelta(hours=1)
        ),
        PublishedArticleFactory(headline="Withdrawn neighbour", state=State.WITHDRAWN),
    ]
    for story in unpublished:
        story.tags.add("harbours")
    PublishedArticleFactory(headline="No shared tag").tags.add("markets")

    related = get(client, full_story.get_absolute_url()).select_one("aside.related")

    # The four sharing most tags, newest first; never the story itself or unpublished ones.
    assert text_of(related.find("h2")) == "Related Stories"
    assert [text_of(a) for a in related.select("a")] == [
        "Shares one 0",
        "Shares one 1",
        "Shares one 2",
        "Shares both tags",
    ]
    assert related.find("a", string="Shares both tags")["href"] == both.get_absolute_url()


def test_curated_related_links_replace_the_fallback(client, full_story):
    neighbour = PublishedArticleFactory(headline="Shares a tag")
    neighbour.tags.add("harbours")
    RelatedLinkFactory(article=full_story, target__headline="Curated story")
    related = get(client, full_story.get_absolute_url()).select_one("aside.related")
    assert [text_of(a) for a in related.select("a")] == ["Curated story"]


def test_only_unpublished_curated_links_fall_back_to_tag_neighbours(client, full_story):
    RelatedLinkFactory(article=full_story, target=ArticleFactory(headline="Draft target"))
    neighbour = PublishedArticleFactory(headline="Shares a tag")
    neighbour.tags.add("harbours")
    related = get(client, full_story.get_absolute_url()).select_one("aside.related")
    assert [text_of(a) for a in related.select("a")] == ["Shares a tag"]


def test_no_related_stories_without_links_or_shared_tags(client):
    story = PublishedArticleFactory()
    story.tags.add("lonely")
    assert get(client, story.get_absolute_url()).select_one(".related") is None


@pytest.mark.parametrize("kind", ["draft", "in review", "ready", "scheduled"])
def test_unpublished_story_is_not_found(client, hidden_stories, kind):
    assert client.get(hidden_stories[kind].get_absolute_url()).status_code == 404


def test_withdrawn_story_is_gone(client, hidden_stories):
    response = client.get(hidden_stories["withdrawn"].get_absolute_url())
    assert response.status_code == 410
    assert "First synthetic paragraph." not in response.content.decode()


def article_with(n: int, *, curated: bool):
    story = PublishedArticleFactory()
    for i in range(n):
        ContributionFactory(article=story, position=i)
        CreditFactory(article=story, position=i)
        CorrectionFactory(article=story)
        story.tags.add(f"topic {i}")
        neighbour = PublishedArticleFactory()
        neighbour.tags.add(f"topic {i}")
        ContributionFactory(article=neighbour)
        if curated:
            RelatedLinkFactory(article=story, position=i)
    return story


@pytest.mark.parametrize("curated", [True, False], ids=["curated links", "tag fallback"])
@pytest.mark.parametrize("n", [1, 10])
def test_article_query_budget_is_fixed(client, django_assert_max_num_queries, n, curated):
    story = article_with(n, curated=curated)
    # story with its tag neighbours; contributions; tags; related links; corrections;
    # navigation sections (then kept until the content changes)
    with django_assert_max_num_queries(6):
        soup = get(client, story.get_absolute_url())
    with django_assert_max_num_queries(5):
        assert get(client, story.get_absolute_url()).select(".related a") == soup.select(
            ".related a"
        )
    assert len(soup.select(".byline a")) == n
    assert len(soup.select(".corrections li")) == n
    assert len(soup.select(".related a")) == (n if curated else min(n, 4))


def test_stories_without_links_or_corrections_skip_those_queries(
    client, django_assert_num_queries
):
    story = PublishedArticleFactory()
    ContributionFactory(article=story)
    story.tags.add("harbours")
    url = story.get_absolute_url()
    get(client, url)
    # story with its neighbours; contributions; tags
    with django_assert_num_queries(3):
        soup = get(client, url)
    assert soup.select(".corrections li") == []
    assert soup.select_one(".related") is None
    # A link to a story readers cannot see yet costs its query and prints nothing.
    RelatedLinkFactory(article=story, target=ArticleFactory(headline="Not out yet"))
    assert "Not out yet" not in str(get(client, url))  # values kept per content, refreshed
    with django_assert_num_queries(4):
        soup = get(client, url)
    assert "Not out yet" not in str(soup)
    CorrectionFactory(article=story, text="An earlier version misnamed the port.")
    assert "misnamed the port" in get(client, url).select_one(".corrections li").get_text()
    with django_assert_num_queries(5):
        soup = get(client, url)
    assert "misnamed the port" in soup.select_one(".corrections li").get_text()


def test_preview_offers_the_same_fallback_as_the_public_page(client, editor, time_machine):
    from articles import previews

    time_machine.move_to(timezone.now(), tick=False)
    story = PublishedArticleFactory(published_at=timezone.now() + timedelta(hours=2))
    story.tags.add("harbours")
    neighbour = PublishedArticleFactory(headline="Shares a tag")
    neighbour.tags.add("harbours")
    link = previews.make_link(story, by=editor, expires_in=timedelta(days=1))
    preview = get(client, previews.url_for(link))
    time_machine.move_to(story.published_at + timedelta(minutes=1), tick=False)
    public = get(client, story.get_absolute_url())
    assert [text_of(a) for a in preview.select(".related a")] == ["Shares a tag"]
    assert str(preview.select_one("article.story")) == str(public.select_one("article.story"))


# --- Standards page ---------------------------------------------------------------------------


def test_standards_page_is_the_editable_flat_page_in_the_site_layout(client):
    page = FlatPage.objects.get(url="/standards/")
    page.content = "<p>We correct errors promptly.</p>"
    page.save()
    soup = get(client, "/standards/")
    assert text_of(soup.find("h1")) == "Standards and corrections policy"
    assert "We correct errors promptly." in text_of(soup.find("main"))
    assert soup.select_one("header .site-name")
    assert soup.find("footer").find("a", href="/standards/")
