"""Two people on one story: edit leases, take-overs and no lost updates."""

import threading
import time
from collections.abc import Callable, Hashable
from datetime import UTC, datetime, timedelta
from functools import partial
from unittest import mock

import pytest
from bs4 import BeautifulSoup
from django.contrib.admin.sites import site
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import PermissionDenied
from django.db import OperationalError, connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from articles import admin as article_admin
from articles import locking, workflow
from articles.models import Article, EditLease, State
from articles.tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

# 10:40 in Shanghai, the newsroom's time zone.
TEN_FORTY = datetime(2026, 3, 2, 2, 40, tzinfo=UTC)
LEASE = timedelta(seconds=90)


@pytest.fixture(autouse=True)
def _lease_time(settings):
    settings.NEWSROOM_EDIT_LEASE_SECONDS = 90


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(TEN_FORTY, tick=False)
    return time_machine


@pytest.fixture
def eddie(make_staff):
    return make_staff("Editor", "eddie", first_name="Eddie", last_name="Editor")


@pytest.fixture
def paula(make_staff):
    return make_staff("Publisher", "paula", first_name="Paula", last_name="Publisher")


@pytest.fixture
def rita(make_staff):
    return make_staff("Reporter", "rita", first_name="Rita", last_name="Reporter")


@pytest.fixture
def story(db):
    return ArticleFactory(
        headline="Typhoon makes landfall",
        body="<p>Winds reached 150 km/h.</p>",
        state=State.REVIEW,
    )


def signed_in(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def change_url(article: Article) -> str:
    return reverse("admin:articles_article_change", args=[article.pk])


def lease_url(article: Article, view: str) -> str:
    return reverse(f"admin:articles_article_lease_{view}", args=[article.pk])


def stored(article: Article) -> Article:
    return Article.objects.get(pk=article.pk)


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def form_data(response) -> dict[str, list[str]]:
    """What a browser posts back from the change form as rendered, hidden fields included."""
    form = page(response).find("form", id="article_form")
    data: dict[str, list[str]] = {}
    for field in form.find_all(["input", "textarea", "select"]):
        name = field.get("name")
        if not name or field.has_attr("disabled"):
            continue
        if field.name == "textarea":
            data.setdefault(name, []).append(field.text)
        elif field.name == "select":
            for option in field.find_all("option", selected=True):
                data.setdefault(name, []).append(option.get("value", ""))
        else:
            kind = field.get("type", "text")
            if kind in ("submit", "button", "file", "image", "reset"):
                continue
            if kind in ("checkbox", "radio") and not field.has_attr("checked"):
                continue
            data.setdefault(name, []).append(field.get("value", ""))
    return data


def edited(data: dict[str, list[str]], **changes: str) -> dict[str, list[str]]:
    return {**data, **{name: [value] for name, value in changes.items()}}


def errors(response) -> str:
    found = page(response).select(".errornote, ul.errorlist.nonfield li")
    return " ".join(node.get_text(" ", strip=True) for node in found)


def heartbeat(client: Client, article: Article, seen: str = "") -> dict:
    response = client.post(lease_url(article, "heartbeat"), {"seen": seen})
    assert response.status_code == 200
    return response.json()


def seen_on(response) -> str:
    return page(response).find(id="lease-status")["data-seen"]


# --- Lost updates -----------------------------------------------------------------------------


def test_second_save_from_an_older_version_is_refused_naming_who_saved_and_keeps_their_text(
    clock, story, eddie, paula
):
    eddie_client, paula_client = signed_in(eddie), signed_in(paula)
    eddie_page = eddie_client.get(change_url(story))
    clock.shift(timedelta(minutes=1))
    paula_form = form_data(paula_client.get(change_url(story)))
    clock.shift(timedelta(minutes=1))

    saved = eddie_client.post(
        change_url(story), edited(form_data(eddie_page), headline="Typhoon kills 12")
    )
    assert saved.status_code == 302
    # Eddie leaves the page; his browser gives the lease back.
    eddie_client.post(lease_url(story, "release"))
    clock.shift(timedelta(minutes=3))
    refused = paula_client.post(
        change_url(story),
        edited(
            paula_form,
            headline="Typhoon: thousands evacuated",
            body="<p>Paula's paragraph on the evacuation.</p>",
        ),
    )

    assert refused.status_code == 200
    message = errors(refused)
    assert "Eddie Editor saved this story at 10:42, after you opened it." in message
    assert "Your changes have not been saved; they are still in the form below" in message
    soup = page(refused)
    assert soup.find("input", {"name": "headline"})["value"] == "Typhoon: thousands evacuated"
    assert "Paula's paragraph on the evacuation." in soup.find("textarea", {"name": "body"}).text
    after = stored(story)
    assert after.headline == "Typhoon kills 12"
    assert after.version == 2


def test_save_after_a_workflow_action_is_refused_naming_who_acted(clock, story, eddie, paula):
    eddie_client = signed_in(eddie)
    opened = eddie_client.get(change_url(story))
    clock.shift(timedelta(minutes=2))
    workflow.approve(story, by=paula)
    clock.shift(timedelta(minutes=1))

    refused = eddie_client.post(
        change_url(story), edited(form_data(opened), headline="Typhoon kills 12")
    )

    assert refused.status_code == 200
    assert "Paula Publisher took the action “Approve” on this story at 10:42" in errors(refused)
    assert page(refused).find("input", {"name": "headline"})["value"] == "Typhoon kills 12"
    after = stored(story)
    assert (after.headline, after.state) == ("Typhoon makes landfall", State.READY)


def test_save_from_the_current_version_goes_through_and_bumps_the_version_once(story, eddie):
    client = signed_in(eddie)
    data = form_data(client.get(change_url(story)))
    assert data["loaded_version"] == ["1"]

    response = client.post(change_url(story), edited(data, headline="Typhoon kills 12"))

    assert response.status_code == 302
    after = stored(story)
    assert (after.headline, after.version) == ("Typhoon kills 12", 2)
    assert after.revisions.get(number=2).created_by == eddie
    # Saving the same page again would overwrite the version it just made: refused.
    again = client.post(change_url(story), edited(data, headline="Typhoon kills 13"))
    assert "Eddie Editor saved this story" in errors(again)
    assert stored(story).headline == "Typhoon kills 12"


def test_save_without_the_opened_version_is_refused(story, eddie):
    client = signed_in(eddie)
    data = form_data(client.get(change_url(story)))
    del data["loaded_version"]

    response = client.post(change_url(story), edited(data, headline="Typhoon kills 12"))

    assert response.status_code == 200
    assert "does not say which version of the story it was opened on" in errors(response)
    assert stored(story).headline == "Typhoon makes landfall"


def test_save_is_refused_while_someone_else_holds_a_live_lease(clock, story, eddie, paula):
    eddie_client, paula_client = signed_in(eddie), signed_in(paula)
    eddie_client.get(change_url(story))
    clock.shift(timedelta(seconds=30))
    paula_form = edited(form_data(paula_client.get(change_url(story))), headline="Paula's")

    refused = paula_client.post(change_url(story), paula_form)

    assert refused.status_code == 200
    message = errors(refused)
    assert "Eddie Editor is editing this story (since 10:40)" in message
    assert "take it over" in message
    assert page(refused).find("input", {"name": "headline"})["value"] == "Paula's"
    assert stored(story).headline == "Typhoon makes landfall"
    # Once Eddie has closed the story, the same save goes through: nothing moved meanwhile.
    eddie_client.post(lease_url(story, "release"))
    assert paula_client.post(change_url(story), paula_form).status_code == 302
    assert stored(story).headline == "Paula's"


def admin_save(user, article: Article, data) -> HttpResponse:
    """POST ``data`` to the story's change view as ``user``, the way the admin site calls it.

    Called on the view itself rather than through the test ``Client``: the client catches a
    request's exception through a signal every client in the process hears, so in threads
    one client may raise the other's error.
    """
    request = RequestFactory().post(change_url(article), data)
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request._dont_enforce_csrf_checks = True
    response = site._registry[Article].change_view(request, str(article.pk))
    if hasattr(response, "render"):
        response.render()
    return response


def when_the_database_lets_us_write(write, *args):
    """``write(*args)``, waiting for SQLite's write lock as a site on SQLite does.

    On its database file, SQLite makes a second writer wait (the busy timeout) until the first
    commits. The in-memory test database shares one cache between threads, where the second
    writer fails at once with "database table is locked" when its transaction begins, before
    doing anything; trying again stands in for that wait. PostgreSQL waits on its own locks.
    """
    deadline = time.monotonic() + 20
    while True:
        try:
            return write(*args)
        except OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def run_together(work: dict[Hashable, Callable[[], object]]) -> dict[Hashable, object]:
    """Run each piece of work in its own thread, all released at once; their results by name."""
    barrier = threading.Barrier(len(work))
    results: dict[Hashable, object] = {}
    failures: list[BaseException] = []

    def run(name: Hashable):
        try:
            barrier.wait(timeout=10)
            results[name] = when_the_database_lets_us_write(work[name])
        except BaseException as error:  # noqa: BLE001 — the main thread reports it
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(name,)) for name in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures
    return results


def test_concurrent_saves_from_the_same_version_let_exactly_one_through(
    transactional_db, make_staff
):
    users = {
        "Eddie Editor": make_staff("Editor", "eddie", first_name="Eddie", last_name="Editor"),
        "Paula Publisher": make_staff(
            "Publisher", "paula", first_name="Paula", last_name="Publisher"
        ),
    }
    story = ArticleFactory(headline="Typhoon makes landfall", state=State.REVIEW)
    opened = form_data(signed_in(users["Eddie Editor"]).get(change_url(story)))
    assert opened["loaded_version"] == ["1"]
    # Both pages were opened on version 1 and nobody holds the lease now: only the version
    # stands between the two saves.
    EditLease.objects.all().delete()

    record_revision = article_admin.record_revision

    def slow_record_revision(*args, **kwargs):
        # Keep the first save's transaction open after its check, so the other overlaps it.
        time.sleep(0.3)
        return record_revision(*args, **kwargs)

    with mock.patch("articles.admin.record_revision", slow_record_revision):
        outcomes = run_together(
            {
                name: partial(admin_save, user, story, edited(opened, headline=f"By {name}"))
                for name, user in users.items()
            }
        )

    assert sorted(response.status_code for response in outcomes.values()) == [200, 302]
    winner = next(name for name, response in outcomes.items() if response.status_code == 302)
    loser = next(name for name in outcomes if name != winner)
    assert f"{winner} saved this story at" in errors(outcomes[loser])
    after = stored(story)
    assert after.headline == f"By {winner}"
    assert after.version == 2
    assert list(after.revisions.values_list("number", flat=True)) == [2]


# --- Leases -----------------------------------------------------------------------------------


def test_two_people_opening_a_free_story_at_once_get_one_holder(transactional_db, make_staff):
    eddie = make_staff("Editor", "eddie")
    paula = make_staff("Publisher", "paula")
    story = ArticleFactory()

    leases = run_together({user: partial(locking.acquire, story, user) for user in (eddie, paula)})

    holder = EditLease.objects.get(article=story).user_id
    assert {lease.user_id for lease in leases.values()} == {holder}


def test_lease_is_taken_renewed_and_lapses_by_itself(clock, story, eddie, paula):
    lease = locking.acquire(story, eddie)
    assert (lease.user, lease.started_at) == (eddie, TEN_FORTY)

    clock.shift(timedelta(seconds=60))
    assert locking.acquire(story, paula).user == eddie
    assert locking.renew(story, paula) is None
    assert locking.renew(story, eddie).last_seen_at == TEN_FORTY + timedelta(seconds=60)

    clock.shift(LEASE - timedelta(seconds=1))
    assert locking.current_holder(story).user == eddie
    clock.shift(timedelta(seconds=2))
    assert locking.current_holder(story) is None

    lease = locking.acquire(story, paula)
    assert (lease.user, lease.started_at) == (paula, TEN_FORTY + timedelta(seconds=151))
    assert EditLease.objects.get(article=story).user == paula


def test_release_frees_the_story_unless_a_newer_page_renewed_it(clock, story, eddie, paula):
    first = locking.acquire(story, eddie)
    old_page_seen = first.last_seen_at
    clock.shift(timedelta(seconds=5))
    # Eddie reloads: the new page takes the lease before the old page says goodbye.
    locking.acquire(story, eddie)

    assert not locking.release(story, eddie, seen_at=old_page_seen)
    assert locking.current_holder(story).user == eddie
    assert not locking.release(story, paula)
    assert locking.release(story, eddie)
    assert locking.current_holder(story) is None
    assert locking.acquire(story, paula).user == paula


def test_second_viewer_sees_who_is_editing_since_when_in_local_time(clock, story, eddie, paula):
    eddie_page = signed_in(eddie).get(change_url(story))
    clock.shift(timedelta(minutes=1))

    response = signed_in(paula).get(change_url(story))

    notice = page(response).find(id="lease-notice")
    text = notice.get_text(" ", strip=True)
    assert "Being edited by Eddie Editor since 10:40" in text
    assert "02:40" not in text
    assert notice.find("a", string="Take over")["href"] == lease_url(story, "take_over")
    assert page(response).find(id="lease-status") is None
    # The holder's own page carries the heartbeat instead of the notice.
    holder = page(eddie_page)
    assert holder.find(id="lease-notice") is None
    status = holder.find(id="lease-status")
    assert status["data-heartbeat-url"] == lease_url(story, "heartbeat")
    assert status["data-release-url"] == lease_url(story, "release")
    assert status["data-interval"] == "30"
    assert holder.find("script", src=lambda src: src and src.endswith("articles/admin/lease.js"))


def test_notice_lapses_when_the_editor_goes_quiet_and_the_next_viewer_takes_the_lease(
    clock, story, eddie, paula
):
    signed_in(eddie).get(change_url(story))
    clock.shift(LEASE + timedelta(seconds=1))

    response = signed_in(paula).get(change_url(story))

    assert page(response).find(id="lease-notice") is None
    assert page(response).find(id="lease-status") is not None
    assert locking.current_holder(story).user == paula


def test_heartbeat_keeps_the_lease_past_its_time_and_release_gives_it_back(clock, story, eddie):
    client = signed_in(eddie, enforce_csrf_checks=True)
    opened = client.get(change_url(story))
    token = form_data(opened)["csrfmiddlewaretoken"][0]
    seen = seen_on(opened)
    for _ in range(4):
        clock.shift(timedelta(seconds=30))
        answer = client.post(
            lease_url(story, "heartbeat"), {"csrfmiddlewaretoken": token, "seen": seen}
        ).json()
        assert answer["held"] is True
        seen = answer["seen"]
    assert locking.current_holder(story).user == eddie
    assert client.get(lease_url(story, "heartbeat")).status_code == 405

    # What sendBeacon sends on pagehide: the token in the body, no headers of its own.
    assert client.post(lease_url(story, "release"), {"seen": seen}).status_code == 403
    response = client.post(
        lease_url(story, "release"), {"csrfmiddlewaretoken": token, "seen": seen}
    )
    assert response.status_code == 204
    assert not EditLease.objects.filter(article=story).exists()


def test_reporter_cannot_take_over(clock, eddie, rita):
    own_draft = ArticleFactory(state=State.DRAFT, created_by=rita)
    signed_in(eddie).get(change_url(own_draft))
    rita_client = signed_in(rita)

    opened = rita_client.get(change_url(own_draft))
    assert "Being edited by Eddie Editor" in page(opened).find(id="lease-notice").text
    assert page(opened).find("a", string="Take over") is None
    assert rita_client.get(lease_url(own_draft, "take_over")).status_code == 403
    assert rita_client.post(lease_url(own_draft, "take_over")).status_code == 403
    with pytest.raises(PermissionDenied):
        locking.take_over(own_draft, rita)
    assert locking.current_holder(own_draft).user == eddie


def test_editor_takes_over_and_the_previous_holders_heartbeat_says_so(clock, story, eddie, paula):
    paula_client, eddie_client = signed_in(paula), signed_in(eddie)
    paula_page = paula_client.get(change_url(story))
    clock.shift(timedelta(minutes=1))

    confirm = eddie_client.get(lease_url(story, "take_over"))
    assert confirm.status_code == 200
    assert "Paula Publisher" in page(confirm).find(id="content-main").text
    assert locking.current_holder(story).user == paula
    taken = eddie_client.post(lease_url(story, "take_over"))

    assert taken.status_code == 302
    assert taken.url == change_url(story)
    lease = locking.current_holder(story)
    assert (lease.user, lease.started_at) == (eddie, TEN_FORTY + timedelta(minutes=1))
    clock.shift(timedelta(seconds=20))
    answer = heartbeat(paula_client, story, seen=seen_on(paula_page))
    assert answer["held"] is False
    assert answer["taken_over"] is True
    assert answer["holder"] == "Eddie Editor"
    assert "Eddie Editor took over this story at 10:41." in answer["message"]
    assert locking.current_holder(story).user == eddie
    refused = paula_client.post(change_url(story), form_data(paula_page))
    assert "Eddie Editor is editing this story (since 10:41)" in errors(refused)


def test_heartbeat_after_a_lapse_says_the_page_went_quiet_not_taken_over(
    clock, story, eddie, paula
):
    paula_client = signed_in(paula)
    paula_page = paula_client.get(change_url(story))
    clock.shift(timedelta(minutes=5))
    signed_in(eddie).get(change_url(story))

    answer = heartbeat(paula_client, story, seen=seen_on(paula_page))

    assert answer["held"] is False
    assert answer["taken_over"] is False
    message = answer["message"]
    assert "lost its hold on the story; Eddie Editor has had it open since 10:45" in message


def test_heartbeat_takes_a_free_story_back_for_a_page_restored_after_pagehide(clock, story, eddie):
    client = signed_in(eddie)
    client.get(change_url(story))
    client.post(lease_url(story, "release"))
    clock.shift(timedelta(minutes=2))

    answer = heartbeat(client, story)

    assert answer["held"] is True
    lease = locking.current_holder(story)
    assert (lease.user, lease.started_at) == (eddie, TEN_FORTY + timedelta(minutes=2))
