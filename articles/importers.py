"""Wire copy in, drafts out: read, parse and import plain-text stories from agencies.

The layout is the one partners send (``fixtures/sample_story.txt``)::

    Headline on one line

    By NAME[, NAME… and NAME] (SOURCE) HH:MM, Month D, YYYY

    Paragraphs, separated by blank lines (hard-wrapped lines are joined).

    (Web editor: NAME, NAME; ROLE: NAME…)

    Related Stories
    A title of a story published here
    A title elsewhere https://example.com/story

The credit line and the "Related Stories" trailer (one story a line, at most 50) are
optional. The dateline time is read in the newsroom's ``TIME_ZONE``. Copy is UTF-8 (a BOM is
fine) and at most ``NEWSROOM_WIRE_MAX_BYTES`` (10 MB), checked before it is read.

:func:`parse` turns text into a :class:`WireStory` and :func:`format` turns one back into text
(``parse(format(s)) == s``); both touch no database, and every problem is a
:class:`WireFormatError` naming the file (and the line). :func:`import_wire_story` writes a
story as a draft, all or nothing.

**Identity.** A story's ``Article.uuid`` is a uuid5 of its source, its dateline time as
written and its byline names (case and order ignored), never its headline or text: an
agency's corrected resend keeps the byline and the time and often changes the headline, and
must update the draft rather than start a second one. Two stories by the same people from the
same source stamped the same minute would be taken for one; wire copy does not do that.

**Related stories.** A title with a URL becomes an external link; a title alone links the
published story here with that headline (case aside; the latest), or is left out with a
warning, since a link to nowhere helps no reader.

**Re-import.** A draft is updated in place (a new revision) when its copy differs from the copy
it was last imported from, whose fingerprint each import's revision keeps under
``data["wire"]``; the same copy again is "unchanged", so edits the desk made since are kept. A
story past draft belongs to the desk and is left alone ("skipped").
"""

from __future__ import annotations

import codecs
import hashlib
import html
import os
import re
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from newsroom.slugs import unique_slug
from people.models import Person

from .models import Article, Contribution, RelatedLink, Section, Source, State
from .revisions import record_revision

# Fixed for ever: every imported story's uuid derives from it, so changing it would make the
# next import of any story a duplicate.
WIRE_NAMESPACE = uuid.UUID("3054b569-67ef-4cdc-9f50-bee9194f2195")

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_SECTION = "wire"

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# Full names, three-letter abbreviations and "Sept", any case, as agencies write them.
MONTH_NUMBERS = {
    **{name.casefold(): n for n, name in enumerate(MONTHS, 1)},
    **{name[:3].casefold(): n for n, name in enumerate(MONTHS, 1)},
    "sept": 9,
}
EARLIEST_YEAR, LATEST_YEAR = 1900, 2999

BYLINE_EXAMPLE = "'By NAME (SOURCE) HH:MM, Month D, YYYY'"
# "By" and the names, the source in the last parentheses, then the time and date. Longer
# lines are refused before matching (the pattern backtracks over parentheses); a longer
# line in parentheses is a paragraph, not a credit line.
BYLINE_MAX = CREDIT_LINE_MAX = 2000
# Each becomes a row; more than this is not a trailer a desk would want.
RELATED_MAX = 50
BYLINE = re.compile(r"^by\s+(?P<names>.+)\s*\((?P<source>[^()]*)\)\s*(?P<when>[^()]*)$", re.I)
WHEN = re.compile(
    r"^(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2}),?\s+(?P<month>[a-z]+)\.?\s+"
    r"(?P<day>[0-9]{1,2}),?\s+(?P<year>[0-9]{4})$",
    re.I,
)
# Names are separated by commas, " and ", or both ("A, B, and C").
NAME_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")
RELATED_HEADING = re.compile(r"^related stor(?:y|ies):?$", re.I)
# What plain text may not hold: control characters (tab and line feed aside) and lone
# surrogates.
NOT_PLAIN_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")

# Field sizes the copy must fit.
HEADLINE_MAX = Article._meta.get_field("headline").max_length
NAME_MAX = Person._meta.get_field("name").max_length
SOURCE_MAX = Source._meta.get_field("name").max_length
ROLE_MAX = Contribution._meta.get_field("role").max_length
TITLE_MAX = RelatedLink._meta.get_field("title").max_length
URL_MAX = RelatedLink._meta.get_field("url").max_length


# --- Errors ----------------------------------------------------------------------------------


class WireFormatError(ValueError):
    """The copy cannot be read as a story: ``str()`` names the file and, when known, the line."""

    def __init__(self, name: str, line: int | None, message: str):
        self.name, self.line, self.message = name, line, message
        where = f"{name}, line {line}" if line else name
        super().__init__(f"{where}: {message}")


class WireImportError(Exception):
    """The copy is well formed but cannot be imported here (no section, unknown source…)."""


# --- The story -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreditGroup:
    """One role of the credit line and the people in it, in printed order."""

    role: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class RelatedItem:
    """An entry of the "Related Stories" trailer: a title, and a URL when it lives elsewhere."""

    title: str
    url: str = ""


@dataclass(frozen=True)
class WireStory:
    """One story as the wire sends it. ``dateline`` is aware (minute precision)."""

    headline: str
    bylines: tuple[str, ...]
    source: str
    dateline: datetime
    paragraphs: tuple[str, ...]
    credits: tuple[CreditGroup, ...] = ()
    related: tuple[RelatedItem, ...] = ()

    @property
    def identity(self) -> uuid.UUID:
        """The story's stable uuid: source, dateline instant and byline names (see above)."""

        def key(text: str) -> str:
            return " ".join(unicodedata.normalize("NFC", text).casefold().split())

        names = sorted(key(name) for name in self.bylines)
        # The time as the copy writes it, so a change of TIME_ZONE does not change identities.
        local = timezone.localtime(self.dateline, timezone.get_default_timezone())
        moment = local.strftime("%Y-%m-%dT%H:%M")
        return uuid.uuid5(WIRE_NAMESPACE, "\n".join([key(self.source), moment, *names]))

    @property
    def fingerprint(self) -> str:
        """Changes exactly when the copy says something different (layout aside)."""
        return hashlib.sha256(format(self).encode()).hexdigest()

    @property
    def summary(self) -> str:
        return self.paragraphs[0]

    @property
    def body_html(self) -> str:
        return "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in self.paragraphs)


# --- Reading files ---------------------------------------------------------------------------


def max_bytes() -> int:
    return getattr(settings, "NEWSROOM_WIRE_MAX_BYTES", DEFAULT_MAX_BYTES)


def human_size(size: int) -> str:
    megabyte = 1024 * 1024
    return f"{size / megabyte:.1f} MB" if size >= megabyte else f"{size:,} bytes"


def _too_big(name: str, size: int | None) -> WireFormatError:
    limit = human_size(max_bytes())
    what = f"the file is {human_size(size)}" if size else f"the copy is over {limit}"
    return WireFormatError(name, None, f"{what}; wire copy may be at most {limit}.")


def decode(data: bytes, name: str) -> str:
    """UTF-8 text (a byte-order mark is dropped); anything else names the first bad line."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise WireFormatError(name, 1, "the copy is UTF-16; save it as UTF-8.")
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise WireFormatError(
            name,
            line,
            f"not UTF-8 text (byte 0x{data[error.start]:02X}); save the copy as UTF-8.",
        ) from None


def read_stream(stream: BinaryIO, name: str, *, size: int | None = None) -> str:
    """Read and decode copy from an open file, refusing more than ``max_bytes()``.

    ``size``, when known (an upload, a file on disk), is checked before anything is read;
    otherwise at most one byte over the limit is read.
    """
    limit = max_bytes()
    if size is not None and size > limit:
        raise _too_big(name, size)
    data = stream.read(limit + 1)
    if isinstance(data, str):  # a text stream, such as a test's StringIO for stdin
        data = data.encode("utf-8")
    if len(data) > limit:
        raise _too_big(name, size)
    return decode(data, name)


def read_file(path: str | os.PathLike) -> str:
    """The copy in the file at ``path``; errors name the path as given."""
    name = os.fspath(path)
    try:
        with open(path, "rb") as stream:
            return read_stream(stream, name, size=os.fstat(stream.fileno()).st_size)
    except OSError as error:
        raise WireFormatError(name, None, f"cannot read the file ({error.strerror}).") from None


# --- Parsing ---------------------------------------------------------------------------------


def _clean(line: str) -> str:
    """The line with runs of white space (tabs, non-breaking spaces…) made one space."""
    return " ".join(line.split())


def _check_plain_text(text: str, name: str) -> None:
    """Refuse control characters, naming the first one's line and column."""
    found = NOT_PLAIN_TEXT.search(text)
    if found:
        start = found.start()
        line_start = text.rfind("\n", 0, start) + 1
        raise WireFormatError(
            name,
            text.count("\n", 0, start) + 1,
            f"control character U+{ord(found[0]):04X} at column {start - line_start + 1}; "
            "wire copy must be plain text.",
        )


def split_names(text: str, name: str, line: int, what: str) -> tuple[str, ...]:
    names = tuple(NAME_SEPARATOR.split(text.strip()))
    if any(not n for n in names):
        raise WireFormatError(name, line, f"an empty name in the {what} “{text}”.")
    seen: set[str] = set()
    for person in names:
        if len(person) > NAME_MAX:
            raise WireFormatError(
                name, line, f"the name “{person[:40]}…” is longer than {NAME_MAX} characters."
            )
        if person.casefold() in seen:
            raise WireFormatError(name, line, f"“{person}” is named twice in the {what}.")
        seen.add(person.casefold())
    return names


def _dateline(when: str, name: str, line: int) -> datetime:
    match = WHEN.match(when)
    if not match:
        raise WireFormatError(
            name,
            line,
            f"expected the time and date like '08:55, September 15, 2023' after the source, "
            f"found “{when}”.",
        )
    month = MONTH_NUMBERS.get(match["month"].casefold())
    if month is None:
        raise WireFormatError(name, line, f"unknown month “{match['month']}”.")
    hour, minute = int(match["hour"]), int(match["minute"])
    year, day = int(match["year"]), int(match["day"])
    if hour > 23 or minute > 59:
        raise WireFormatError(name, line, f"no such time “{match['hour']}:{match['minute']}”.")
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise WireFormatError(
            name, line, f"the year {year} is out of range ({EARLIEST_YEAR} to {LATEST_YEAR})."
        )
    try:
        return datetime(year, month, day, hour, minute, tzinfo=timezone.get_default_timezone())
    except ValueError:
        raise WireFormatError(
            name, line, f"no such date “{MONTHS[month - 1]} {day}, {year}”."
        ) from None


def _byline(text: str, name: str, line: int) -> tuple[tuple[str, ...], str, datetime]:
    if len(text) > BYLINE_MAX:
        raise WireFormatError(name, line, f"the byline is longer than {BYLINE_MAX} characters.")
    match = BYLINE.match(text)
    if not match:
        raise WireFormatError(name, line, f"expected a byline like {BYLINE_EXAMPLE}.")
    source = match["source"].strip()
    if not source:
        raise WireFormatError(name, line, "the source in parentheses is empty.")
    if len(source) > SOURCE_MAX:
        raise WireFormatError(name, line, f"the source is longer than {SOURCE_MAX} characters.")
    names = split_names(match["names"], name, line, "byline")
    return names, source, _dateline(match["when"].strip(), name, line)


def _is_credit_line(text: str) -> bool:
    """ "(ROLE: names; ROLE: names)", a trailing semicolon allowed."""
    if len(text) > CREDIT_LINE_MAX or not (text.startswith("(") and text.endswith(")")):
        return False
    inner = text[1:-1]
    if "(" in inner or ")" in inner:
        return False
    parts = [part for part in inner.split(";") if part.strip()]
    return bool(parts) and all(
        role.strip() and sep and people.strip()
        for role, sep, people in (part.partition(":") for part in parts)
    )


def _credits(text: str, name: str, line: int) -> tuple[CreditGroup, ...]:
    groups = []
    for part in text[1:-1].split(";"):
        if not part.strip():
            continue
        role, _, people = part.partition(":")
        role = role.strip()
        if len(role) > ROLE_MAX:
            raise WireFormatError(name, line, f"the role “{role[:40]}…” is too long.")
        groups.append(CreditGroup(role, split_names(people, name, line, "credit line")))
    return tuple(groups)


# What may stand between a related story's title and its URL.
URL_SEPARATORS = ("-", "\N{EN DASH}", "\N{EM DASH}", "|")


def _related(text: str, name: str, line: int) -> RelatedItem:
    """A title, optionally ending with its URL ("Title https://…", "Title - <https://…>")."""
    head, _, last = text.rpartition(" ")
    url = last.removeprefix("<").removesuffix(">")
    if not url.lower().startswith(("http://", "https://")):
        title, url = text, ""
    else:
        title = head
        for separator in URL_SEPARATORS:
            title = title.removesuffix(f" {separator}")
        if title in URL_SEPARATORS:
            title = ""
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise WireFormatError(name, line, f"“{url}” is not a valid URL.") from None
        if len(url) > URL_MAX:
            raise WireFormatError(name, line, f"the URL is longer than {URL_MAX} characters.")
    if len(title) > TITLE_MAX:
        raise WireFormatError(
            name, line, f"the related story's title is longer than {TITLE_MAX} characters."
        )
    return RelatedItem(title, url)


def parse(text: str, name: str = "<copy>") -> WireStory:
    """The story in ``text``; raises :class:`WireFormatError` naming ``name`` and the line.

    Never raises anything else, whatever the text. Lines are counted as an editor counts
    them (``\\r\\n``, ``\\r`` and ``\\n`` each end one).
    """
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    _check_plain_text(text, name)
    lines = text.split("\n")
    # (line number, text) of every line that is not blank.
    filled = [(number, _clean(line)) for number, line in enumerate(lines, 1) if line.strip()]
    if not filled:
        raise WireFormatError(name, 1, "the copy is empty; expected a headline.")

    headline_line, headline = filled[0]
    if len(headline) > HEADLINE_MAX:
        raise WireFormatError(
            name, headline_line, f"the headline is longer than {HEADLINE_MAX} characters."
        )
    if BYLINE.match(headline):
        raise WireFormatError(name, headline_line, "no headline: the copy starts with a byline.")
    if len(filled) < 2:
        raise WireFormatError(
            name,
            headline_line + 1,
            f"expected a byline like {BYLINE_EXAMPLE} after the headline, "
            "found the end of the copy.",
        )
    byline_line, byline = filled[1]
    names, source, dateline = _byline(byline, name, byline_line)

    # The body runs to the "Related Stories" heading or the end; the rest is the trailer.
    rest = filled[2:]
    heading = next((i for i, (_, t) in enumerate(rest) if RELATED_HEADING.match(t)), len(rest))
    body, trailer = rest[:heading], rest[heading + 1 :]

    credits: tuple[CreditGroup, ...] = ()
    if body and _is_credit_line(body[-1][1]):
        credits = _credits(body[-1][1], name, body[-1][0])
        body = body[:-1]
    if len(trailer) > RELATED_MAX:
        raise WireFormatError(
            name, trailer[RELATED_MAX][0], f"more than {RELATED_MAX} related stories."
        )
    if not body:
        raise WireFormatError(
            name,
            (rest[0][0] if rest else byline_line + 1),
            "no body: expected paragraphs after the byline.",
        )

    # Paragraphs are blocks of consecutive lines; a blank line ends one.
    paragraphs: list[list[str]] = []
    previous = None
    for number, line in body:
        if previous is not None and number == previous + 1:
            paragraphs[-1].append(line)
        else:
            paragraphs.append([line])
        previous = number

    return WireStory(
        headline=headline,
        bylines=names,
        source=source,
        dateline=dateline,
        paragraphs=tuple(" ".join(p) for p in paragraphs),
        credits=credits,
        related=tuple(_related(t, name, number) for number, t in trailer),
    )


# --- Formatting ------------------------------------------------------------------------------


def _join_names(names: tuple[str, ...]) -> str:
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} and {names[-1]}"


def format(story: WireStory) -> str:
    """The story as wire copy; :func:`parse` reads it back equal."""
    local = timezone.localtime(story.dateline, timezone.get_default_timezone())
    when = f"{local:%H:%M}, {MONTHS[local.month - 1]} {local.day}, {local.year}"
    lines = [
        story.headline,
        "",
        f"By {_join_names(story.bylines)} ({story.source}) {when}",
        "",
    ]
    for paragraph in story.paragraphs:
        lines += [paragraph, ""]
    if story.credits:
        groups = "; ".join(f"{g.role}: {', '.join(g.names)}" for g in story.credits)
        lines += [f"({groups})", ""]
    if story.related:
        lines.append("Related Stories")
        lines += [f"{item.title} {item.url}".strip() for item in story.related]
    return "\n".join(lines).rstrip("\n") + "\n"


# --- Importing -------------------------------------------------------------------------------


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class ImportResult:
    """What :func:`import_wire_story` did. Unpacks as ``article, created``."""

    article: Article
    outcome: Outcome
    # Why a story was skipped: "already in the workflow (Published)".
    reason: str = ""
    warnings: tuple[str, ...] = ()

    @property
    def created(self) -> bool:
        return self.outcome == Outcome.CREATED

    def __iter__(self):
        return iter((self.article, self.created))


IMPORTED = "Imported from wire copy"
UPDATED = "Updated from wire copy"


def default_section() -> Section:
    """The section ``NEWSROOM_WIRE_SECTION`` (default "wire") names, which must exist.

    Never created on the fly: every section is in the public navigation, so adding one is
    the desk's decision.
    """
    slug = getattr(settings, "NEWSROOM_WIRE_SECTION", DEFAULT_SECTION)
    try:
        return Section.objects.get(slug=slug)
    except Section.DoesNotExist:
        raise WireImportError(
            f"no section chosen, and the default wire section “{slug}” does not exist: "
            f"choose a section (--section SLUG) or create “{slug}”."
        ) from None


def _source(name: str, *, may_add: bool) -> Source:
    source = Source.objects.filter(name__iexact=name).order_by("pk").first()
    if source is not None:
        return source
    if not may_add:
        raise WireImportError(
            f"the source “{name}” is not known here and you may not add sources; "
            "ask an editor to add it."
        )
    slug = unique_slug(
        name,
        lambda s: Source.objects.filter(slug=s).exists(),
        max_length=Source._meta.get_field("slug").max_length,
        fallback="source",
    )
    return Source.objects.create(name=name, slug=slug)


def _person(name: str, *, affiliation: str = "", job_title: str = "") -> Person:
    """The person of that name (case aside), preferring one writing for ``affiliation``; the
    oldest among namesakes. Someone new is created with what the copy says about them.
    """
    namesakes = list(Person.objects.filter(name__iexact=name).order_by("pk"))
    exact = [p for p in namesakes if p.name == name] or namesakes
    if affiliation:
        exact = [p for p in exact if p.affiliation.casefold() == affiliation.casefold()] or exact
    if exact:
        return exact[0]
    return Person.objects.create(name=name, affiliation=affiliation, job_title=job_title)


def _write_people(article: Article, story: WireStory) -> list[str]:
    warnings = []
    contributions: dict[tuple, Contribution] = {}

    def add(person: Person, kind: str, role: str, position: int) -> None:
        key = (person.pk, kind, role)
        if key in contributions:
            warnings.append(f"“{person.name}” is listed twice as {role or kind}; kept once.")
            return
        contributions[key] = Contribution(
            article=article, person=person, kind=kind, role=role, position=position
        )

    for position, name in enumerate(story.bylines, 1):
        add(_person(name, affiliation=story.source), Contribution.Kind.BYLINE, "", position)
    position = 0
    for group in story.credits:
        for name in group.names:
            position += 1
            person = _person(name, job_title=group.role)
            add(person, Contribution.Kind.CREDIT, group.role, position)
    article.contributions.all().delete()
    Contribution.objects.bulk_create(contributions.values())
    return warnings


def _write_related(article: Article, story: WireStory) -> list[str]:
    """External links as given; titles without a URL linked to the published story here of
    that headline (the latest), or left out with a warning.
    """
    warnings = []
    links = []
    for position, item in enumerate(story.related, 1):
        if item.url:
            links.append(
                RelatedLink(article=article, url=item.url, title=item.title, position=position)
            )
            continue
        target = (
            Article.objects.published()
            .exclude(pk=article.pk)
            .filter(headline__iexact=item.title)
            .order_by("-published_at", "-pk")
            .first()
        )
        if target is None:
            warnings.append(f"Related story “{item.title}” is not published here; left out.")
            continue
        links.append(RelatedLink(article=article, target=target, position=position))
    article.related_links.all().delete()
    RelatedLink.objects.bulk_create(links)
    return warnings


def _record(article: Article, story: WireStory, *, by, summary: str) -> None:
    revision = record_revision(article, by=by, summary=summary)
    revision.data["wire"] = {"fingerprint": story.fingerprint}
    revision.save(update_fields=["data"])


def _last_fingerprint(article: Article) -> str | None:
    return (
        article.revisions.filter(data__has_key="wire")
        .order_by("-number")
        .values_list("data__wire__fingerprint", flat=True)
        .first()
    )


def import_wire_story(
    story: WireStory,
    *,
    by=None,
    section: Section | None = None,
    may_update: Callable[[Article], bool] | None = None,
    may_add_source: bool = True,
) -> ImportResult:
    """Create the story as a draft, or bring its draft up to date; all or nothing.

    A new story gets the story's identity as its uuid, the headline, the paragraphs as body,
    the first one as summary, ``section`` (default: :func:`default_section`), the source and
    people matched by name or created, the credits in order, the dateline as
    ``published_at``, ``by`` as its starter, and a revision. An existing draft is updated
    (headline, body, summary, source, people, related links, dateline; never its section or
    slug) when the copy changed and ``may_update(article)`` allows; a story past draft is
    skipped. Raises :class:`WireImportError` when the story cannot be placed.
    """
    with transaction.atomic():
        article = Article.objects.select_for_update().filter(uuid=story.identity).first()
        if article is not None:
            if article.state != State.DRAFT:
                return ImportResult(
                    article,
                    Outcome.SKIPPED,
                    reason=f"already in the workflow ({article.get_state_display()})",
                )
            if _last_fingerprint(article) == story.fingerprint:
                return ImportResult(article, Outcome.UNCHANGED)
            if may_update is not None and not may_update(article):
                return ImportResult(article, Outcome.SKIPPED, reason="a draft you may not change")
            outcome, summary = Outcome.UPDATED, UPDATED
            article.version += 1
        else:
            outcome, summary = Outcome.CREATED, IMPORTED
            article = Article(
                uuid=story.identity, section=section or default_section(), created_by=by
            )
        article.headline = story.headline
        article.body = story.body_html
        article.summary = story.summary
        article.source = _source(story.source, may_add=may_add_source)
        article.published_at = story.dateline
        article.save()
        warnings = _write_people(article, story) + _write_related(article, story)
        _record(article, story, by=by, summary=summary)
    return ImportResult(article, outcome, warnings=tuple(warnings))
