"""Export and import: a whole newsroom moves to an empty database with nothing lost, across
SQLite and PostgreSQL, and a damaged export changes nothing."""

import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from datetime import timedelta
from io import BytesIO, StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.flatpages.models import FlatPage
from django.contrib.sites.models import Site
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from PIL import Image as PILImage

from articles import images, previews, revisions, search, transfer, workflow
from articles.corrections import add_correction
from articles.models import (
    Article,
    ArticleRedirect,
    ArticleType,
    Contribution,
    Correction,
    EditLease,
    Image,
    PreviewLink,
    RelatedLink,
    Revision,
    Section,
    Source,
    State,
    Syndication,
    Tag,
    WorkflowEvent,
)
from articles.tests.factories import (
    ArticleFactory,
    ContributionFactory,
    CreditFactory,
    SectionFactory,
    SourceFactory,
)
from conftest import STAFF_PASSWORD
from people.models import Person
from people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

STANDARDS = importlib.import_module("articles.migrations.0006_site_and_standards_page")

# Every model compared after a round trip, as "app.model" labels.
COMPARED = (
    "auth.group",
    "auth.user",
    "sites.site",
    "flatpages.flatpage",
    "articles.image",
    "people.person",
    "articles.source",
    "articles.section",
    "articles.tag",
    "articles.article",
    "articles.contribution",
    "articles.taggedarticle",
    "articles.relatedlink",
    "articles.correction",
    "articles.workflowevent",
    "articles.articleredirect",
    "articles.previewlink",
    "articles.revision",
)
# What an export leaves out on purpose: transient, or the admin's two views of Contribution.
NOT_CARRIED = {"articles.editlease", "articles.byline", "articles.credit"}


# --- Building a newsroom -------------------------------------------------------------------


def jpeg(size=(900, 600), color=(40, 90, 160)) -> bytes:
    out = BytesIO()
    PILImage.new("RGB", size, color).save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture
def newsroom(make_staff, reporter, editor, publisher, django_capture_on_commit_callbacks):
    """Stories in every state with everything that hangs off them, made as the desk does."""

    def upload(name: str, data: bytes, **fields) -> Image:
        with django_capture_on_commit_callbacks(execute=True):
            image = Image.objects.create(
                file=images.prepare_upload(SimpleUploadedFile(name, data)), **fields
            )
        image.refresh_from_db()
        assert image.renditions, "renditions are made after commit"
        return image

    User = get_user_model()
    make_staff(None, "admin", is_superuser=True, email="admin@news.example")
    photo_desk = Group.objects.create(name="Photo desk")
    photo_desk.permissions.add(Permission.objects.get(codename="change_image"))
    make_staff(None, "pat", first_name="Pat", last_name="Photo").groups.add(photo_desk)
    # Not staff, but credited through their person: carried because the content names them.
    columnist = User.objects.create_user("cora", password=STAFF_PASSWORD, is_staff=False)
    reporter.first_name, reporter.last_name = "Rita", "Reporter"
    reporter.last_login = timezone.now()
    reporter.save()

    lead = upload(
        "Harbour at dawn.jpg",
        jpeg(),
        alt_text="Boats in the harbour at dawn",
        caption="Fishing boats return to Qingdao.",
        credit="Photo Desk",
        focal_x=0.3,
        focal_y=0.6,
    )
    portrait = upload("rita.jpg", jpeg((500, 700), (200, 150, 90)), alt_text="Rita Reporter")

    politics = SectionFactory(name="Politics", slug="politics", position=1, description="Power.")
    business = SectionFactory(name="Business", slug="business", position=2)
    agency = SourceFactory(name="China Daily", slug="china-daily", url="https://cd.example/")
    rita = PersonFactory(
        name="Rita Reporter",
        user=reporter,
        photo=portrait,
        bio="Covers the capital.",
        expertise="Politics, courts",
        affiliation="Newsroom",
    )
    cao = PersonFactory(name="Cao Desheng", affiliation="China Daily")
    zhong = PersonFactory(name="Zhong Wenxing", job_title="Web editor")
    PersonFactory(name="Cora Columnist", user=columnist)

    def story(headline, **fields):
        fields.setdefault("section", politics)
        return ArticleFactory(headline=headline, created_by=reporter, **fields)

    draft = story("A draft about the harbour", deck="Still being written.")
    draft.tags.add("Harbour", "中国")
    in_review = workflow.submit(story("In review"), by=reporter, comment="Please check names.")
    ready = story("Ready to go", section=business)
    workflow.submit(ready, by=reporter)
    workflow.approve(ready, by=editor, comment="Good.")

    def published(headline, at=None, **fields):
        article = story(headline, **fields)
        workflow.submit(article, by=reporter)
        workflow.approve(article, by=editor)
        return workflow.publish(article, by=publisher, at=at, comment="Go.")

    target = published("The earlier story on the harbour")
    live = published(
        "Xi: Build model general offices",
        deck="Speech to the offices.",
        body="<p>First <strong>paragraph</strong>.</p><p>Second, with a "
        '<a href="https://cd.example/x">link</a>.</p>',
        summary="A speech.",
        source=agency,
        article_type=ArticleType.ANALYSIS,
        dateline_place="Beijing",
        lead_image=lead,
        original_url="https://cd.example/story",
        syndication=Syndication.NOINDEX,
    )
    ContributionFactory(article=live, person=cao, position=0)
    ContributionFactory(article=live, person=rita, position=1, role="Reporter")
    CreditFactory(article=live, person=zhong, position=0)
    CreditFactory(article=live, person=rita, position=1, role="Photo editor")
    live.tags.add("Politics", "中国")
    RelatedLink.objects.create(article=live, target=target, position=0)
    RelatedLink.objects.create(
        article=live, url="https://elsewhere.example/a", title="Elsewhere", position=1
    )
    revisions.record_revision(live, by=editor, summary="Bylines and links")
    add_correction(live, kind=Correction.Kind.CORRECTION, text="A name was misspelt.", by=editor)
    add_correction(live, kind=Correction.Kind.UPDATE, text="Adds the reaction.", by=publisher)

    # A changed address of a public story leaves a redirect.
    moved = Article.objects.get(pk=target.pk)
    moved.slug = "harbour-story-renamed"
    moved.save()
    assert ArticleRedirect.objects.filter(article=target).exists()

    scheduled = published("Embargoed budget", at=timezone.now() + timedelta(days=2))
    unscheduled = published("Pulled before its time", at=timezone.now() + timedelta(days=1))
    workflow.unpublish(unscheduled, by=publisher, comment="Hold it.")
    withdrawn = published("A story withdrawn", section=business)
    workflow.withdraw(withdrawn, by=publisher, notice="Withdrawn on legal advice.")
    returned = published("Withdrawn then back to draft")
    workflow.withdraw(returned, by=publisher, notice="Wrong.")
    workflow.return_to_draft(returned, by=publisher)

    # A revision naming a section deleted since.
    old_section = SectionFactory(name="Temporary", slug="temporary")
    wandering = story("Moved between sections", section=old_section)
    revisions.record_revision(wandering, by=reporter, summary="First home")
    Article.objects.filter(pk=wandering.pk).update(section=politics, version=2)
    wandering.refresh_from_db()
    revisions.record_revision(wandering, by=reporter, summary="Second home")
    old_section.delete()

    previews.make_link(draft, by=editor, expires_in=timedelta(days=2), note="legal")
    EditLease.objects.create(article=draft, user=reporter)

    standards = FlatPage.objects.get(url=STANDARDS.STANDARDS_URL)
    standards.content = "<p>Our own standards.</p>"
    standards.save()
    about = FlatPage.objects.create(url="/about/", title="About us", content="<p>Hi.</p>")
    about.sites.add(Site.objects.get_current())

    return {
        "draft": draft,
        "in_review": in_review,
        "ready": ready,
        "live": live,
        "scheduled": scheduled,
        "withdrawn": withdrawn,
        "wandering": wandering,
        "lead": lead,
        "rita": rita,
    }


# --- Comparing -----------------------------------------------------------------------------


def _natural(model, pk):
    if pk is None:
        return None
    found = model.objects.filter(pk=pk).first()
    return list(found.natural_key()) if found else "deleted"


def resolved_snapshot(data: dict) -> dict:
    """A revision snapshot with its database ids replaced by what they point at."""
    data = dict(data)
    for name, model in (("section", Section), ("source", Source), ("lead_image", Image)):
        if name in data:
            data[name] = _natural(model, data[name])
    data["contributions"] = [
        {**c, "person": _natural(Person, c["person"])} for c in data.get("contributions", [])
    ]
    data["related_links"] = [
        {**link, "target": _natural(Article, link["target"])}
        for link in data.get("related_links", [])
    ]
    return data


def newsroom_state(labels=COMPARED) -> dict[str, list[dict]]:
    """Every row of every carried model, references by natural key, in id order.

    Ids themselves are left out (they differ between databases), and so is the search
    document (rebuilt); everything else must survive a round trip, order included.
    """
    state = {}
    for label in labels:
        model = apps.get_model(label)
        rows = serializers.serialize(
            "python",
            model._default_manager.order_by("pk"),
            use_natural_foreign_keys=True,
            use_natural_primary_keys=True,
        )
        many = [f.name for f in model._meta.many_to_many]
        for row in rows:
            row.pop("pk", None)
            row["fields"].pop("search_vector", None)
            for name in many:
                row["fields"][name] = sorted(map(repr, row["fields"].get(name, [])))
            if label == "articles.revision":
                row["fields"]["data"] = resolved_snapshot(row["fields"]["data"])
        state[label] = rows
    return state


def media_files(root) -> dict[str, bytes]:
    root = Path(root)
    if not root.exists():
        return {}
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def wipe(settings):
    """Leave the database as a fresh `migrate` would: no content, no accounts, default pages."""
    Article.objects.all().delete()
    for model in (Person, Tag, Section, Source, Image):
        model.objects.all().delete()
    get_user_model().objects.all().delete()
    Group.objects.exclude(name__in=["Reporter", "Editor", "Publisher"]).delete()
    FlatPage.objects.exclude(url=STANDARDS.STANDARDS_URL).delete()
    FlatPage.objects.filter(url=STANDARDS.STANDARDS_URL).update(content=STANDARDS.STANDARDS_BODY)
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


def export(directory, *args) -> str:
    out = StringIO()
    call_command("export_newsroom", str(directory), *args, stdout=out, stderr=out)
    return out.getvalue()


def import_(directory) -> str:
    out = StringIO()
    call_command("import_newsroom", str(directory), stdout=out)
    return out.getvalue()


# --- Round trip ----------------------------------------------------------------------------


def test_round_trip_restores_every_field_of_every_model_and_the_media(
    newsroom, tmp_path, settings
):
    before = newsroom_state()
    media_before = media_files(settings.MEDIA_ROOT)
    assert len(media_before) > 20  # two originals and their renditions
    assert {a.state for a in Article.objects.all()} == set(State.values)
    assert Article.objects.scheduled().exists()
    assert Revision.objects.count() > 10

    output = export(tmp_path / "export", "--with-revisions")
    assert "stories" in output
    wipe(settings)
    assert not Article.objects.exists()
    assert media_files(settings.MEDIA_ROOT) == {}

    import_(tmp_path / "export")

    after = newsroom_state()
    for label in COMPARED:
        assert after[label] == before[label], label
    assert media_files(settings.MEDIA_ROOT) == media_before
    assert not EditLease.objects.exists()


def test_imported_newsroom_works_as_before(newsroom, tmp_path, settings, client):
    live_uuid = newsroom["live"].uuid
    live_bylines = [(c.person.slug, c.role) for c in newsroom["live"].bylines]
    export(tmp_path / "export", "--with-revisions")
    wipe(settings)
    import_(tmp_path / "export")

    # Staff sign in with their passwords, in their roles.
    rita = authenticate(username="rita", password=STAFF_PASSWORD)
    assert rita is not None and rita.is_staff
    assert list(rita.groups.values_list("name", flat=True)) == ["Reporter"]
    assert Person.objects.get(slug=newsroom["rita"].slug).user == rita
    assert get_user_model().objects.get(username="pat").has_perm("articles.change_image")

    live = Article.objects.get(uuid=live_uuid)
    assert Article.objects.published().filter(pk=live.pk).exists()
    assert [(c.person.slug, c.role) for c in live.bylines] == live_bylines
    assert live.lead_image.renditions
    assert images.rendition_url(live.lead_image, "lead")["url"].startswith(settings.MEDIA_URL)
    assert [hit.pk for hit in search.search("general offices")] == [live.pk]
    if connection.vendor == "postgresql":
        assert not Article.objects.filter(search_vector__isnull=True).exists()

    # A restored revision points at the same people and section after the move.
    editor = get_user_model().objects.get(username="eddie")
    first = live.revisions.order_by("number").first()
    revisions.restore(live, first, by=editor)
    live.refresh_from_db()
    assert live.section.slug == "politics"
    # The snapshot naming a section deleted before the export still says it is gone.
    wandering = Article.objects.get(uuid=newsroom["wandering"].uuid)
    with pytest.raises(ValidationError, match="Temporary"):
        revisions.restore(wandering, wandering.revisions.get(number=1), by=editor)

    # The workflow goes on from where the story was.
    ready = Article.objects.get(uuid=newsroom["ready"].uuid)
    publisher = get_user_model().objects.get(username="paula")
    workflow.publish(ready, by=publisher)
    assert ready.events.count() == 3
    # A share link made before the move still opens the draft (same secret key).
    response = client.get(previews.url_for(PreviewLink.objects.get()))
    assert response.status_code == 200
    assert "A draft about the harbour" in response.content.decode()


def test_revisions_travel_only_when_asked(newsroom, tmp_path, settings):
    before = newsroom_state()
    export(tmp_path / "export")
    assert not (tmp_path / "export" / "articles.revision.json").exists()
    wipe(settings)
    import_(tmp_path / "export")
    after = newsroom_state()
    assert after["articles.revision"] == []
    for label in set(COMPARED) - {"articles.revision", "auth.user"}:
        assert after[label] == before[label], label


def test_export_without_passwords_carries_accounts_that_cannot_sign_in(
    newsroom, tmp_path, settings
):
    export(tmp_path / "export", "--without-passwords")
    users = json.loads((tmp_path / "export" / "auth.user.json").read_text())
    assert {u["fields"]["password"] for u in users} == {"!"}
    wipe(settings)
    import_(tmp_path / "export")
    rita = get_user_model().objects.get(username="rita")
    assert rita.is_staff and not rita.has_usable_password()


def test_export_carries_staff_and_referenced_accounts_only(newsroom, tmp_path):
    get_user_model().objects.create_user("reader", password=STAFF_PASSWORD)
    export(tmp_path / "export")
    users = json.loads((tmp_path / "export" / "auth.user.json").read_text())
    names = {u["fields"]["username"] for u in users}
    assert {"admin", "rita", "eddie", "paula", "pat", "cora"} == names


def test_export_writes_a_manifest_with_checksums_counts_and_migrations(newsroom, tmp_path):
    export(tmp_path / "export", "--with-revisions")
    directory = tmp_path / "export"
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["format"] == "newsroom-export" and manifest["version"] == 1
    leaves = MigrationLoader(connection).graph.leaf_nodes("articles")
    assert manifest["migrations"]["articles"] == [name for _, name in leaves]
    counts = {entry["model"]: entry["count"] for entry in manifest["models"]}
    assert counts["articles.article"] == Article.objects.count()
    assert counts["articles.contribution"] == Contribution.objects.count()
    for name, entry in manifest["files"].items():
        assert hashlib.sha256((directory / name).read_bytes()).hexdigest() == entry["sha256"]
    lead = newsroom["lead"]
    assert f"media/{lead.file.name}" in manifest["files"]
    assert images.rendition_names(lead.renditions) <= set(manifest["media"])
    # Times keep their microseconds.
    events = json.loads((directory / "articles.workflowevent.json").read_text())
    stored = WorkflowEvent.objects.order_by("pk").first().at
    assert events[0]["fields"]["at"] == stored.isoformat()
    assert oct(directory.stat().st_mode & 0o777) == oct(0o700)


def test_export_refuses_a_directory_that_is_not_empty(newsroom, tmp_path):
    (tmp_path / "out" / "export").mkdir(parents=True)
    (tmp_path / "out" / "export" / "notes.txt").write_text("mine")
    with pytest.raises(CommandError, match="not an empty directory"):
        export(tmp_path / "out" / "export")
    # No partial export left beside it, and what was there is untouched.
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["export"]
    assert [p.name for p in (tmp_path / "out" / "export").iterdir()] == ["notes.txt"]


def test_media_missing_from_storage_is_reported_and_the_rest_moves(newsroom, tmp_path, settings):
    lost = sorted(images.rendition_names(newsroom["lead"].renditions))[0]
    Path(settings.MEDIA_ROOT, lost).unlink()
    output = export(tmp_path / "export")
    assert f"Missing from media storage, not exported: {lost}" in output
    manifest = json.loads((tmp_path / "export" / "manifest.json").read_text())
    assert manifest["media_missing"] == [lost]
    wipe(settings)
    import_(tmp_path / "export")
    assert Image.objects.count() == 2
    assert not Path(settings.MEDIA_ROOT, lost).exists()


def test_every_model_is_carried_or_deliberately_left_out():
    ours = {
        m._meta.label_lower
        for app in ("articles", "people")
        for m in apps.get_app_config(app).get_models()
    }
    carried = {part.label for part in transfer.PARTS}
    assert ours - carried == NOT_CARRIED
    assert set(COMPARED) == carried


# --- Refusals and atomicity ----------------------------------------------------------------


@pytest.fixture
def exported(newsroom, tmp_path, settings):
    """An export of the newsroom, and the database wiped as a fresh migrate leaves it."""
    directory = tmp_path / "export"
    export(directory, "--with-revisions")
    wipe(settings)
    return directory


def rewrite(directory: Path, name: str, text: str, *, fix_checksum: bool = True) -> None:
    """Replace an exported file, keeping the manifest's checksum true unless told not to."""
    path = directory / name
    path.write_text(text, encoding="utf-8")
    if fix_checksum:
        manifest = json.loads((directory / "manifest.json").read_text())
        manifest["files"][name]["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
        (directory / "manifest.json").write_text(json.dumps(manifest))


def edit_manifest(directory: Path, **changes) -> None:
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest.update(changes)
    (directory / "manifest.json").write_text(json.dumps(manifest))


def assert_failed_cleanly(directory, settings, match, before):
    with pytest.raises(CommandError, match=match) as excinfo:
        import_(directory)
    assert "Nothing was imported" in str(excinfo.value)
    assert newsroom_state() == before
    assert media_files(settings.MEDIA_ROOT) == {}
    return excinfo.value


def test_import_refuses_a_database_holding_content(newsroom, tmp_path):
    export(tmp_path / "export")
    before = newsroom_state()
    with pytest.raises(CommandError, match="already holds newsroom content"):
        import_(tmp_path / "export")
    assert newsroom_state() == before


def test_import_refuses_to_overwrite_an_account(exported, settings, make_staff):
    make_staff("Editor", "eddie")
    before = newsroom_state()
    assert_failed_cleanly(exported, settings, "already has the account.*eddie", before)


def test_import_refuses_an_unknown_format_version(exported, settings):
    edit_manifest(exported, version=2)
    assert_failed_cleanly(exported, settings, "format version 2", newsroom_state())


def test_import_refuses_an_export_from_migrations_not_applied_here(exported, settings):
    edit_manifest(exported, migrations={"articles": ["0099_from_the_future"]})
    assert_failed_cleanly(
        exported, settings, "articles.0099_from_the_future.*migrate", newsroom_state()
    )


def test_a_changed_file_fails_its_checksum(exported, settings):
    path = exported / "articles.article.json"
    text = path.read_text().replace("Embargoed budget", "Embargoed budgie")
    rewrite(exported, "articles.article.json", text, fix_checksum=False)
    assert_failed_cleanly(
        exported, settings, r"articles.article.json: checksum mismatch", newsroom_state()
    )


def test_a_damaged_media_file_fails_its_checksum(exported, settings, newsroom):
    damaged = exported / "media" / newsroom["lead"].file.name
    damaged.write_bytes(damaged.read_bytes()[:100])
    assert_failed_cleanly(
        exported, settings, f"media/{newsroom['lead'].file.name}: checksum", newsroom_state()
    )


def test_bad_json_is_named_and_everything_loaded_before_it_rolls_back(exported, settings):
    # Revisions load last: every other file is in the database when this one fails.
    rewrite(exported, "articles.revision.json", '[{"model": "articles.revision", "fields": {')
    assert_failed_cleanly(
        exported, settings, "articles.revision.json: not valid JSON", newsroom_state()
    )


def test_a_reference_to_a_missing_natural_key_is_named(exported, settings):
    contributions = json.loads((exported / "articles.contribution.json").read_text())
    contributions[-1]["fields"]["person"] = ["nobody-by-that-name"]
    rewrite(exported, "articles.contribution.json", json.dumps(contributions))
    error = assert_failed_cleanly(
        exported, settings, "articles.contribution.json: object", newsroom_state()
    )
    assert "nobody-by-that-name" in str(error)


def test_a_revision_naming_something_not_exported_is_refused(exported, settings):
    revisions_ = json.loads((exported / "articles.revision.json").read_text())
    revisions_[0]["fields"]["data"]["section"] = ["no-such-section"]
    rewrite(exported, "articles.revision.json", json.dumps(revisions_))
    assert_failed_cleanly(
        exported, settings, "articles.revision.json: object 1.*no-such-section", newsroom_state()
    )


def test_a_media_clash_mid_copy_removes_the_files_already_copied(exported, settings):
    manifest = json.loads((exported / "manifest.json").read_text())
    kept, clash = manifest["media"][0], manifest["media"][-1]
    survivor = (exported / "media" / kept).read_bytes()
    for name, data in ((kept, survivor), (clash, b"someone else's file")):
        Path(settings.MEDIA_ROOT, name).parent.mkdir(parents=True, exist_ok=True)
        Path(settings.MEDIA_ROOT, name).write_bytes(data)
    before = newsroom_state()
    with pytest.raises(CommandError, match=f"media/{clash}: storage already holds"):
        import_(exported)
    assert newsroom_state() == before
    # Only the files that were already there are left, untouched.
    assert media_files(settings.MEDIA_ROOT) == {kept: survivor, clash: b"someone else's file"}


def test_a_media_name_leaving_the_directory_is_refused(exported, settings):
    manifest = json.loads((exported / "manifest.json").read_text())
    edit_manifest(exported, media=[*manifest["media"], "../../outside.jpg"])
    assert_failed_cleanly(
        exported, settings, "outside.jpg.*not a plain relative path", newsroom_state()
    )


def test_import_keeps_media_already_in_storage_with_the_same_bytes(exported, settings):
    # Restoring over media that survived (a database-only loss): same bytes, nothing clashes.
    manifest = json.loads((exported / "manifest.json").read_text())
    kept = manifest["media"][0]
    Path(settings.MEDIA_ROOT, kept).parent.mkdir(parents=True)
    shutil.copy(exported / "media" / kept, Path(settings.MEDIA_ROOT, kept))
    import_(exported)
    assert set(media_files(settings.MEDIA_ROOT)) == set(manifest["media"])


# --- Across database kinds -----------------------------------------------------------------

PG_ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}


def _postgres_admin():
    import psycopg

    try:
        return psycopg.connect(**PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at 127.0.0.1:5432 as postgres ({exc})")


@pytest.fixture
def other_database(tmp_path):
    """A database URL of the other kind than this test run's: a fresh PostgreSQL database
    when running on SQLite, a fresh SQLite file when running on PostgreSQL."""
    if connection.vendor == "postgresql":
        yield f"sqlite:///{tmp_path / 'target.sqlite3'}"
        return
    admin = _postgres_admin()
    name = f"newsroom_xfer_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def manage(*args, database_url: str, media_root: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_DEBUG"}
    env.update(
        DJANGO_SECRET_KEY="test-only-transfer-key",
        DATABASE_URL=database_url,
        MEDIA_ROOT=str(media_root),
    )
    result = subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stderr}"
    return result.stdout


def test_export_moves_to_the_other_database_kind_and_back_out_unchanged(
    newsroom, tmp_path, other_database
):
    first, second = tmp_path / "first", tmp_path / "second"
    export(first, "--with-revisions")

    run = {"database_url": other_database, "media_root": tmp_path / "other-media"}
    manage("migrate", "--noinput", "-v0", **run)
    manage("import_newsroom", str(first), **run)
    manage("export_newsroom", str(second), "--with-revisions", **run)

    files = media_files(first)
    again = media_files(second)
    assert sorted(files) == sorted(again)
    manifests = [json.loads(tree.pop("manifest.json")) for tree in (files, again)]
    for manifest in manifests:
        manifest.pop("created_at")
    assert manifests[0] == manifests[1]
    for name in files:
        assert files[name] == again[name], name
    assert media_files(tmp_path / "other-media") == media_files(first / "media")
