"""The public site in a real browser (Playwright driving Debian's Chromium).

A reader opens the home page, the sample story and a search for it, on a desktop and a phone
screen: no console errors, no failed or refused requests, nothing fetched from another host,
and a full-page screenshot of each. Skipped where /usr/bin/chromium is missing; `.ci/run`
installs it.
"""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.db import connections

from articles.tests.test_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="browser test needs Chromium at /usr/bin/chromium (apt-get install chromium); "
        ".ci/run installs it",
    ),
    pytest.mark.django_db(transaction=True),
]

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "mobile": {"width": 390, "height": 844}}
HEADLINE = "Xi: Build model general offices of Party, governments"


@pytest.fixture
def browser(monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api")
    # The sync API runs an event loop in this thread; Django's ORM would refuse the test's
    # own queries without this.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            # Connections opened while the loop ran must be closed here, or PostgreSQL
            # refuses to drop the test database ("being accessed by other users").
            connections.close_all()


@dataclass
class Visit:
    """What the browser saw while a page was open."""

    page: object
    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@pytest.fixture
def visit(browser, live_server):
    """Open a path at a viewport, recording every request and every sign of trouble."""
    contexts = []

    def open_path(path: str, viewport: str) -> Visit:
        context = browser.new_context(viewport=VIEWPORTS[viewport])
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        seen = Visit(page)

        def on_console(message):
            if message.type == "error":
                where = message.location.get("url", "")
                seen.problems.append(f"console: {message.text} ({where})")

        def on_response(response):
            if response.status >= 400:
                seen.problems.append(f"HTTP {response.status}: {response.url}")

        page.on("request", lambda request: seen.requests.append(request.url))
        page.on("console", on_console)
        page.on("pageerror", lambda error: seen.problems.append(f"script error: {error}"))
        page.on(
            "requestfailed",
            lambda request: seen.problems.append(f"failed: {request.url} {request.failure}"),
        )
        page.on("response", on_response)
        page.goto(f"{live_server.url}{path}", wait_until="load")
        # Let late requests (the favicon among them) finish before judging the page.
        page.wait_for_load_state("networkidle")
        return seen

    yield open_path
    for context in contexts:
        context.close()


def assert_clean(seen: Visit, live_server) -> None:
    assert seen.problems == []
    host = urlsplit(live_server.url).netloc
    elsewhere = [
        url
        for url in seen.requests
        if urlsplit(url).scheme != "data" and urlsplit(url).netloc != host
    ]
    assert elsewhere == [], "pages must not fetch anything from other hosts"


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_home_story_and_search_pages_load_cleanly(
    visit, live_server, sample_story, tmp_path, viewport
):
    home = visit("/", viewport)
    assert home.page.locator(f"a:has-text('{HEADLINE}')").count() >= 1
    assert home.page.locator("h1").count() == 1
    assert_clean(home, live_server)
    home.page.screenshot(path=str(tmp_path / f"home-{viewport}.png"), full_page=True)

    story = visit(sample_story.get_absolute_url(), viewport)
    assert story.page.locator("h1").inner_text() == HEADLINE
    assert "By Cao Desheng" in story.page.locator(".byline").inner_text()
    assert_clean(story, live_server)
    story.page.screenshot(path=str(tmp_path / f"story-{viewport}.png"), full_page=True)

    results = visit("/search/?q=general+offices", viewport)
    page = results.page
    assert page.locator("h1").inner_text() == "Search results for “general offices”"
    hit = page.locator(".search-results .story-item")
    assert hit.count() == 1
    assert hit.locator("h2 a").inner_text() == HEADLINE
    assert hit.locator("h2 a").get_attribute("href") == sample_story.get_absolute_url()
    marked = [text.lower() for text in hit.locator(".search-snippet mark").all_inner_texts()]
    assert "general" in marked and "offices" in marked
    assert_clean(results, live_server)
    page.screenshot(path=str(tmp_path / f"search-{viewport}.png"), full_page=True)
    # Nothing wider than the screen: a phone reader never scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORTS[viewport]["width"]

    # A reader searches again from the results page, with the form alone (no script needed).
    page.fill("main input[name=q]", "Cao Desheng")
    page.press("main input[name=q]", "Enter")
    page.wait_for_url("**/search/?q=Cao+Desheng")
    assert page.locator(".search-results h2 a").all_inner_texts() == [HEADLINE]
    assert results.problems == []


def test_search_without_a_query_offers_the_form(visit, live_server, db):
    empty = visit("/search/", "desktop")
    assert empty.page.locator("h1").inner_text() == "Search"
    assert "Enter a word" in empty.page.locator("main").inner_text()
    assert empty.page.locator(".search-results").count() == 0
    assert_clean(empty, live_server)
