import re
import uuid
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from articles import previews, workflow
from articles.models import PreviewLink, State
from articles.tests.factories import (
    ArticleFactory,
    ContributionFactory,
    CreditFactory,
    PublishedArticleFactory,
    RelatedLinkFactory,
)

pytestmark = pytest.mark.django_db


def text_of(node) -> str:
    return re.sub(r"\s+", " ", node.get_text()).strip()


def soup_of(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def assert_is_a_private_preview(response):
    """What every preview page carries, whoever opens it."""
    assert response.status_code == 200
    soup = soup_of(response)
    assert soup.find("meta", attrs={"name": "robots"})["content"] == "noindex, nofollow"
    assert soup.find("meta", attrs={"name": "referrer"})["content"] == "no-referrer"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    return soup


@pytest.fixture
def draft():
    article = ArticleFactory(
        headline="Ministry weighs new river rules",
        body="<p>Officials met on Monday.</p><p>A decision is due in May.</p>",
        dateline_place="Wuhan",
    )
    ContributionFactory(article=article, person__name="Li Na")
    return article


@pytest.fixture
def share_link(draft, editor):
    return previews.make_link(draft, by=editor, expires_in=timedelta(days=1), note="legal")


def share_url(link: PreviewLink) -> str:
    return previews.url_for(link)


# --- Share links: what a holder sees ----------------------------------------------------------


def test_share_link_shows_a_draft_the_public_cannot_see(client, draft, share_link):
    assert client.get(draft.get_absolute_url()).status_code == 404

    soup = assert_is_a_private_preview(client.get(share_url(share_link)))

    assert text_of(soup.find("h1")) == "Ministry weighs new river rules"
    assert [text_of(p) for p in soup.select(".story__body p")] == [
        "Officials met on Monday.",
        "A decision is due in May.",
    ]
    assert text_of(soup.select_one(".byline")) == "By Li Na"
    banner = text_of(soup.select_one(".preview-banner"))
    assert banner.startswith("Preview — not published")
    assert "Draft: readers cannot see this story." in banner
    expires = timezone.localtime(share_link.expires_at).strftime("%H:%M")
    assert f"stops working at {expires}" in banner


def test_preview_is_the_page_readers_get_once_published(client, editor, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    article = PublishedArticleFactory(published_at=timezone.now() + timedelta(hours=2))
    ContributionFactory(article=article, person__name="Ana")
    CreditFactory(article=article, person__name="Zed", role="Web editor")
    article.tags.add("rivers")
    RelatedLinkFactory(article=article, position=1)
    RelatedLinkFactory(article=article, target=ArticleFactory(), position=2)
    link = previews.make_link(article, by=editor, expires_in=timedelta(days=1))

    preview = soup_of(client.get(share_url(link)))
    assert "Scheduled for" in text_of(preview.select_one(".preview-banner"))

    time_machine.move_to(article.published_at + timedelta(minutes=1), tick=False)
    public = soup_of(client.get(article.get_absolute_url()))

    assert public.select_one(".preview-banner") is None
    assert str(preview.select_one("article.story")) == str(public.select_one("article.story"))
    # Related stories only as readers would see them: the draft target is left out.
    assert len(preview.select(".related a")) == 1


def test_share_link_of_a_story_published_since_leads_to_its_page(client, share_link, publisher):
    story = share_link.article
    for step in (workflow.submit, workflow.approve, workflow.publish):
        step(story, by=publisher)
    response = client.get(share_url(share_link))
    assert response.status_code == 302
    assert response["Location"] == story.get_absolute_url()


def tampered(token: str, i: int = 3) -> str:
    """The token with its ``i``-th character changed (by default one of the signed value)."""
    i %= len(token)
    return token[:i] + ("b" if token[i] != "b" else "c") + token[i + 1 :]


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda link: tampered(previews.token_for(link)), id="tampered value"),
        pytest.param(lambda link: tampered(previews.token_for(link), -1), id="tampered signature"),
        pytest.param(lambda link: link.uuid.hex, id="unsigned"),
        pytest.param(
            lambda link: signing.Signer(salt="something-else").sign(link.uuid.hex),
            id="signed for another purpose",
        ),
        pytest.param(
            lambda link: signing.Signer(salt=previews._SALT).sign(uuid.uuid4().hex),
            id="unknown link",
        ),
        pytest.param(lambda link: "not-a-token", id="garbage"),
    ],
)
def test_bad_tokens_are_not_found(client, share_link, make_token):
    token = make_token(share_link)
    assert token != previews.token_for(share_link)
    assert previews.resolve(token) is None
    assert client.get(reverse("article_preview", args=[token])).status_code == 404


def test_share_link_expires(client, share_link, time_machine):
    url = share_url(share_link)
    time_machine.move_to(share_link.expires_at - timedelta(seconds=1), tick=False)
    assert client.get(url).status_code == 200
    time_machine.move_to(share_link.expires_at + timedelta(seconds=1), tick=False)
    assert client.get(url).status_code == 404


def test_expiry_is_checked_on_the_server_so_a_link_can_be_cut_short(client, share_link):
    url = share_url(share_link)
    assert client.get(url).status_code == 200
    share_link.expires_at = timezone.now() - timedelta(seconds=1)
    share_link.save()
    assert client.get(url).status_code == 404


def test_revoked_link_is_not_found(client, share_link, editor):
    url = share_url(share_link)
    assert client.get(url).status_code == 200
    previews.revoke(share_link, by=editor)
    assert client.get(url).status_code == 404


def test_withdrawing_a_story_stops_its_share_links(client, editor, publisher):
    story = PublishedArticleFactory(published_at=timezone.now() + timedelta(hours=1))
    link = previews.make_link(story, by=editor, expires_in=timedelta(days=1))
    assert client.get(share_url(link)).status_code == 200
    story.published_at = timezone.now() - timedelta(minutes=1)
    story.save()
    workflow.withdraw(story, by=publisher)
    assert previews.resolve(previews.token_for(link)) is None
    assert client.get(share_url(link)).status_code == 404


# --- Making and revoking links -------------------------------------------------------------


def test_reporter_may_not_share_previews(draft, reporter):
    with pytest.raises(PermissionDenied):
        previews.make_link(draft, by=reporter, expires_in=timedelta(hours=1))
    assert not PreviewLink.objects.exists()


def test_link_life_is_capped_by_the_setting(draft, editor, settings):
    settings.NEWSROOM_PREVIEW_MAX_DAYS = 3
    with pytest.raises(previews.PreviewError, match="at most 3 days"):
        previews.make_link(draft, by=editor, expires_in=timedelta(days=3, seconds=1))
    with pytest.raises(previews.PreviewError):
        previews.make_link(draft, by=editor, expires_in=timedelta(0))
    assert not PreviewLink.objects.exists()

    link = previews.make_link(draft, by=editor, expires_in=timedelta(days=3))
    assert link.expires_at - link.created_at == timedelta(days=3)
    assert link.created_by == editor


@pytest.mark.parametrize("state", ["live", "withdrawn"])
def test_no_share_links_for_live_or_withdrawn_stories(editor, state):
    story = PublishedArticleFactory(**({"state": State.WITHDRAWN} if state == "withdrawn" else {}))
    with pytest.raises(previews.PreviewError):
        previews.make_link(story, by=editor, expires_in=timedelta(hours=1))


def test_revoking_needs_the_share_permission(share_link, reporter):
    with pytest.raises(PermissionDenied):
        previews.revoke(share_link, by=reporter)
    share_link.refresh_from_db()
    assert share_link.revoked_at is None


# --- The desk's preview in the admin -------------------------------------------------------


def admin_preview_url(article) -> str:
    return reverse("admin:articles_article_preview", args=[article.pk])


def test_admin_preview_asks_anonymous_visitors_to_log_in(client, draft):
    response = client.get(admin_preview_url(draft))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_admin_preview_needs_permission_to_view_the_story(client, draft, make_staff):
    client.force_login(make_staff(None, "nobody"))
    assert client.get(admin_preview_url(draft)).status_code == 403


def test_reporter_previews_a_draft_from_the_admin(client, draft, reporter):
    client.force_login(reporter)
    soup = assert_is_a_private_preview(client.get(admin_preview_url(draft)))
    assert text_of(soup.find("h1")) == draft.headline
    banner = soup.select_one(".preview-banner")
    assert text_of(banner).startswith("Preview — not published")
    assert banner.find("a", string="Back to editing")["href"] == reverse(
        "admin:articles_article_change", args=[draft.pk]
    )


# --- Sharing from the admin ----------------------------------------------------------------


def add_link_url(article) -> str:
    return reverse("admin:articles_article_preview_link_add", args=[article.pk])


def revoke_url(link) -> str:
    return reverse(
        "admin:articles_article_preview_link_revoke", args=[link.article_id, str(link.uuid)]
    )


def test_reporter_cannot_make_share_links_in_the_admin(client, draft, reporter):
    client.force_login(reporter)
    assert client.get(add_link_url(draft)).status_code == 403
    assert client.post(add_link_url(draft), {"expires_in": "day"}).status_code == 403
    assert not PreviewLink.objects.exists()


def test_editor_shares_a_link_that_opens_the_preview(client, draft, editor, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    client.force_login(editor)
    page = soup_of(client.get(add_link_url(draft)))
    assert [o["value"] for o in page.select("select[name=expires_in] option")] == [
        "hour",
        "day",
        "week",
        "max",
    ]

    response = client.post(add_link_url(draft), {"note": "legal", "expires_in": "hour"})
    assert response.status_code == 302
    link = PreviewLink.objects.get(article=draft)
    assert (link.note, link.created_by) == ("legal", editor)
    assert link.expires_at == timezone.now() + timedelta(hours=1)

    full_url = f"http://testserver{previews.url_for(link)}"
    assert full_url in client.get(response["Location"]).content.decode()
    client.logout()
    assert_is_a_private_preview(client.get(full_url))


def test_longest_life_offered_is_the_setting(client, draft, editor, settings, time_machine):
    settings.NEWSROOM_PREVIEW_MAX_DAYS = 5
    time_machine.move_to(timezone.now(), tick=False)
    client.force_login(editor)
    page = soup_of(client.get(add_link_url(draft)))
    options = {o["value"]: text_of(o) for o in page.select("select[name=expires_in] option")}
    assert options == {"hour": "1 hour", "day": "1 day", "max": "5 days (the longest allowed)"}

    client.post(add_link_url(draft), {"expires_in": "week"})
    assert not PreviewLink.objects.exists()
    client.post(add_link_url(draft), {"expires_in": "max"})
    assert PreviewLink.objects.get().expires_at == timezone.now() + timedelta(days=5)


def test_change_form_lists_share_links_without_nesting_forms(client, share_link, editor):
    client.force_login(editor)
    response = client.get(reverse("admin:articles_article_change", args=[share_link.article_id]))
    assert response.status_code == 200
    soup = soup_of(response)
    assert soup.select_one(".object-tools a.previewlink")["href"] == admin_preview_url(
        share_link.article
    )
    panel = soup.select_one("#preview-links")
    row = text_of(panel.select_one("tr.preview-link--active"))
    assert "legal" in row and "eddie" in row and "Active" in row
    assert text_of(panel.select_one(".preview-link__url")).endswith(previews.url_for(share_link))
    assert panel.find("a", href=revoke_url(share_link))
    assert panel.find("a", href=add_link_url(share_link.article))
    assert soup.select("form#article_form form") == []


def test_reporter_sees_no_share_links_on_the_change_form(client, share_link, reporter):
    client.force_login(reporter)
    response = client.get(reverse("admin:articles_article_change", args=[share_link.article_id]))
    assert response.status_code == 200
    assert previews.token_for(share_link) not in response.content.decode()
    assert soup_of(response).select_one("#preview-links") is None


def test_revoking_from_the_admin_takes_a_post(client, share_link, editor):
    client.force_login(editor)
    confirm = client.get(revoke_url(share_link))
    assert confirm.status_code == 200
    assert soup_of(confirm).select_one("#content-main form[method=post]")
    share_link.refresh_from_db()
    assert share_link.revoked_at is None

    response = client.post(revoke_url(share_link))
    assert response.status_code == 302
    share_link.refresh_from_db()
    assert share_link.revoked_at is not None
    client.logout()
    assert client.get(share_url(share_link)).status_code == 404


def test_reporter_cannot_revoke_from_the_admin(client, share_link, reporter):
    client.force_login(reporter)
    assert client.post(revoke_url(share_link)).status_code == 403
    share_link.refresh_from_db()
    assert share_link.revoked_at is None
    assert client.get(share_url(share_link)).status_code == 200


def test_link_of_another_story_cannot_be_revoked_through_this_one(client, share_link, editor):
    client.force_login(editor)
    other = ArticleFactory()
    url = reverse(
        "admin:articles_article_preview_link_revoke", args=[other.pk, str(share_link.uuid)]
    )
    assert client.post(url).status_code == 404
    share_link.refresh_from_db()
    assert share_link.revoked_at is None
