from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles import workflow
from articles.models import (
    Article,
    Byline,
    Contribution,
    Image,
    RelatedLink,
    Revision,
    State,
    Tag,
)
from articles.revisions import diff, paragraphs, record_revision, restore, word_diff
from articles.tests.factories import (
    ArticleFactory,
    ContributionFactory,
    CreditFactory,
    PublishedArticleFactory,
    RelatedLinkFactory,
    SectionFactory,
    SourceFactory,
)
from people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


# --- Helpers ---------------------------------------------------------------------------------


def login(client, user):
    client.force_login(user)
    return client


def revisions_url(article, name="revisions", *args):
    return reverse(f"admin:articles_article_{name}", args=[article.pk, *args])


def change_url(article):
    return reverse("admin:articles_article_change", args=[article.pk])


def form_data(response) -> dict:
    """What a browser would post back from the change form as it was rendered."""
    soup = BeautifulSoup(response.content, "html.parser")
    form = soup.find("form", id="article_form")
    data: dict[str, list[str]] = {}
    for field in form.find_all(["input", "textarea", "select"]):
        name = field.get("name")
        if not name or field.has_attr("disabled"):
            continue
        if field.name == "textarea":
            value = field.text
        elif field.name == "select":
            chosen = field.find_all("option", selected=True)
            for option in chosen:
                data.setdefault(name, []).append(option.get("value", ""))
            continue
        else:
            kind = field.get("type", "text")
            if kind in ("submit", "button", "file", "image", "reset"):
                continue
            if kind in ("checkbox", "radio") and not field.has_attr("checked"):
                continue
            value = field.get("value", "on" if kind == "checkbox" else "")
        data.setdefault(name, []).append(value)
    return data


def inline_prefix(response, model) -> str:
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.model is model:
            return inline.formset.prefix
    raise AssertionError(f"No inline for {model}")


def add_inline_row(data, prefix, **values):
    index = int(data[f"{prefix}-TOTAL_FORMS"][0])
    data[f"{prefix}-TOTAL_FORMS"] = [str(index + 1)]
    for key, value in values.items():
        data[f"{prefix}-{index}-{key}"] = [str(value)]


@pytest.fixture
def story(db):
    """A draft with a byline, a credit, an internal and an external link and two tags."""
    article = ArticleFactory(
        headline="Flood waters rise in the south",
        body="<p>Rain fell for three days.</p><p>Rivers burst their banks.</p>",
        source=SourceFactory(name="Xinhua"),
    )
    ContributionFactory(article=article, person=PersonFactory(name="Cao Desheng"), position=0)
    CreditFactory(article=article, person=PersonFactory(name="Liang Jun"), position=0)
    RelatedLinkFactory(
        article=article,
        target=PublishedArticleFactory(headline="Last year's floods"),
        position=0,
    )
    RelatedLinkFactory(
        article=article, target=None, url="https://weather.example/", title="Forecast", position=1
    )
    article.tags.add("Floods", "Weather")
    return article


def edit(article, **changes) -> Revision:
    """Change the story as a save would: new content, version bumped, revision recorded."""
    fresh = Article.objects.get(pk=article.pk)
    for name, value in changes.items():
        setattr(fresh, name, value)
    fresh.version += 1
    fresh.save()
    return record_revision(fresh, by=None, summary="Saved")


# --- Recording -------------------------------------------------------------------------------


def test_admin_save_records_a_revision_with_bylines_credits_links_and_tags(client, editor, story):
    login(client, editor)
    page = client.get(change_url(story))
    data = form_data(page)
    data["headline"] = ["Flood waters rise across the south"]
    add_inline_row(
        data,
        inline_prefix(page, Byline),
        person=PersonFactory(name="Li Ming").pk,
        role="Reporter",
        position=1,
    )
    response = client.post(change_url(story), data)
    assert response.status_code == 302, response.content.decode()[:2000]

    story.refresh_from_db()
    revision = story.revisions.get(number=story.version)
    assert revision.created_by == editor
    assert revision.summary == "Saved"
    assert revision.data["headline"] == "Flood waters rise across the south"
    assert [(c["kind"], c["name"], c["role"]) for c in revision.data["contributions"]] == [
        ("byline", "Cao Desheng", ""),
        ("byline", "Li Ming", "Reporter"),
        ("credit", "Liang Jun", "Web editor"),
    ]
    assert [(link["target_headline"], link["url"]) for link in revision.data["related_links"]] == [
        ("Last year's floods", ""),
        ("", "https://weather.example/"),
    ]
    assert revision.data["tags"] == ["Floods", "Weather"]
    assert revision.data["source_name"] == "Xinhua"


def test_a_transition_records_a_revision(editor, story):
    workflow.submit(story, by=editor)
    revision = story.revisions.get(number=story.version)
    assert revision.summary == "Submit for review"
    assert revision.created_by == editor
    assert revision.data["state"] == State.REVIEW
    assert revision.data["headline"] == story.headline


def test_revision_numbers_follow_the_version(client, editor, story):
    login(client, editor)
    for headline in ("First rewrite", "Second rewrite"):
        data = form_data(client.get(change_url(story)))
        data["headline"] = [headline]
        assert client.post(change_url(story), data).status_code == 302
    workflow.submit(story, by=editor)

    story.refresh_from_db()
    numbers = list(story.revisions.order_by("number").values_list("number", "summary"))
    assert numbers == [(2, "Saved"), (3, "Saved"), (4, "Submit for review")]
    assert story.version == 4


# --- Diff ------------------------------------------------------------------------------------


def test_word_diff_marks_removed_and_inserted_words():
    assert word_diff("The quick brown fox", "The quick red fox jumps") == (
        "The quick <del>brown</del> <ins>red</ins> fox <ins>jumps</ins>"
    )


def test_paragraphs_are_read_as_text_without_tags():
    html = "<h2>Aid</h2><p>Help <strong>arrived</strong> &amp; stayed.<br>Then left.</p>"
    assert paragraphs(html) == ["Aid", "Help arrived & stayed. Then left."]


def test_diff_shows_changed_headline_and_words_of_the_body(story):
    old = record_revision(story, by=None)
    new = edit(
        story,
        headline="Flood waters fall in the south",
        body="<p>Rain fell for four long days.</p><p>Rivers burst their banks.</p>",
    )
    changes = diff(old, new)
    assert changes.headline_changed
    assert changes.headline == "Flood waters <del>rise</del> <ins>fall</ins> in the south"
    assert [row.kind for row in changes.body] == ["changed", "same"]
    assert changes.body[0].html == "Rain fell for <del>three</del> <ins>four long</ins> days."
    assert changes.fields == []


def test_diff_shows_added_and_removed_paragraphs_and_folds_unchanged_ones(story):
    kept = [f"<p>Unchanged paragraph number {n}.</p>" for n in range(6)]
    old = edit(story, body="<p>Opening line.</p>" + "".join(kept))
    new = edit(story, body="".join(kept) + "<p>A closing quote from the mayor.</p>")
    rows = [(row.kind, row.count or str(row.html)) for row in diff(old, new).body]
    assert rows == [
        ("removed", "<del>Opening line.</del>"),
        ("same", "Unchanged paragraph number 0."),
        ("folded", 4),
        ("same", "Unchanged paragraph number 5."),
        ("added", "<ins>A closing quote from the mayor.</ins>"),
    ]


def test_diff_pairs_an_edited_paragraph_across_paragraphs_added_before_it(story):
    old = edit(story, body="<p>Rain fell for three days.</p><p>Rivers burst their banks.</p>")
    new = edit(
        story,
        body="<p>Rain fell for three long days.</p><p>Schools closed.</p><p>Roads flooded.</p>"
        "<p>Rivers burst their high banks.</p>",
    )
    rows = [(row.kind, str(row.html)) for row in diff(old, new).body]
    assert rows == [
        ("changed", "Rain fell for three <ins>long</ins> days."),
        ("added", "<ins>Schools closed.</ins>"),
        ("added", "<ins>Roads flooded.</ins>"),
        ("changed", "Rivers burst their <ins>high</ins> banks."),
    ]


def test_diff_lists_other_changes_by_name(story):
    old = record_revision(story, by=None)
    Contribution.objects.filter(article=story, kind="byline").delete()
    ContributionFactory(article=story, person=PersonFactory(name="Li Ming"), role="Reporter")
    story.tags.set(["Floods", "Rescue"])
    RelatedLink.objects.filter(article=story, target__isnull=True).update(title="Rain radar")
    new = edit(
        story,
        deck="Thousands leave their homes",
        section=SectionFactory(name="China"),
        article_type="analysis",
        source=None,
    )
    fields = {change.name: change for change in diff(old, new).fields}
    assert set(fields) == {
        "deck",
        "section",
        "article_type",
        "source",
        "bylines",
        "tags",
        "related_links",
    }
    assert fields["deck"].html == "<ins>Thousands leave their homes</ins>"
    assert fields["article_type"].html == "<del>News</del> <ins>Analysis</ins>"
    assert fields["source"].html == "<del>Xinhua</del>"
    assert fields["section"].html.endswith("<ins>China</ins>")
    assert fields["bylines"].items == [("removed", "Cao Desheng"), ("added", "Li Ming — Reporter")]
    assert fields["tags"].items == [
        ("same", "Floods"),
        ("removed", "Weather"),
        ("added", "Rescue"),
    ]
    assert ("added", "Rain radar → https://weather.example/") in fields["related_links"].items
    assert ("removed", "Forecast → https://weather.example/") in fields["related_links"].items


def test_diff_escapes_revision_text(story):
    old = record_revision(story, by=None)
    new = Revision.objects.create(
        article=story,
        number=old.number + 1,
        data={**old.data, "headline": "<script>alert(1)</script> Floods", "deck": "<b>x</b>"},
    )
    changes = diff(old, new)
    assert "<script>" not in changes.headline
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in changes.headline
    assert str(changes.fields[0].html) == "<ins>&lt;b&gt;x&lt;/b&gt;</ins>"


# --- Restore ---------------------------------------------------------------------------------


def story_content(article):
    article = Article.objects.get(pk=article.pk)
    return {
        "headline": article.headline,
        "body": article.body,
        "section": article.section_id,
        "source": article.source_id,
        "contributions": list(
            article.contributions.order_by("kind", "position").values_list(
                "kind", "person__name", "role"
            )
        ),
        "links": list(
            article.related_links.order_by("position").values_list("target_id", "url", "title")
        ),
        "tags": sorted(article.tags.names()),
    }


def test_restore_brings_back_content_and_leaves_the_workflow_alone(editor, publisher, story):
    original = record_revision(story, by=None)
    before = story_content(story)
    workflow.submit(story, by=editor)
    workflow.approve(story, by=editor)
    workflow.publish(story, by=publisher)
    published_at = story.published_at
    Contribution.objects.filter(article=story).delete()
    ContributionFactory(article=story, person=PersonFactory(name="Li Ming"))
    RelatedLink.objects.filter(article=story).delete()
    story.tags.set(["Rescue"])
    edit(story, headline="Rewritten", body="<p>Entirely new text.</p>")
    version = Article.objects.get(pk=story.pk).version

    restored = restore(story, original, by=editor)

    assert story_content(story) == before
    story.refresh_from_db()
    assert story.state == State.PUBLISHED
    assert story.published_at == published_at
    assert story.first_published_at == published_at
    assert story.version == version + 1
    assert restored.notes == []
    assert restored.revision.number == story.version
    assert restored.revision.summary == f"Restored revision {original.number}"
    assert restored.revision.created_by == editor
    assert restored.revision.data["state"] == State.PUBLISHED
    assert restored.revision.data["headline"] == original.data["headline"]


def test_restore_refuses_when_a_credited_person_is_gone_and_changes_nothing(editor, story):
    original = record_revision(story, by=None)
    person = story.contributions.get(kind="byline").person
    story.contributions.filter(person=person).delete()
    edit(story, headline="Rewritten")
    person.delete()
    before = story_content(story)
    version = Article.objects.get(pk=story.pk).version

    with pytest.raises(ValidationError, match="the person “Cao Desheng” no longer exists"):
        restore(story, original, by=editor)

    assert story_content(story) == before
    assert Article.objects.get(pk=story.pk).version == version
    assert not story.revisions.filter(number=version + 1).exists()


def test_restore_refuses_when_the_section_is_gone(editor, story):
    original = record_revision(story, by=None)
    old_section = story.section
    edit(story, section=SectionFactory(name="China"))
    old_section.delete()

    with pytest.raises(ValidationError, match=f"the section “{old_section.name}”"):
        restore(story, original, by=editor)
    assert Article.objects.get(pk=story.pk).headline == story.headline


def test_restore_leaves_out_a_link_to_a_deleted_story_with_a_note(editor, story):
    original = record_revision(story, by=None)
    edit(story, headline="Rewritten")
    RelatedLink.objects.get(article=story, target__isnull=False).target.delete()

    restored = restore(story, original, by=editor)

    assert restored.notes == [
        "Left out the related link to “Last year's floods”: that story no longer exists."
    ]
    assert story_content(story)["links"] == [(None, "https://weather.example/", "Forecast")]
    assert Article.objects.get(pk=story.pk).headline == "Flood waters rise in the south"


def test_restore_keeps_the_address_when_another_story_took_it(editor, story):
    original = record_revision(story, by=None)
    old_slug = story.slug
    edit(story, slug="new-address")
    ArticleFactory(slug=old_slug, headline="Another story")

    restored = restore(story, original, by=editor)

    assert Article.objects.get(pk=story.pk).slug == "new-address"
    assert restored.notes == [
        f"Kept the address “new-address”: “{old_slug}” now belongs to “Another story”."
    ]


def test_restore_brings_back_a_deleted_tag_by_name(editor, story):
    original = record_revision(story, by=None)
    story.tags.set(["Rescue"])
    edit(story, headline="Rewritten")
    Tag.objects.filter(name="Weather").delete()

    restore(story, original, by=editor)

    assert sorted(story.tags.names()) == ["Floods", "Weather"]


def test_restore_needs_review_permission(reporter, story):
    original = record_revision(story, by=None)
    with pytest.raises(PermissionDenied):
        restore(story, original, by=reporter)


def test_restore_refuses_a_revision_of_another_story(editor, story):
    other = ArticleFactory()
    with pytest.raises(ValueError, match="belongs to another story"):
        restore(story, record_revision(other, by=None), by=editor)


# --- Admin pages -----------------------------------------------------------------------------


def test_change_form_links_to_revisions_and_shows_the_last_five(client, editor, story):
    for n in range(7):
        edit(story, headline=f"Take {n}")
    story.refresh_from_db()
    login(client, editor)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(change_url(story))
    assert response.status_code == 200
    revision_queries = [q for q in queries if "articles_revision" in q["sql"]]
    assert len(revision_queries) == 1

    soup = BeautifulSoup(response.content, "html.parser")
    tool = soup.find("a", href=revisions_url(story))
    assert tool.get_text(strip=True) == "Revisions (7)"
    panel = soup.find(id="revisions-panel")
    assert [row.th.get_text() for row in panel.find_all("tr")] == ["8", "7", "6", "5", "4"]
    assert panel.find("a", href=revisions_url(story)).get_text() == "All 7 revisions"


def test_revision_list_shows_local_time_author_and_summary(client, editor, reporter, story):
    first = record_revision(story, by=reporter, summary="Created")
    Revision.objects.filter(pk=first.pk).update(
        created_at=datetime(2023, 9, 15, 0, 55, tzinfo=UTC)
    )
    workflow.submit(story, by=reporter)
    login(client, editor)

    response = client.get(revisions_url(story))

    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    row = soup.find(id="revision-1")
    assert "15 Sep 2023, 08:55" in row.get_text()
    assert "rita" in row.get_text()
    assert "Created" in row.get_text()
    assert soup.find(id="revision-2").find(string="In review")
    restore_link = revisions_url(story, "revision_restore", 1)
    assert soup.find("a", href=restore_link)
    # The current version needs no restore.
    assert not soup.find("a", href=revisions_url(story, "revision_restore", 2))
    assert soup.find("form", action=revisions_url(story, "revisions_compare"))


def test_reporter_sees_history_without_restore_buttons(client, reporter, story):
    record_revision(story, by=None)
    edit(story, headline="Rewritten")
    login(client, reporter)

    response = client.get(revisions_url(story))

    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.find(id="revision-1")
    assert not soup.find("a", href=revisions_url(story, "revision_restore", 1))
    compare = client.get(revisions_url(story, "revisions_compare"), {"a": 1, "b": 2})
    assert compare.status_code == 200


def test_compare_page_shows_the_diff(client, editor, story):
    record_revision(story, by=None)
    edit(
        story,
        headline="<script>alert(1)</script> Flood waters",
        body="<p>Rain fell for days.</p><p>Rivers burst their high banks.</p>",
    )
    login(client, editor)

    response = client.get(revisions_url(story, "revisions_compare"), {"a": 2, "b": 1})

    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "<ins>&lt;script&gt;alert(1)&lt;/script&gt;</ins> Flood waters" in html
    assert "<del>three</del>" in html
    assert "<ins>high</ins>" in html


@pytest.mark.parametrize(
    "query", [{"a": 1, "b": 99}, {"a": "x", "b": 1}, {"a": 1}, {}, {"a": "-1", "b": 1}]
)
def test_compare_with_a_bad_or_missing_revision_is_404(client, editor, story, query):
    record_revision(story, by=None)
    login(client, editor)
    assert client.get(revisions_url(story, "revisions_compare"), query).status_code == 404


def test_restore_of_a_missing_revision_is_404(client, editor, story):
    login(client, editor)
    assert client.get(revisions_url(story, "revision_restore", 99)).status_code == 404
    assert client.post(revisions_url(story, "revision_restore", 99)).status_code == 404


def test_revisions_of_a_missing_story_are_404(client, editor):
    login(client, editor)
    assert (
        client.get(reverse("admin:articles_article_revisions", args=[999999])).status_code == 404
    )


def test_reporter_may_not_restore(client, reporter, story):
    original = record_revision(story, by=None)
    edit(story, headline="Rewritten")
    login(client, reporter)
    url = revisions_url(story, "revision_restore", original.number)

    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert Article.objects.get(pk=story.pk).headline == "Rewritten"


def test_editor_restores_after_confirming(client, editor, story):
    original = record_revision(story, by=None)
    edit(story, headline="Rewritten")
    login(client, editor)
    url = revisions_url(story, "revision_restore", original.number)

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "<del>Rewritten</del>" in confirm.content.decode()
    assert Article.objects.get(pk=story.pk).headline == "Rewritten"

    response = client.post(url, follow=True)
    assert response.redirect_chain[0] == (change_url(story), 302)
    assert "Restored revision 1; the story is now at version 3." in response.content.decode()
    story.refresh_from_db()
    assert story.headline == "Flood waters rise in the south"
    assert story.revisions.get(number=3).summary == "Restored revision 1"


def test_a_failed_restore_is_reported_and_changes_nothing(client, editor, story):
    original = record_revision(story, by=None)
    person = story.contributions.get(kind="byline").person
    story.contributions.filter(person=person).delete()
    edit(story, headline="Rewritten")
    person.delete()
    login(client, editor)

    response = client.post(revisions_url(story, "revision_restore", original.number), follow=True)

    assert response.redirect_chain[0] == (revisions_url(story), 302)
    assert "the person “Cao Desheng” no longer exists" in response.content.decode()
    assert Article.objects.get(pk=story.pk).headline == "Rewritten"


def test_restore_brings_back_the_lead_image_and_syndication(editor, story):
    photo = Image.objects.create(
        file="images/flood.jpg", width=1600, height=900, alt_text="Flooded street"
    )
    Article.objects.filter(pk=story.pk).update(
        lead_image=photo, original_url="https://xinhua.example/flood", syndication="noindex"
    )
    story.refresh_from_db()
    original = record_revision(story, by=None)
    assert (original.data["lead_image"], original.data["lead_image_alt"]) == (
        photo.pk,
        "Flooded street",
    )
    Article.objects.filter(pk=story.pk).update(
        lead_image=None, original_url="", syndication="canonical"
    )

    restored = restore(story, original, by=editor)

    story.refresh_from_db()
    assert (story.lead_image_id, story.original_url, story.syndication) == (
        photo.pk,
        "https://xinhua.example/flood",
        "noindex",
    )
    assert restored.notes == []


def test_restore_leaves_out_a_deleted_lead_image_with_a_note(editor, story):
    photo = Image.objects.create(
        file="images/flood.jpg", width=1600, height=900, alt_text="Flooded street"
    )
    Article.objects.filter(pk=story.pk).update(lead_image=photo)
    story.refresh_from_db()
    original = record_revision(story, by=None)
    photo.delete()

    restored = restore(story, original, by=editor)

    assert Article.objects.get(pk=story.pk).lead_image_id is None
    assert restored.notes == [
        "Left out the lead image “Flooded street”: it was deleted from the library."
    ]
