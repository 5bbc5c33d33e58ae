"""``manage.py import_story``: files and stdin, one transaction each, a summary, clear errors."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError

from articles import importers, workflow
from articles.importers import WireFormatError, read_stream
from articles.models import Article, Contribution, RelatedLink, Revision, Source, State
from articles.tests.factories import SectionFactory
from people.models import Person

pytestmark = pytest.mark.django_db

SAMPLE_HEADLINE = "Xi: Build model general offices of Party, governments"

RIVERS = """Ministers agree on river clean-up

By Li Wei and Anna Müller (Xinhua) 14:05, March 3, 2024

The first paragraph.

The second paragraph.

(Web editor: Liang Jun)
"""

NO_BYLINE = """A headline

The first paragraph comes where the byline should.
"""


@pytest.fixture
def politics(db):
    return SectionFactory(name="Politics", slug="politics")


@pytest.fixture
def wire(db):
    return SectionFactory(name="Wire", slug="wire")


def write(tmp_path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return str(path)


def run(*args, stdin=None) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    options = {"stdout": out, "stderr": err}
    if stdin is not None:
        options["stdin"] = stdin
    call_command("import_story", *args, **options)
    return out.getvalue(), err.getvalue()


def run_failing(*args, stdin=None) -> tuple[str, str, str]:
    out, err = io.StringIO(), io.StringIO()
    options = {"stdout": out, "stderr": err}
    if stdin is not None:
        options["stdin"] = stdin
    with pytest.raises(CommandError) as excinfo:
        call_command("import_story", *args, **options)
    return out.getvalue(), err.getvalue(), str(excinfo.value)


def counts() -> dict[str, int]:
    models = (Article, Contribution, Person, Source, Revision, RelatedLink)
    return {model.__name__: model.objects.count() for model in models}


def test_importing_the_sample_file_makes_a_draft(politics, tmp_path, sample_story_text):
    path = write(tmp_path, "sample_story.txt", sample_story_text)
    out, err = run(path, "--section", "politics")
    article = Article.objects.get()
    assert article.headline == SAMPLE_HEADLINE
    assert article.state == State.DRAFT
    assert article.section == politics
    assert f"{path}: created draft “{SAMPLE_HEADLINE}” (id {article.pk})" in out
    assert out.endswith("1 file: 1 created, 0 updated, 0 unchanged, 0 skipped, 0 failed.\n")
    assert err == ""


def test_running_twice_does_not_duplicate(politics, tmp_path, sample_story_text):
    path = write(tmp_path, "sample_story.txt", sample_story_text)
    run(path, "--section", "politics")
    before = counts()
    out, _ = run(path, "--section", "politics")
    assert counts() == before
    assert f"{path}: unchanged “{SAMPLE_HEADLINE}”" in out
    assert "0 created, 0 updated, 1 unchanged" in out


def test_a_batch_imports_the_good_files_and_reports_the_bad_ones(
    politics, tmp_path, sample_story_text
):
    sample = write(tmp_path, "sample_story.txt", sample_story_text)
    rivers = write(tmp_path, "rivers.txt", RIVERS)
    broken = write(tmp_path, "broken.txt", NO_BYLINE)
    corrected = write(tmp_path, "rivers-corrected.txt", RIVERS.replace("second", "corrected"))

    out, err, error = run_failing(sample, broken, rivers, corrected, "--section", "politics")

    assert Article.objects.count() == 2
    assert (
        f"{broken}, line 3: expected a byline like 'By NAME (SOURCE) HH:MM, Month D, YYYY'."
        in (err)
    )
    assert f"{corrected}: updated draft “Ministers agree on river clean-up”" in out
    assert out.endswith("4 files: 2 created, 1 updated, 0 unchanged, 0 skipped, 1 failed.\n")
    assert error == "1 of 4 files failed."


def test_each_file_is_its_own_transaction(politics, tmp_path, sample_story_text, monkeypatch):
    """A file failing while its rows are half written leaves none of them; the others stay."""
    real = importers._write_related

    def fails_for_rivers(article, story):
        if story.source == "Xinhua":
            raise IntegrityError("duplicate key value violates unique constraint")
        return real(article, story)

    monkeypatch.setattr(importers, "_write_related", fails_for_rivers)
    sample = write(tmp_path, "sample_story.txt", sample_story_text)
    rivers = write(tmp_path, "rivers.txt", RIVERS)

    out, err, _ = run_failing(rivers, sample, "--section", "politics")

    assert list(Article.objects.values_list("headline", flat=True)) == [SAMPLE_HEADLINE]
    assert not Source.objects.filter(name="Xinhua").exists()
    assert not Person.objects.filter(name__in=["Li Wei", "Anna Müller"]).exists()
    assert Person.objects.filter(name="Liang Jun").count() == 1  # a web editor of both
    assert f"{rivers}: not saved, a simultaneous change got in the way" in err
    assert "1 created, 0 updated, 0 unchanged, 0 skipped, 1 failed" in out


def test_reads_standard_input(politics):
    out, _ = run("-", "--section", "politics", stdin=io.BytesIO(RIVERS.encode()))
    assert "<stdin>: created draft “Ministers agree on river clean-up”" in out
    assert Article.objects.get().headline == "Ministers agree on river clean-up"


def test_reads_a_text_standard_input_too(politics):
    run("-", "--section", "politics", stdin=io.StringIO(RIVERS))
    assert Article.objects.count() == 1


def test_standard_input_is_read_once(politics):
    _, _, error = run_failing("-", "-", stdin=io.StringIO(RIVERS))
    assert error == "Standard input (-) can be read only once."


def test_too_much_standard_input_is_refused(politics, settings):
    settings.NEWSROOM_WIRE_MAX_BYTES = 100
    _, err, _ = run_failing("-", "--section", "politics", stdin=io.BytesIO(RIVERS.encode()))
    assert "<stdin>: the copy is over 100 bytes; wire copy may be at most 100 bytes." in err
    assert not Article.objects.exists()


def test_a_50_mb_file_is_refused_without_being_read(politics, tmp_path):
    path = tmp_path / "huge.txt"
    with open(path, "wb") as f:
        f.truncate(50 * 1024 * 1024)  # sparse: the size is all there is
    before = counts()
    _, err, _ = run_failing(str(path), "--section", "politics")
    assert f"{path}: the file is 50.0 MB; wire copy may be at most 10.0 MB." in err
    assert counts() == before


def test_size_known_in_advance_is_checked_before_reading():
    class Unreadable(io.BytesIO):
        def read(self, *args):
            raise AssertionError("read a file that is too big")

    with pytest.raises(WireFormatError, match=r"the file is 50\.0 MB"):
        read_stream(Unreadable(), "huge.txt", size=50 * 1024 * 1024)


def test_wrong_encoding_names_file_and_line(politics, tmp_path):
    path = write(tmp_path, "latin1.txt", RIVERS.encode("latin-1"))
    before = counts()
    _, err, _ = run_failing(path, "--section", "politics")
    assert f"{path}, line 3: not UTF-8 text (byte 0xFC); save the copy as UTF-8." in err
    assert counts() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "line 1: the copy is empty; expected a headline."),
        ("By Li Wei (Xinhua) 14:05, March 3, 2024\n\nText.\n", "line 1: no headline"),
        (RIVERS.replace("March 3", "March 33"), "line 3: no such date “March 33, 2024”."),
        (RIVERS.split("The first")[0], "line 4: no body: expected paragraphs after the byline."),
    ],
)
def test_malformed_copy_fails_naming_the_file_and_line(politics, tmp_path, content, message):
    path = write(tmp_path, "bad.txt", content)
    before = counts()
    _, err, _ = run_failing(path, "--section", "politics")
    assert f"{path}, {message}" in err
    assert counts() == before


def test_a_missing_file_is_reported(politics, tmp_path):
    missing = str(tmp_path / "nowhere.txt")
    _, err, _ = run_failing(missing)
    assert f"{missing}: cannot read the file (No such file or directory)." in err


def test_default_section_is_the_wire_section(wire, tmp_path):
    run(write(tmp_path, "rivers.txt", RIVERS))
    assert Article.objects.get().section == wire


def test_without_a_section_to_put_it_in_the_file_fails(db, tmp_path):
    path = write(tmp_path, "rivers.txt", RIVERS)
    _, err, _ = run_failing(path)
    assert f"{path}: no section chosen, and the default wire section “wire” does not exist" in err
    assert not Article.objects.exists()


def test_unknown_section_stops_before_importing(politics, tmp_path):
    _, _, error = run_failing(write(tmp_path, "rivers.txt", RIVERS), "--section", "sport")
    assert error == "No section “sport”. Sections: politics."
    assert not Article.objects.exists()


def test_user_is_recorded_as_the_starter(politics, reporter, tmp_path):
    run(
        write(tmp_path, "rivers.txt", RIVERS), "--section", "politics", "--user", reporter.username
    )
    article = Article.objects.get()
    assert article.created_by == reporter
    assert article.revisions.get().created_by == reporter


def test_unknown_user_stops_before_importing(politics, tmp_path):
    _, _, error = run_failing(write(tmp_path, "r.txt", RIVERS), "--user", "nobody")
    assert error == "No user “nobody”."
    assert not Article.objects.exists()


def test_story_already_in_the_workflow_is_skipped(politics, reporter, tmp_path):
    path = write(tmp_path, "rivers.txt", RIVERS)
    run(path, "--section", "politics")
    workflow.submit(Article.objects.get(), by=reporter)
    changed = write(tmp_path, "rivers-2.txt", RIVERS.replace("first", "changed"))
    out, _ = run(changed)
    assert (
        f"{changed}: skipped “Ministers agree on river clean-up”: "
        "already in the workflow (In review)"
    ) in out
    assert "0 created, 0 updated, 0 unchanged, 1 skipped, 0 failed" in out


def test_dry_run_reports_and_saves_nothing(politics, tmp_path, sample_story_text):
    sample = write(tmp_path, "sample_story.txt", sample_story_text)
    broken = write(tmp_path, "broken.txt", NO_BYLINE)
    before = counts()
    out, err, _ = run_failing(sample, broken, "--section", "politics", "--dry-run")
    assert counts() == before
    assert f"{sample}: would create draft “{SAMPLE_HEADLINE}”" in out
    assert f"{broken}, line 3" in err
    assert "Dry run, nothing saved: 2 files: 1 created" in out


def test_related_stories_not_found_are_warned_about(politics, tmp_path):
    text = RIVERS + "\nRelated Stories\nA story we never ran\n"
    _, err = run(write(tmp_path, "rivers.txt", text), "--section", "politics")
    assert "rivers.txt: warning: Related story “A story we never ran” is not published here" in (
        err
    )
