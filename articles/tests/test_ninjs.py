"""Stories as ninjs 3.1: every document validates against IPTC's schema (with formats
checked), carries what partners print, and a withdrawn story leaves only a tombstone."""

import copy
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone
from jsonschema import Draft202012Validator, FormatChecker
from PIL import Image as PILImage
from referencing import Registry, Resource

from articles import ninjs
from articles.images import ensure_renditions
from articles.models import Article, ArticleType, Correction, Image, Source, State
from articles.tests.factories import (
    ArticleFactory,
    ContributionFactory,
    CreditFactory,
    PublishedArticleFactory,
    RelatedLinkFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent / "data" / "ninjs"
SCHEMA = json.loads((DATA / "ninjs-schema_3.1.json").read_text(encoding="utf-8"))
GEOJSON = json.loads((DATA / "GeoJSON-schema.json").read_text(encoding="utf-8"))

# jsonschema asserts "date-time" and "uri" only with optional packages this project does not
# install; without a checker of its own, any string would pass. RFC 3339 date-times, and
# absolute URIs (RFC 3986: a scheme, a colon, no character a URI may not hold).
RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")
ABSOLUTE_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+")
FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def is_date_time(value) -> bool:
    if not isinstance(value, str):
        return True
    if not RFC3339.fullmatch(value):
        return False
    datetime.fromisoformat(value)  # Out-of-range fields (month 13) raise.
    return True


@FORMATS.checks("uri")
def is_uri(value) -> bool:
    return not isinstance(value, str) or bool(ABSOLUTE_URI.fullmatch(value))


VALIDATOR = Draft202012Validator(
    SCHEMA,
    registry=Registry().with_resource(GEOJSON["$id"], Resource.from_contents(GEOJSON)),
    format_checker=FORMATS,
)


def ninjs_errors(document) -> list[str]:
    """Every way ``document`` breaks ninjs 3.1, as "path: message"; empty when valid."""
    return [f"{e.json_path}: {e.message}" for e in VALIDATOR.iter_errors(document)]


@pytest.fixture(autouse=True)
def _public_site(settings):
    settings.NEWSROOM_DOMAIN = "news.example"
    settings.NEWSROOM_URL_SCHEME = "https"


def example(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


# --- The validator is wired right -----------------------------------------------------------


def test_schema_is_a_valid_2020_12_schema():
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$id"] == ninjs.NINJS_SCHEMA


@pytest.mark.parametrize(
    "path", sorted((DATA / "should_pass").glob("*.json")), ids=lambda p: p.name
)
def test_iptc_examples_that_should_pass_pass(path):
    assert ninjs_errors(example(path)) == []


# Each failing example fails where IPTC meant it to.
SHOULD_FAIL = {
    "3.0_testsuite_001_bad_geojson.json": "$.places[0]",
    "3.0_testsuite_001_bad_toplevel.json": "$",
    "3.0_testsuite_006_bad_urgency.json": "$.urgency",
    "3.1_testsuite_001_bad_digital_source.json": "$.digitalSourceType",
}


def test_every_failing_example_is_checked():
    assert {p.name for p in (DATA / "should_fail").glob("*.json")} == set(SHOULD_FAIL)


@pytest.mark.parametrize("name, where", SHOULD_FAIL.items())
def test_iptc_examples_that_should_fail_fail(name, where):
    errors = ninjs_errors(example(DATA / "should_fail" / name))
    assert any(error.startswith(f"{where}: ") for error in errors), errors


def test_a_bad_geojson_place_fails_through_the_referenced_schema():
    document = example(DATA / "should_pass" / "3.0_testsuite_010_geojson.json")
    broken = copy.deepcopy(document)
    broken["places"][0]["geoJSON"] = {"type": "Foo", "coordinates": ["dog", "cat"]}
    assert ninjs_errors(document) == []
    assert any(e.startswith("$.places[0].geoJSON") for e in ninjs_errors(broken))


@pytest.mark.parametrize(
    "field, value",
    [
        ("versionCreated", "2023-09-15 08:55"),
        ("versionCreated", "2023-13-15T08:55:00Z"),
        ("firstCreated", "yesterday"),
        ("uri", "not a uri"),
        ("uri", "/relative/path"),
    ],
)
def test_formats_are_asserted(field, value):
    assert ninjs_errors({"uri": "urn:uuid:5b0f4c1e-7d0a-4c43-9f4e-2a9d7c3e8b15"}) == []
    document = {"uri": "urn:uuid:5b0f4c1e-7d0a-4c43-9f4e-2a9d7c3e8b15", field: value}
    assert ninjs_errors(document) != []


# --- Documents ------------------------------------------------------------------------------


def loaded(article: Article) -> Article:
    """The story as the API loads it."""
    return Article.objects.for_page().get(pk=article.pk)


def make_image(**fields) -> Image:
    buffer = io.BytesIO()
    PILImage.new("RGB", (1600, 1000), (40, 90, 160)).save(buffer, "JPEG")
    upload = SimpleUploadedFile("harbour.jpg", buffer.getvalue(), content_type="image/jpeg")
    values = {"alt_text": "Fishing boats in the harbour", "caption": "Boats at dawn."}
    image = Image.objects.create(file=upload, **{**values, **fields})
    ensure_renditions(image)
    return image


def test_sample_story_is_a_valid_full_document(sample_story, django_assert_num_queries):
    story = loaded(sample_story)
    with django_assert_num_queries(0):
        document = ninjs.document(story)

    assert ninjs_errors(document) == []
    assert document["uri"] == f"urn:uuid:{sample_story.uuid}"
    assert document["standard"] == {
        "name": "ninjs",
        "version": "3.1",
        "schema": "http://www.iptc.org/std/ninjs/ninjs-schema_3.1.json#",
    }
    assert (document["type"], document["pubStatus"], document["version"]) == (
        "text",
        "usable",
        "1",
    )
    assert document["headlines"] == [
        {"role": "main", "value": "Xi: Build model general offices of Party, governments"}
    ]
    # 08:55 in the newsroom (Asia/Shanghai) is 00:55 UTC.
    assert document["firstCreated"] == "2023-09-15T08:55:00+08:00"
    assert datetime.fromisoformat(document["firstCreated"]) == datetime(
        2023, 9, 15, 0, 55, tzinfo=UTC
    )
    assert document["versionCreated"] == "2023-09-15T08:55:00+08:00"
    assert document["language"] == "en-US"
    [body] = document["bodies"]
    assert (body["role"], body["contentType"]) == ("main", "text/html")
    assert body["value"] == sample_story.body
    assert body["value"].count("<p>") == 8
    assert body["wordCount"] == len(re.sub(r"<[^>]+>", " ", sample_story.body).split())
    assert document["descriptions"] == [
        {"role": "summary", "contentType": "text/plain", "value": sample_story.summary}
    ]
    assert document["by"] == "Cao Desheng"
    assert [(p["name"], p["rel"], p["literal"]) for p in document["people"]] == [
        ("Cao Desheng", "author", "cao-desheng"),
        ("Zhong Wenxing", "Web editor", "zhong-wenxing"),
        ("Liang Jun", "Web editor", "liang-jun"),
    ]
    assert document["people"][0]["uri"] == "https://news.example/people/cao-desheng/"
    assert document["copyrightHolder"] == "China Daily"
    assert document["infoSources"][0] == {
        "name": "China Daily",
        "role": "originator",
        "literal": "china-daily",
        "uri": "https://www.chinadaily.com.cn/",
    }
    subjects = {(s["rel"], s["name"]) for s in document["subjects"]}
    assert subjects == {
        ("section", "Politics"),
        ("keyword", "Xi Jinping"),
        ("keyword", "Communist Party of China"),
        ("keyword", "Governance"),
    }
    assert document["genres"] == [
        {"name": "News", "literal": "news", "uri": "http://cv.iptc.org/newscodes/genre/Current"}
    ]
    assert document["altIds"] == [
        {
            "role": "url",
            "value": "https://news.example/politics/2023/09/15/"
            "xi-build-model-general-offices-of-party-governments/",
        }
    ]
    assert document["trustIndicators"][0]["href"] == "https://news.example/standards/"
    assert "associations" not in document
    assert document["profile"] == "text-only"


@override_settings(NEWSROOM_DOMAIN="newsroom.example", NEWSROOM_URL_SCHEME="http")
def test_links_use_the_public_site_address(sample_story):
    document = ninjs.document(loaded(sample_story))
    assert document["altIds"][0]["value"].startswith("http://newsroom.example/politics/")
    assert document["people"][0]["uri"] == "http://newsroom.example/people/cao-desheng/"


def test_story_with_everything_is_valid_and_carries_it(editor):
    picture = make_image(credit="Li Hua / Newsroom", focal_x=0.25, focal_y=0.5)
    target = PublishedArticleFactory(headline="Earlier: the harbour floods")
    story = PublishedArticleFactory(
        headline="Harbour reopens",
        deck="Boats return after a week of storms",
        dateline_place="Qingdao",
        lead_image=picture,
        article_type=ArticleType.ANALYSIS,
        original_url="https://agency.example/harbour-reopens",
        source=SourceFactory(name="Harbour Wire", url=""),
    )
    ContributionFactory(article=story, person__name="Ann Lee", role="Reporter")
    ContributionFactory(article=story, person__name="Bo Chen")
    ContributionFactory(article=story, person__name="Cy Dunn")
    CreditFactory(article=story, person__name="Di Fox", role="Photographer")
    CreditFactory(article=story, person__name="Ed Gao", role="")
    story.tags.add("harbours", "storms")
    RelatedLinkFactory(article=story, target=target)
    RelatedLinkFactory(
        article=story, target=None, url="https://elsewhere.example/ships", title="Ships"
    )
    Correction.objects.create(article=story, kind="correction", text="The port is in Qingdao.")

    document = ninjs.document(loaded(story))

    assert ninjs_errors(document) == []
    assert document["headlines"][1] == {
        "role": "subhead",
        "value": "Boats return after a week of storms",
    }
    assert document["located"] == "Qingdao"
    assert document["by"] == "Ann Lee, Bo Chen and Cy Dunn"
    assert [(p["name"], p["rel"]) for p in document["people"]] == [
        ("Ann Lee", "Reporter"),
        ("Bo Chen", "author"),
        ("Cy Dunn", "author"),
        ("Di Fox", "Photographer"),
        ("Ed Gao", "contributor"),
    ]
    assert document["genres"][0]["uri"] == "http://cv.iptc.org/newscodes/genre/Analysis"
    assert document["copyrightHolder"] == "Harbour Wire"
    assert "uri" not in document["infoSources"][0]
    assert {"role": "original-url", "value": "https://agency.example/harbour-reopens"} in (
        document["altIds"]
    )
    assert {
        "role": "correction",
        "contentType": "text/plain",
        "value": "The port is in Qingdao.",
    } in (document["descriptions"])
    assert document["profile"] == "text-photo"

    mainpic, internal, external = document["associations"]
    assert (mainpic["name"], mainpic["type"], mainpic["uri"]) == (
        "mainpic",
        "picture",
        f"urn:uuid:{picture.uuid}",
    )
    assert mainpic["by"] == "Li Hua / Newsroom"
    assert mainpic["descriptions"] == [
        {"role": "caption", "contentType": "text/plain", "value": "Boats at dawn."},
        {"role": "alt", "contentType": "text/plain", "value": "Fishing boats in the harbour"},
    ]
    original, *renditions = mainpic["renditions"]
    assert original["name"] == "original"
    assert original["href"].startswith("https://news.example/media/images/")
    assert (original["width"], original["height"], original["contentType"]) == (
        1600,
        1000,
        "image/jpeg",
    )
    assert original["poi"] == {"x": 400, "y": 500}
    # Every recorded file, in both formats, with its size and crop.
    recorded = {
        (name, entry["width"], entry["height"], key)
        for name, spec in picture.renditions.items()
        for entry in spec["sizes"]
        for key in ("jpeg", "webp")
    }
    assert {
        (r["name"].split("-")[0], r["width"], r["height"], r["name"].split("-")[2])
        for r in renditions
    } == recorded
    lead = next(r for r in renditions if r["name"] == "lead-800-jpeg")
    assert lead["contentType"] == "image/jpeg"
    assert lead["aspectRatio"] == "16:9"
    assert lead["href"].startswith("https://news.example/media/renditions/")
    assert "aspectRatio" not in next(r for r in renditions if r["name"].startswith("full-"))

    assert internal["uri"] == f"urn:uuid:{target.uuid}"
    assert internal["headlines"] == [{"role": "main", "value": "Earlier: the harbour floods"}]
    assert external["uri"] == "https://elsewhere.example/ships"


def test_a_picture_before_its_renditions_offers_the_original():
    buffer = io.BytesIO()
    PILImage.new("RGB", (800, 600)).save(buffer, "PNG")
    picture = Image.objects.create(
        file=SimpleUploadedFile("chart.png", buffer.getvalue()), alt_text="A chart"
    )
    story = PublishedArticleFactory(lead_image=picture)
    document = ninjs.document(loaded(story))
    assert ninjs_errors(document) == []
    [original] = document["associations"][0]["renditions"]
    assert (original["name"], original["contentType"]) == ("original", "image/png")


@override_settings(NEWSROOM_NAME="Harbour Times")
def test_own_copy_is_the_newsrooms():
    document = ninjs.document(loaded(PublishedArticleFactory(source=None)))
    assert document["copyrightHolder"] == "Harbour Times"
    assert document["infoSources"] == [
        {"name": "Harbour Times", "role": "publisher", "uri": "https://news.example/"}
    ]


@pytest.mark.parametrize("article_type", ArticleType.values)
def test_every_article_type_is_a_valid_genre(article_type):
    story = PublishedArticleFactory(article_type=article_type, body="", summary="")
    document = ninjs.document(loaded(story))
    assert ninjs_errors(document) == []
    genre = document["genres"][0]
    assert genre["literal"] == article_type
    assert ("uri" in genre) == (article_type != ArticleType.SPONSORED)
    # Nothing to carry, nothing printed: no empty body or byline.
    assert not {"bodies", "by", "people", "located"} & set(document)


def test_version_created_is_the_publication_time_of_a_story_edited_before_it(time_machine):
    edited = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)
    time_machine.move_to(edited, tick=False)
    story = PublishedArticleFactory(published_at=edited + timedelta(hours=2))
    time_machine.move_to(edited + timedelta(hours=3), tick=False)
    assert ninjs.document(loaded(story))["versionCreated"] == "2024-05-01T12:00:00+08:00"
    Article.objects.filter(pk=story.pk).update(updated_at=edited + timedelta(hours=3))
    assert ninjs.document(loaded(story))["versionCreated"] == "2024-05-01T13:00:00+08:00"


def test_tombstone_is_valid_and_holds_nothing_of_the_story(publisher, time_machine):
    time_machine.move_to(datetime(2024, 5, 5, 6, 30, tzinfo=UTC), tick=False)
    story = ArticleFactory(headline="Factory fire kills three", deck="A deck", dateline_place="X")
    ContributionFactory(article=story, person__name="Wang Lei")
    story.tags.add("fires")
    from articles import workflow

    for step in (workflow.submit, workflow.approve, workflow.publish):
        step(story, by=publisher)
    time_machine.move_to(datetime(2024, 5, 6, 6, 30, tzinfo=UTC), tick=False)
    workflow.withdraw(story, by=publisher, notice="The story relied on a false report.")

    document = ninjs.tombstone(loaded(story))

    assert ninjs_errors(document) == []
    assert document == {
        "uri": f"urn:uuid:{story.uuid}",
        "standard": ninjs.STANDARD,
        "type": "text",
        "version": str(Article.objects.get(pk=story.pk).version),
        "versionCreated": "2024-05-06T14:30:00+08:00",
        "pubStatus": "canceled",
        "edNote": "The story relied on a false report.",
    }
    assert "Factory fire" not in json.dumps(document)


def test_tombstone_without_a_notice_has_no_note():
    story = PublishedArticleFactory(state=State.WITHDRAWN)
    document = ninjs.tombstone(story)
    assert ninjs_errors(document) == []
    assert "edNote" not in document


@pytest.mark.parametrize(
    "names, statement",
    [([], ""), (["A"], "A"), (["A", "B"], "A and B"), (["A", "B", "C"], "A, B and C")],
)
def test_byline_statement_joins_the_names(names, statement):
    story = PublishedArticleFactory()
    for name in names:
        ContributionFactory(article=story, person__name=name)
    assert ninjs.byline_statement(loaded(story)) == statement


def test_documents_of_odd_but_allowed_content_stay_valid():
    story = PublishedArticleFactory(
        headline="Ünïcödé “quotes” & <angles>",
        body="<p>Line\u2028separator and emoji 🚢</p>",
        summary="",
        source=Source.objects.create(name="Agence & Co", slug="agence", url=""),
        published_at=timezone.now() - timedelta(minutes=1),
    )
    story.tags.add("北京")
    document = ninjs.document(loaded(story))
    assert ninjs_errors(document) == []
    assert json.loads(json.dumps(document, ensure_ascii=False)) == document
