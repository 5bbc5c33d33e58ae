"""Importing wire copy from the admin: upload a file, land on the draft, or see what is wrong."""

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from articles import workflow
from articles.models import Article, Person, Source, State
from articles.tests.factories import ArticleFactory, SectionFactory, SourceFactory

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:articles_article_import")
CHANGELIST = reverse("admin:articles_article_changelist")
SAMPLE_HEADLINE = "Xi: Build model general offices of Party, governments"

RIVERS = """Ministers agree on river clean-up

By Li Wei (Xinhua) 14:05, March 3, 2024

The first paragraph.

(Web editor: Liang Jun)
"""


@pytest.fixture
def politics(db):
    return SectionFactory(name="Politics", slug="politics")


@pytest.fixture
def xinhua(db):
    return SourceFactory(name="Xinhua", slug="xinhua")


def change_url(article) -> str:
    return reverse("admin:articles_article_change", args=[article.pk])


def upload(client, content: str | bytes, section, name: str = "wire.txt", follow: bool = True):
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        IMPORT,
        {"file": SimpleUploadedFile(name, data, content_type="text/plain"), "section": section.pk},
        follow=follow,
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def file_errors(response) -> list[str]:
    assert response.status_code == 200
    return list(response.context["form"].errors.get("file", []))


def test_reporter_sees_the_upload_page_with_the_wire_section_chosen(client, reporter):
    wire = SectionFactory(name="Wire", slug="wire")
    SectionFactory(name="Politics", slug="politics")
    client.force_login(reporter)
    response = client.get(IMPORT)
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    assert page.select_one("form[enctype='multipart/form-data'] input[type=file][name=file]")
    assert page.select_one("select[name=section] option[selected]")["value"] == str(wire.pk)
    assert page.select_one(".breadcrumbs").get_text(" ", strip=True).endswith("Import wire copy")


def test_change_list_links_to_the_upload_page(client, reporter):
    client.force_login(reporter)
    page = BeautifulSoup(client.get(CHANGELIST).content, "html.parser")
    assert page.select_one(f".object-tools a[href='{IMPORT}']").get_text() == "Import wire copy"


def test_who_may_not_add_stories_may_not_import(client, make_staff, politics):
    viewer = make_staff(username="viewer")
    viewer.user_permissions.add(Permission.objects.get(codename="view_article"))
    client.force_login(viewer)
    assert client.get(IMPORT).status_code == 403
    response = upload(client, RIVERS, politics, follow=False)
    assert response.status_code == 403
    assert not Article.objects.exists()
    page = BeautifulSoup(client.get(CHANGELIST).content, "html.parser")
    assert not page.select(f"a[href='{IMPORT}']")


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(IMPORT)
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_editor_uploads_the_sample_and_lands_on_the_new_draft(
    client, editor, politics, sample_story_text
):
    client.force_login(editor)
    response = upload(client, sample_story_text, politics, name="sample_story.txt")
    article = Article.objects.get()
    assert response.redirect_chain == [(change_url(article), 302)]
    assert messages_of(response) == [f"Imported “{SAMPLE_HEADLINE}” as a draft."]
    assert article.state == State.DRAFT
    assert article.section == politics
    assert article.created_by == editor
    assert article.source.name == "China Daily"
    assert [c.person.name for c in article.bylines] == ["Cao Desheng"]


def test_reporter_imports_a_draft_of_their_own(client, reporter, politics, xinhua):
    client.force_login(reporter)
    response = upload(client, RIVERS, politics)
    article = Article.objects.get()
    assert response.redirect_chain == [(change_url(article), 302)]
    assert article.created_by == reporter
    assert article.source == xinhua
    # Theirs to edit: the change form is a form, not a read-only page.
    assert response.context["has_change_permission"]


def test_reporter_may_not_add_an_unknown_source(client, reporter, politics):
    client.force_login(reporter)
    response = upload(client, RIVERS, politics)
    assert file_errors(response) == [
        "wire.txt: the source “Xinhua” is not known here and you may not add sources; "
        "ask an editor to add it."
    ]
    assert not Article.objects.exists()
    assert not Source.objects.exists()
    assert not Person.objects.exists()


def test_malformed_copy_comes_back_with_file_and_line(client, editor, politics):
    client.force_login(editor)
    response = upload(client, "A headline\n\nNo byline here.\n", politics, name="sample.txt")
    assert file_errors(response) == [
        "sample.txt, line 3: expected a byline like 'By NAME (SOURCE) HH:MM, Month D, YYYY'."
    ]
    assert "sample.txt, line 3: expected a byline" in response.content.decode()
    assert not Article.objects.exists()


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (RIVERS.encode("utf-16"), "wire.txt, line 1: the copy is UTF-16; save it as UTF-8."),
        (
            RIVERS.replace("Li Wei", "Lí Wei").encode("latin-1"),
            "wire.txt, line 3: not UTF-8 text (byte 0xED); save the copy as UTF-8.",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "wire.txt, line 1: not UTF-8 text (byte 0x89)"),
        (b"\n\n\n", "wire.txt, line 1: the copy is empty; expected a headline."),
        (
            RIVERS.replace("14:05", "24:05").encode(),
            "wire.txt, line 3: no such time “24:05”.",
        ),
    ],
)
def test_unreadable_files_are_refused_on_the_form(client, editor, politics, content, error):
    client.force_login(editor)
    response = upload(client, content, politics)
    (message,) = file_errors(response)
    assert message.startswith(error)
    assert not Article.objects.exists()


def test_a_file_over_the_limit_is_refused(client, editor, politics, settings):
    settings.NEWSROOM_WIRE_MAX_BYTES = 50
    client.force_login(editor)
    response = upload(client, RIVERS, politics, name="long.txt")
    size = len(RIVERS.encode())
    assert file_errors(response) == [
        f"long.txt: the file is {size} bytes; wire copy may be at most 50 bytes."
    ]


def test_a_form_without_a_file_asks_for_one(client, editor, politics):
    client.force_login(editor)
    response = client.post(IMPORT, {"section": politics.pk})
    assert file_errors(response) == ["This field is required."]


def test_uploading_the_same_copy_again_lands_on_the_story(client, editor, politics, xinhua):
    client.force_login(editor)
    upload(client, RIVERS, politics)
    response = upload(client, RIVERS, politics)
    article = Article.objects.get()
    assert response.redirect_chain == [(change_url(article), 302)]
    assert messages_of(response) == [
        "“Ministers agree on river clean-up” was imported before from the same copy; "
        "nothing changed."
    ]


def test_a_corrected_copy_updates_the_draft(client, editor, politics, xinhua):
    client.force_login(editor)
    upload(client, RIVERS, politics)
    response = upload(client, RIVERS.replace("first", "corrected"), politics)
    article = Article.objects.get()
    assert response.redirect_chain == [(change_url(article), 302)]
    assert messages_of(response) == [
        "Updated the draft “Ministers agree on river clean-up” from the new copy."
    ]
    assert "corrected paragraph" in article.body
    assert article.version == 2


def test_a_story_in_the_workflow_is_shown_not_changed(client, reporter, politics, xinhua):
    client.force_login(reporter)
    upload(client, RIVERS, politics)
    article = Article.objects.get()
    workflow.submit(article, by=reporter)
    response = upload(client, RIVERS.replace("first", "corrected"), politics)
    assert response.redirect_chain == [(change_url(article), 302)]
    assert messages_of(response) == [
        "“Ministers agree on river clean-up” is already here, left as it is: "
        "already in the workflow (In review)."
    ]
    assert "corrected" not in Article.objects.get().body


def test_reporter_does_not_update_someone_elses_draft(client, reporter, editor, politics, xinhua):
    client.force_login(editor)
    upload(client, RIVERS, politics)
    client.force_login(reporter)
    response = upload(client, RIVERS.replace("first", "corrected"), politics)
    assert messages_of(response) == [
        "“Ministers agree on river clean-up” is already here, left as it is: "
        "a draft you may not change."
    ]
    article = Article.objects.get()
    assert "corrected" not in article.body
    assert article.created_by == editor


def test_related_stories_left_out_are_reported(client, editor, politics, xinhua):
    ArticleFactory(headline="An unpublished story")
    client.force_login(editor)
    response = upload(client, RIVERS + "\nRelated Stories\nAn unpublished story\n", politics)
    assert messages_of(response) == [
        "Imported “Ministers agree on river clean-up” as a draft.",
        "Related story “An unpublished story” is not published here; left out.",
    ]
