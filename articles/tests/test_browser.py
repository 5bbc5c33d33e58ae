"""A story's whole trip through the desk in a real browser (Playwright driving Debian's Chromium).

Reporter writes and submits, editor approves, publisher publishes, and a reader finds the story
on the home page. Skipped where /usr/bin/chromium is missing; `.ci/run` installs it.
"""

from pathlib import Path

import pytest
from django.db import connections

from articles.models import Article, State, WorkflowEvent
from articles.tests.factories import SectionFactory
from conftest import STAFF_PASSWORD
from people.tests.factories import PersonFactory

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HEADLINE = "Harbour ferry returns after storm repairs"
BODY = "The ferry to the outer islands sails again from Monday."

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="browser test needs Chromium at /usr/bin/chromium (apt-get install chromium); "
        ".ci/run installs it",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def page(monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api")
    # The sync API runs an event loop in this thread; Django's ORM would refuse the test's
    # own queries without this.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        context.set_default_timeout(15_000)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()
            # While the sync API's loop runs, Django keeps this thread's connections apart
            # from those it has outside it; close them here, or PostgreSQL refuses to drop
            # the test database at the end ("being accessed by other users").
            connections.close_all()


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/admin/login/?next=/admin/articles/article/")
    page.fill("#id_username", username)
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("#login-form [type=submit]")
    page.wait_for_url("**/admin/articles/article/")


def log_out(page) -> None:
    page.click("#logout-form [type=submit]")
    page.wait_for_url("**/admin/logout/")


def choose_in_autocomplete(page, select_id: str, text: str) -> None:
    """Pick ``text`` in an admin autocomplete (select2) box, as a person would."""
    page.click(f"#{select_id} + .select2 .select2-selection")
    page.fill(".select2-container--open .select2-search__field", text[:4])
    page.click(f".select2-container--open .select2-results__option:has-text('{text}')")


def take_action(page, action: str, comment: str) -> None:
    """Press the workflow button on the open story, confirm with a comment."""
    page.click(f"#workflow-panel a.workflow-action[data-action={action}]")
    page.wait_for_url(f"**/transition/{action}/")
    page.fill("textarea[name=comment]", comment)
    page.click("input[name=_confirm]")
    page.wait_for_url("**/change/")


def open_story(page, base_url: str) -> None:
    page.goto(f"{base_url}/admin/articles/article/")
    page.click(f"#result_list a:has-text('{HEADLINE}')")
    page.wait_for_url("**/change/")


def test_story_goes_from_reporter_to_home_page(live_server, make_staff, page, tmp_path):
    base_url = live_server.url
    make_staff("Reporter", "rita")
    make_staff("Editor", "eddie")
    make_staff("Publisher", "paula")
    SectionFactory(name="Metro", slug="metro")
    PersonFactory(name="Rita Reyes", slug="rita-reyes")

    # The reporter writes the story and submits it.
    log_in(page, base_url, "rita")
    page.goto(f"{base_url}/admin/articles/article/add/")
    page.fill("#id_headline", HEADLINE)
    choose_in_autocomplete(page, "id_section", "Metro")
    # The editing surface; the toolbar's heading picker carries the class too.
    page.click(".field-body .ProseMirror[contenteditable=true]")
    page.keyboard.type(BODY)
    page.click("#contributions-group .add-row a")
    choose_in_autocomplete(page, "id_contributions-0-person", "Rita Reyes")
    page.click("input[name=_continue]")
    page.wait_for_url("**/change/")
    assert "In review" not in page.inner_text("#workflow-panel .workflow-status")
    take_action(page, "submit", "Ready for the desk.")
    assert "was submitted for review" in page.inner_text(".messagelist")
    assert page.inner_text("#workflow-panel .workflow-status") == "Status: In review"
    # Submitted: the reporter may look, not change, and has no further button.
    assert page.locator("input[name=_save]").count() == 0
    assert page.locator("a.workflow-action").count() == 0
    log_out(page)

    # The editor approves it.
    log_in(page, base_url, "eddie")
    open_story(page, base_url)
    assert page.locator("a.workflow-action[data-action=publish]").count() == 0
    take_action(page, "approve", "Checked the figures.")
    assert page.inner_text("#workflow-panel .workflow-status") == "Status: Ready"
    log_out(page)

    # The publisher publishes it now (the time left blank).
    log_in(page, base_url, "paula")
    open_story(page, base_url)
    take_action(page, "publish", "Lead story tonight.")
    assert "was published" in page.inner_text(".messagelist")
    history = page.locator("#workflow-panel tr.workflow-event")
    assert history.count() == 3
    assert "Approve: In review → Ready" in history.nth(1).inner_text()

    # A reader finds it on the home page and reads it.
    article = Article.objects.get(headline=HEADLINE)
    assert article.state == State.PUBLISHED
    assert article.created_by.username == "rita"
    assert [c.person.name for c in article.bylines] == ["Rita Reyes"]
    assert list(
        WorkflowEvent.objects.filter(article=article)
        .order_by("at", "pk")
        .values_list("by__username", "comment")
    ) == [
        ("rita", "Ready for the desk."),
        ("eddie", "Checked the figures."),
        ("paula", "Lead story tonight."),
    ]
    page.goto(f"{base_url}/")
    link = page.locator(f"a:has-text('{HEADLINE}')")
    assert link.get_attribute("href") == article.get_absolute_url()
    link.click()
    page.wait_for_url(f"**{article.get_absolute_url()}")
    assert BODY in page.inner_text("body")
    page.screenshot(path=str(tmp_path / "published-story.png"), full_page=True)
