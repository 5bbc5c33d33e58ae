"""Wire copy: parsing and formatting (round trips), identity, and importing as drafts."""

import html
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import DatabaseError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from articles import importers, workflow
from articles.importers import (
    BYLINE,
    RELATED_HEADING,
    CreditGroup,
    Outcome,
    RelatedItem,
    WireFormatError,
    WireImportError,
    WireStory,
    decode,
    import_wire_story,
    parse,
)
from articles.models import Article, Contribution, RelatedLink, Revision, Section, Source, State
from articles.revisions import record_revision
from articles.tests.factories import (
    ArticleFactory,
    PublishedArticleFactory,
    SectionFactory,
    SourceFactory,
)
from people.models import Person
from people.tests.factories import PersonFactory

FIXTURE = Path(django_settings.BASE_DIR) / "fixtures" / "sample_story.json"
SAMPLE_HEADLINE = "Xi: Build model general offices of Party, governments"
BYLINE_EXPECTED = "expected a byline like 'By NAME (SOURCE) HH:MM, Month D, YYYY'"


def copy(*lines: str) -> str:
    return "\n".join(lines) + "\n"


GOOD = copy(
    "Ministers agree on river clean-up",
    "",
    "By Li Wei and Anna Müller (Xinhua) 14:05, March 3, 2024",
    "",
    "The first paragraph.",
    "",
    "The second paragraph.",
    "",
    "(Web editor: Zhong Wenxing, Liang Jun)",
)


def fixture_objects() -> list[dict]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def error_of(text: str, name: str = "wire.txt") -> WireFormatError:
    with pytest.raises(WireFormatError) as excinfo:
        parse(text, name)
    return excinfo.value


# --- Parsing ---------------------------------------------------------------------------------


def test_sample_copy_parses_into_its_parts(sample_story_text):
    story = parse(sample_story_text, "sample_story.txt")
    assert story.headline == SAMPLE_HEADLINE
    assert story.bylines == ("Cao Desheng",)
    assert story.source == "China Daily"
    assert len(story.paragraphs) == 8
    assert story.paragraphs[0].startswith("President Xi Jinping has demanded")
    assert story.paragraphs[-1].endswith("conveyed Xi's instruction at the meeting.")
    assert story.credits == (CreditGroup("Web editor", ("Zhong Wenxing", "Liang Jun")),)
    # The trailer's heading with nothing under it.
    assert story.related == ()


def test_dateline_is_read_in_the_newsrooms_time_zone(sample_story_text):
    story = parse(sample_story_text)
    assert timezone.localtime(story.dateline).strftime("%H:%M %d %m %Y") == "08:55 15 09 2023"
    assert story.dateline == datetime(2023, 9, 15, 0, 55, tzinfo=UTC)


def test_dateline_follows_the_time_zone_setting(settings, sample_story_text):
    settings.TIME_ZONE = "UTC"
    assert parse(sample_story_text).dateline == datetime(2023, 9, 15, 8, 55, tzinfo=UTC)


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ("Li Wei", ("Li Wei",)),
        ("Li Wei and Anna Müller", ("Li Wei", "Anna Müller")),
        ("Li Wei, Anna Müller and 曹德胜", ("Li Wei", "Anna Müller", "曹德胜")),
        ("Li Wei, Anna Müller, and 曹德胜", ("Li Wei", "Anna Müller", "曹德胜")),
        ("Li Wei,Anna Müller", ("Li Wei", "Anna Müller")),
        ("Alexandra Andersen", ("Alexandra Andersen",)),
    ],
)
def test_byline_names_are_split_on_commas_and_and(names, expected):
    story = parse(GOOD.replace("Li Wei and Anna Müller", names))
    assert story.bylines == expected


@pytest.mark.parametrize(
    "when",
    [
        "14:05, March 3, 2024",
        "14:05 March 3, 2024",
        "14:05, march 03, 2024",
        "14:05, Mar. 3, 2024",
        "14:05, Mar 3 2024",
    ],
)
def test_dateline_accepts_the_ways_agencies_write_it(when):
    story = parse(GOOD.replace("14:05, March 3, 2024", when))
    assert timezone.localtime(story.dateline) == datetime(
        2024, 3, 3, 14, 5, tzinfo=timezone.get_default_timezone()
    )


def test_september_may_be_sept():
    story = parse(GOOD.replace("March 3", "Sept. 3"))
    assert timezone.localtime(story.dateline).month == 9


def test_byline_word_by_is_case_insensitive():
    assert parse(GOOD.replace("By Li Wei", "BY Li Wei")).bylines[0] == "Li Wei"


def test_hard_wrapped_paragraphs_are_joined_and_spacing_evened():
    text = GOOD.replace("The first paragraph.", "The first\n  paragraph,\twrapped  here.")
    assert parse(text).paragraphs[0] == "The first paragraph, wrapped here."


def test_windows_and_old_mac_line_endings_read_the_same():
    expected = parse(GOOD)
    assert parse(GOOD.replace("\n", "\r\n")) == expected
    assert parse(GOOD.replace("\n", "\r")) == expected


def test_credit_line_may_hold_several_roles():
    text = GOOD.replace(
        "(Web editor: Zhong Wenxing, Liang Jun)",
        "(Web editor: Zhong Wenxing and Liang Jun; Photo editor: Wang Fang)",
    )
    assert parse(text).credits == (
        CreditGroup("Web editor", ("Zhong Wenxing", "Liang Jun")),
        CreditGroup("Photo editor", ("Wang Fang",)),
    )


def test_copy_without_credit_line_has_no_credits():
    story = parse(GOOD.replace("(Web editor: Zhong Wenxing, Liang Jun)", ""))
    assert story.credits == ()
    assert story.paragraphs == ("The first paragraph.", "The second paragraph.")


def test_a_closing_note_in_parentheses_stays_a_paragraph():
    text = GOOD.replace(
        "(Web editor: Zhong Wenxing, Liang Jun)", "(Reuters contributed to this report.)"
    )
    story = parse(text)
    assert story.credits == ()
    assert story.paragraphs[-1] == "(Reuters contributed to this report.)"


def test_related_stories_trailer_keeps_titles_and_urls():
    text = GOOD + copy(
        "",
        "Related Stories",
        "Rivers of the north",
        "Flood season begins https://example.com/floods",
        "",
        "Dams explained - <https://example.com/dams?x=1>",
        "https://example.com/only-a-link",
    )
    assert parse(text).related == (
        RelatedItem("Rivers of the north"),
        RelatedItem("Flood season begins", "https://example.com/floods"),
        RelatedItem("Dams explained", "https://example.com/dams?x=1"),
        RelatedItem("", "https://example.com/only-a-link"),
    )


def test_a_byte_order_mark_is_ignored(sample_story_text):
    data = b"\xef\xbb\xbf" + sample_story_text.encode()
    assert parse(decode(data, "bom.txt")) == parse(sample_story_text)


# --- Malformed copy --------------------------------------------------------------------------


def test_empty_copy_is_refused():
    error = error_of("\n  \n")
    assert str(error) == "wire.txt, line 1: the copy is empty; expected a headline."


def test_copy_starting_with_the_byline_has_no_headline():
    error = error_of(copy("", "By Li Wei (Xinhua) 14:05, March 3, 2024", "", "Text."))
    assert (error.name, error.line) == ("wire.txt", 2)
    assert "no headline" in str(error)


def test_missing_byline_names_file_and_line_and_the_expected_form():
    error = error_of(copy("Headline", "", "The first paragraph.", "", "More."), "sample.txt")
    assert str(error) == f"sample.txt, line 3: {BYLINE_EXPECTED}."


def test_headline_alone_is_refused():
    error = error_of("Headline\n")
    assert error.line == 2
    assert "found the end of the copy" in str(error)


@pytest.mark.parametrize(
    ("byline", "message"),
    [
        ("By Li Wei (Xinhua) 14:05, February 30, 2024", "no such date “February 30, 2024”"),
        ("By Li Wei (Xinhua) 14:05, Septober 3, 2024", "unknown month “Septober”"),
        ("By Li Wei (Xinhua) 25:05, March 3, 2024", "no such time “25:05”"),
        ("By Li Wei (Xinhua) 14:65, March 3, 2024", "no such time “14:65”"),
        ("By Li Wei (Xinhua) 14:05, March 3, 0024", "the year 24 is out of range"),
        ("By Li Wei (Xinhua) yesterday", "expected the time and date like"),
        ("By Li Wei () 14:05, March 3, 2024", "the source in parentheses is empty"),
        ("By Li Wei and Li Wei (Xinhua) 14:05, March 3, 2024", "“Li Wei” is named twice"),
        ("By Li Wei, , Wang Fang (Xinhua) 14:05, March 3, 2024", "an empty name"),
        ("By Li Wei Xinhua 14:05, March 3, 2024", "expected a byline like"),
    ],
)
def test_bad_bylines_say_what_is_wrong_on_the_byline_line(byline, message):
    error = error_of(GOOD.replace(GOOD.splitlines()[2], byline))
    assert error.line == 3
    assert message in str(error)


def test_copy_without_paragraphs_is_refused():
    text = copy("Headline", "", "By Li Wei (Xinhua) 14:05, March 3, 2024", "")
    error = error_of(text)
    assert error.line == 4
    assert "no body" in str(error)


def test_credit_line_alone_is_not_a_body():
    text = copy(
        "Headline", "By Li Wei (Xinhua) 14:05, March 3, 2024", "", "(Web editor: Liang Jun)"
    )
    error = error_of(text)
    assert error.line == 4
    assert "no body" in str(error)


def test_control_characters_are_refused_with_their_place():
    error = error_of(GOOD.replace("The second paragraph.", "The sec\x00ond paragraph."))
    assert str(error) == (
        "wire.txt, line 7: control character U+0000 at column 8; wire copy must be plain text."
    )


def test_a_headline_longer_than_the_field_is_refused():
    error = error_of(GOOD.replace("Ministers agree on river clean-up", "word " * 80))
    assert error.line == 1
    assert error.message == "the headline is longer than 300 characters."


def test_an_invalid_related_url_names_its_line():
    error = error_of(GOOD + copy("Related Stories", "Floods https://"))
    assert error.line == 11
    assert "is not a valid URL" in str(error)


def test_copy_in_another_encoding_names_the_first_bad_line():
    data = GOOD.replace("The second paragraph.", "Café society.").encode("cp1252")
    with pytest.raises(WireFormatError) as excinfo:
        decode(data, "latin.txt")
    assert str(excinfo.value) == (
        # The first bad byte: the ü of Müller in the byline, before the é.
        "latin.txt, line 3: not UTF-8 text (byte 0xFC); save the copy as UTF-8."
    )


def test_utf16_copy_is_named_as_such():
    with pytest.raises(WireFormatError, match="UTF-16"):
        decode(GOOD.encode("utf-16"), "wide.txt")


# --- Identity --------------------------------------------------------------------------------


def test_identity_of_the_sample_is_the_fixtures_uuid(sample_story_text):
    article = next(o for o in fixture_objects() if o["model"] == "articles.article")
    assert str(parse(sample_story_text).identity) == article["fields"]["uuid"]


def test_identity_ignores_headline_text_and_byline_order_and_case():
    story = parse(GOOD)
    resend = parse(
        GOOD.replace("Ministers agree on river clean-up", "CORRECTED: Ministers agree")
        .replace("Li Wei and Anna Müller", "ANNA MÜLLER and li wei")
        .replace("The first paragraph.", "A corrected first paragraph.")
    )
    assert resend.identity == story.identity


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("(Xinhua)", "(Reuters)"),
        ("14:05", "14:06"),
        ("March 3", "March 4"),
        ("Li Wei and Anna Müller", "Li Wei"),
    ],
)
def test_identity_changes_with_source_time_or_people(old, new):
    assert parse(GOOD.replace(old, new)).identity != parse(GOOD).identity


def test_identity_does_not_move_with_the_time_zone_setting(settings, sample_story_text):
    identity = parse(sample_story_text).identity
    settings.TIME_ZONE = "America/New_York"
    assert parse(sample_story_text).identity == identity


# --- Round trips (property-based) ------------------------------------------------------------

LETTERS = st.characters(categories=["Lu", "Ll", "Lo"])
word = st.text(LETTERS, min_size=1, max_size=10)
# Names as agencies print them: Latin with accents, Chinese, Cyrillic…; no commas or "and".
name = (
    st.lists(word, min_size=1, max_size=3).filter(lambda words: "and" not in words).map(" ".join)
)
TEXT_CHARS = st.one_of(
    LETTERS, st.characters(categories=["Nd"]), st.sampled_from(list(".,;:!?'\"-&<>()%/"))
)
sentence = st.lists(st.text(TEXT_CHARS, min_size=1, max_size=12), min_size=1, max_size=12).map(
    " ".join
)
headline = sentence.filter(lambda s: len(s) <= 300 and not BYLINE.match(s))
paragraph = sentence.filter(
    lambda s: not RELATED_HEADING.match(s) and not importers._is_credit_line(s)
)
source = st.lists(word, min_size=1, max_size=3).map(" ".join)
local_minute = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2999, 12, 31, 23, 59)
).map(lambda d: d.replace(second=0, microsecond=0))
url = st.builds(
    "https://{}.example/{}".format,
    st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10),
    st.text("abcdefghijklmnopqrstuvwxyz0123456789-", max_size=20),
)
related_item = st.one_of(
    st.builds(RelatedItem, st.lists(word, min_size=1, max_size=6).map(" ".join)),
    st.builds(RelatedItem, st.lists(word, max_size=6).map(" ".join), url),
)
people = st.lists(name, min_size=1, max_size=4, unique_by=str.casefold)
credit_group = st.builds(
    CreditGroup, st.lists(word, min_size=1, max_size=3).map(" ".join), people.map(tuple)
)


@st.composite
def wire_stories(draw) -> WireStory:
    return WireStory(
        headline=draw(headline),
        bylines=tuple(draw(people)),
        source=draw(source),
        dateline=draw(local_minute).replace(tzinfo=timezone.get_default_timezone()),
        paragraphs=tuple(draw(st.lists(paragraph, min_size=1, max_size=6))),
        credits=tuple(draw(st.lists(credit_group, max_size=3))),
        related=tuple(draw(st.lists(related_item, max_size=4))),
    )


FAST = hypothesis_settings(max_examples=100, deadline=None)


@FAST
@given(wire_stories())
def test_format_then_parse_gives_the_story_back(story):
    assert parse(importers.format(story)) == story


@FAST
@given(wire_stories())
def test_format_is_stable(story):
    text = importers.format(story)
    assert importers.format(parse(text)) == text


@FAST
@given(st.text())
def test_parse_raises_only_wire_format_errors_on_any_text(text):
    try:
        parse(text, "fuzz.txt")
    except WireFormatError as error:
        assert str(error).startswith("fuzz.txt")


@FAST
@given(wire_stories(), st.integers(min_value=0), st.text(min_size=1))
def test_parse_of_damaged_copy_raises_only_wire_format_errors(story, where, junk):
    lines = importers.format(story).split("\n")
    lines.insert(where % (len(lines) + 1), junk)
    text = "\n".join(lines)
    try:
        parse(text, "damaged.txt")
    except WireFormatError as error:
        # A line of the copy, or the one after its end ("found the end of the copy").
        last = len(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
        assert 1 <= error.line <= last + 1


@FAST
@given(st.binary())
def test_decoding_any_bytes_raises_only_wire_format_errors(data):
    try:
        decode(data, "bytes.txt")
    except WireFormatError as error:
        assert str(error).startswith("bytes.txt")


# --- Importing -------------------------------------------------------------------------------


@pytest.fixture
def politics(db):
    return SectionFactory(name="Politics", slug="politics")


@pytest.fixture
def wire_section(db):
    return SectionFactory(name="Wire", slug="wire")


def same_name(stored: str, written: str) -> bool:
    """Matched by name whatever the case, as the database compares case (PostgreSQL's upper
    case and SQLite's ASCII folding differ from Python's casefold at the edges).
    """
    return stored.casefold() == written.casefold() or stored.upper() == written.upper()


def paragraphs_of(body: str) -> list[str]:
    return [html.unescape(p) for p in re.findall(r"<p>(.*?)</p>", body, re.S)]


def test_importing_the_sample_gives_the_fixtures_story(sample_story_text, politics, editor):
    fixture = fixture_objects()
    expected = next(o for o in fixture if o["model"] == "articles.article")["fields"]
    contributions = [o["fields"] for o in fixture if o["model"] == "articles.contribution"]

    article, created = import_wire_story(parse(sample_story_text), by=editor, section=politics)

    article.refresh_from_db()
    assert created
    assert str(article.uuid) == expected["uuid"]
    assert article.headline == expected["headline"]
    assert article.slug == expected["slug"]
    assert article.body == expected["body"]
    assert article.summary == expected["summary"]
    assert article.published_at == parse_datetime(expected["published_at"])
    assert article.source.slug == expected["source"][0]
    assert article.source.name == "China Daily"
    assert [(c.kind, c.person.slug, c.role, c.position) for c in article.contributions.all()] == [
        (c["kind"], c["person"][0], c["role"], c["position"]) for c in contributions
    ]
    assert article.state == State.DRAFT
    assert article.created_by == editor
    assert article.section == politics


def test_sample_already_loaded_from_the_fixture_is_not_duplicated(sample_story, sample_story_text):
    counts = (Article.objects.count(), Person.objects.count(), Source.objects.count())
    result = import_wire_story(parse(sample_story_text))
    assert result.article == sample_story
    assert result.outcome == Outcome.SKIPPED
    assert result.reason == "already in the workflow (Published)"
    assert (Article.objects.count(), Person.objects.count(), Source.objects.count()) == counts


def test_people_and_source_of_the_newsroom_are_matched_not_created(
    sample_story, sample_story_text
):
    Article.objects.filter(pk=sample_story.pk).delete()
    people = set(Person.objects.values_list("pk", flat=True))
    article, created = import_wire_story(parse(sample_story_text), section=sample_story.section)
    assert created
    assert set(Person.objects.values_list("pk", flat=True)) == people
    assert Source.objects.count() == 1
    assert [c.person.slug for c in article.bylines] == ["cao-desheng"]


def test_imported_story_is_a_draft_with_its_revision(politics, editor):
    article, _ = import_wire_story(parse(GOOD), by=editor, section=politics)
    assert article.state == State.DRAFT
    assert article.version == 1
    revision = article.revisions.get()
    assert (revision.summary, revision.created_by, revision.number) == (
        "Imported from wire copy",
        editor,
        1,
    )
    assert revision.data["headline"] == "Ministers agree on river clean-up"
    assert [c["name"] for c in revision.data["contributions"]] == [
        "Li Wei",
        "Anna Müller",
        "Zhong Wenxing",
        "Liang Jun",
    ]
    assert not Article.objects.published().exists()


def test_new_people_and_source_are_created_from_what_the_copy_says(politics):
    article, _ = import_wire_story(parse(GOOD), section=politics)
    source = Source.objects.get()
    assert (source.name, source.slug) == ("Xinhua", "xinhua")
    li = Person.objects.get(name="Li Wei")
    assert (li.affiliation, li.slug) == ("Xinhua", "li-wei")
    liang = Person.objects.get(name="Liang Jun")
    assert liang.job_title == "Web editor"
    assert [(c.role, c.person.name, c.position) for c in article.credits] == [
        ("Web editor", "Zhong Wenxing", 1),
        ("Web editor", "Liang Jun", 2),
    ]
    assert [(c.person.name, c.position) for c in article.bylines] == [
        ("Li Wei", 1),
        ("Anna Müller", 2),
    ]


def test_source_and_people_are_matched_whatever_the_case(politics):
    source = SourceFactory(name="Xinhua News Agency")
    SourceFactory(name="XINHUA", slug="xinhua-upper")
    person = PersonFactory(name="li wei")
    article, _ = import_wire_story(parse(GOOD), section=politics)
    assert article.source.slug == "xinhua-upper"
    assert article.source != source
    assert article.bylines[0].person == person


def test_namesakes_prefer_the_one_writing_for_the_source(politics):
    PersonFactory(name="Li Wei", affiliation="People's Daily")
    xinhua = PersonFactory(name="Li Wei", affiliation="Xinhua")
    article, _ = import_wire_story(parse(GOOD), section=politics)
    assert article.bylines[0].person == xinhua


def test_paragraph_text_is_escaped_into_the_body(politics):
    text = GOOD.replace("The first paragraph.", "Profits < costs & <b>bold</b> claims.")
    article, _ = import_wire_story(parse(text), section=politics)
    article.refresh_from_db()
    assert article.body.startswith(
        "<p>Profits &lt; costs &amp; &lt;b&gt;bold&lt;/b&gt; claims.</p>"
    )
    assert article.summary == "Profits < costs & <b>bold</b> claims."


def test_default_section_is_the_wire_section(wire_section):
    article, _ = import_wire_story(parse(GOOD))
    assert article.section == wire_section


def test_default_section_follows_the_setting(settings, politics):
    settings.NEWSROOM_WIRE_SECTION = "politics"
    article, _ = import_wire_story(parse(GOOD))
    assert article.section == politics


def test_no_section_and_no_wire_section_refuses_and_writes_nothing(db):
    with pytest.raises(WireImportError, match="default wire section “wire” does not exist"):
        import_wire_story(parse(GOOD))
    assert not Article.objects.exists()
    assert not Section.objects.exists()
    assert not Person.objects.exists()
    assert not Source.objects.exists()


def test_unknown_source_is_refused_to_whoever_may_not_add_sources(politics):
    with pytest.raises(WireImportError, match="the source “Xinhua” is not known here"):
        import_wire_story(parse(GOOD), section=politics, may_add_source=False)
    assert not Article.objects.exists()
    assert not Person.objects.exists()
    SourceFactory(name="Xinhua")
    _, created = import_wire_story(parse(GOOD), section=politics, may_add_source=False)
    assert created


def test_reimporting_the_same_copy_changes_nothing(politics):
    first, _ = import_wire_story(parse(GOOD), section=politics)
    again = import_wire_story(parse(GOOD.replace("\n\n", "\n\n\n")), section=politics)
    assert again.outcome == Outcome.UNCHANGED
    assert not again.created
    assert again.article == first
    assert Article.objects.count() == 1
    assert Revision.objects.count() == 1
    assert Contribution.objects.count() == 4


def test_same_copy_again_keeps_what_the_desk_edited_since(politics, editor):
    article, _ = import_wire_story(parse(GOOD), section=politics)
    article.deck = "A deck"
    article.body = "<p>Rewritten by the desk.</p>"
    article.version += 1
    article.save()
    record_revision(article, by=editor, summary="Saved")
    result = import_wire_story(parse(GOOD), section=politics)
    assert result.outcome == Outcome.UNCHANGED
    article.refresh_from_db()
    assert article.body == "<p>Rewritten by the desk.</p>"


def test_corrected_resend_updates_the_draft_in_place(politics, editor):
    article, _ = import_wire_story(parse(GOOD), section=politics)
    other = SectionFactory(slug="world")
    resend = (
        GOOD.replace("Ministers agree on river clean-up", "Ministers agree on river plan")
        .replace("The second paragraph.", "The corrected second paragraph.")
        .replace("Zhong Wenxing, Liang Jun", "Liang Jun")
    )
    result = import_wire_story(parse(resend), by=editor, section=other)
    assert result.outcome == Outcome.UPDATED
    assert not result.created
    updated = Article.objects.get()
    assert updated.pk == article.pk
    assert updated.headline == "Ministers agree on river plan"
    assert paragraphs_of(updated.body) == [
        "The first paragraph.",
        "The corrected second paragraph.",
    ]
    assert [c.person.name for c in updated.credits] == ["Liang Jun"]
    # The desk's placement stays: section and address.
    assert (updated.section, updated.slug) == (politics, article.slug)
    assert updated.version == 2
    assert updated.state == State.DRAFT
    assert list(updated.revisions.values_list("number", "summary")) == [
        (2, "Updated from wire copy"),
        (1, "Imported from wire copy"),
    ]
    # Sent again, the correction is now the copy on record.
    assert import_wire_story(parse(resend)).outcome == Outcome.UNCHANGED


def test_story_in_the_workflow_is_left_alone(politics, reporter):
    article, _ = import_wire_story(parse(GOOD), by=reporter, section=politics)
    workflow.submit(article, by=reporter)
    result = import_wire_story(parse(GOOD.replace("first paragraph", "changed paragraph")))
    assert result.outcome == Outcome.SKIPPED
    assert result.reason == "already in the workflow (In review)"
    article.refresh_from_db()
    assert paragraphs_of(article.body)[0] == "The first paragraph."
    assert Article.objects.count() == 1


def test_update_needs_the_callers_permission(politics):
    import_wire_story(parse(GOOD), section=politics)
    result = import_wire_story(
        parse(GOOD.replace("first paragraph", "changed paragraph")), may_update=lambda a: False
    )
    assert result.outcome == Outcome.SKIPPED
    assert result.reason == "a draft you may not change"
    assert paragraphs_of(Article.objects.get().body)[0] == "The first paragraph."


def test_related_stories_become_links_here_or_elsewhere(politics):
    here = PublishedArticleFactory(headline="Rivers of the North")
    PublishedArticleFactory(
        headline="Rivers of the north", published_at=here.published_at - timedelta(days=2)
    )
    ArticleFactory(headline="A draft on dams")
    text = GOOD + copy(
        "",
        "Related Stories",
        "rivers of the north",
        "A draft on dams",
        "Flood season begins https://example.com/floods",
    )
    result = import_wire_story(parse(text), section=politics)
    links = list(result.article.related_links.order_by("position"))
    assert [(link.target, link.url, link.title) for link in links] == [
        (here, "", ""),
        (None, "https://example.com/floods", "Flood season begins"),
    ]
    assert result.warnings == ("Related story “A draft on dams” is not published here; left out.",)


def test_a_failure_midway_leaves_the_database_as_it_was(politics, monkeypatch):
    def broken(article, story):
        raise DatabaseError("disk full")

    monkeypatch.setattr(importers, "_write_related", broken)
    with pytest.raises(DatabaseError):
        import_wire_story(parse(GOOD), section=politics)
    assert not Article.objects.exists()
    assert not Person.objects.exists()
    assert not Source.objects.exists()
    assert not RelatedLink.objects.exists()


@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(story=wire_stories())
def test_any_story_the_format_carries_imports_as_written(politics, story):
    result = import_wire_story(parse(importers.format(story)), section=politics)
    article = Article.objects.get(pk=result.article.pk)
    assert article.uuid == story.identity
    assert article.headline == story.headline
    assert paragraphs_of(article.body) == list(story.paragraphs)
    assert article.summary == story.paragraphs[0]
    assert article.published_at == story.dateline
    assert same_name(article.source.name, story.source)
    if not result.warnings:  # no two names of the story matched the same person
        written = [("", n) for n in story.bylines]
        written += [(g.role, n) for g in story.credits for n in g.names]
        stored = [(c.role, c.person.name) for c in [*article.bylines, *article.credits]]
        assert len(stored) == len(written)
        assert all(
            role == want_role and same_name(name, want)
            for (role, name), (want_role, want) in zip(stored, written, strict=True)
        )
    assert Article.objects.filter(uuid=story.identity).count() == 1
