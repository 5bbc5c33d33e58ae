"""Revisions of a story: snapshots of its content after every save and transition.

Our own ``Revision`` model (a JSON snapshot) rather than django-reversion: reversion restores
the whole serialised object graph, workflow state included, while a restore here must bring
back the words, bylines, links and tags and leave the story's place in the workflow (state,
publication times) exactly where the desk put it.

A snapshot records ids (what a restore needs) beside the names of the people, section, source
and linked stories at the time (what a reader of the history needs, even after a rename or a
deletion).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from html.parser import HTMLParser

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from people.models import Person

from .models import (
    Article,
    ArticleType,
    Contribution,
    Image,
    RelatedLink,
    Revision,
    Section,
    Source,
)

# The fields a restore writes back. Never state, published_at, first_published_at or the
# withdrawal notice: those belong to the workflow.
CONTENT_FIELDS = (
    "headline",
    "slug",
    "deck",
    "body",
    "summary",
    "section",
    "source",
    "article_type",
    "dateline_place",
)

RESTORE_PERMISSION = "articles.review_article"


def snapshot(article: Article) -> dict:
    """The story's content as plain data: fields, bylines, credits, related links, tags."""
    return {
        "headline": article.headline,
        "slug": article.slug,
        "deck": article.deck,
        "body": article.body,
        "summary": article.summary,
        "section": article.section_id,
        "section_name": article.section.name,
        "source": article.source_id,
        "source_name": article.source.name if article.source_id else "",
        "article_type": article.article_type,
        "dateline_place": article.dateline_place,
        "original_url": article.original_url,
        "syndication": article.syndication,
        "lead_image": article.lead_image_id,
        "lead_image_alt": article.lead_image.alt_text if article.lead_image_id else "",
        "state": article.state,
        "published_at": article.published_at.isoformat() if article.published_at else None,
        "contributions": [
            {
                "kind": c.kind,
                "person": c.person_id,
                "name": c.person.name,
                "role": c.role,
                "position": c.position,
            }
            for c in article.contributions.select_related("person").order_by(
                "kind", "position", "pk"
            )
        ],
        "related_links": [
            {
                "uuid": str(link.uuid),
                "target": link.target_id,
                "target_headline": link.target.headline if link.target_id else "",
                "url": link.url,
                "title": link.title,
                "position": link.position,
            }
            for link in article.related_links.select_related("target").order_by("position", "pk")
        ],
        "tags": sorted(article.tagged_items.values_list("tag__name", flat=True)),
    }


def record_revision(article: Article, *, by, summary: str = "") -> Revision:
    """Store the story as it is now, numbered by its version."""
    revision, _ = Revision.objects.update_or_create(
        article=article,
        number=article.version,
        defaults={"created_by": by, "summary": summary, "data": snapshot(article)},
    )
    return revision


# --- Names -----------------------------------------------------------------------------------


class _Names:
    """Display names for the ids in two snapshots.

    A snapshot carries the names of its time; older snapshots without them are looked up in
    bulk (one query per model), and what no longer exists reads "#id (deleted)".
    """

    def __init__(self, *datas: dict):
        wanted: dict[type, set[int]] = {
            Person: set(),
            Section: set(),
            Source: set(),
            Article: set(),
        }
        for data in datas:
            if data.get("section") and not data.get("section_name"):
                wanted[Section].add(data["section"])
            if data.get("source") and not data.get("source_name"):
                wanted[Source].add(data["source"])
            for c in data.get("contributions", []):
                if not c.get("name"):
                    wanted[Person].add(c["person"])
            for link in data.get("related_links", []):
                if link.get("target") and not link.get("target_headline"):
                    wanted[Article].add(link["target"])
        self._found: dict[type, dict[int, str]] = {}
        for model, ids in wanted.items():
            name_field = "headline" if model is Article else "name"
            self._found[model] = (
                dict(model.objects.filter(pk__in=ids).values_list("pk", name_field)) if ids else {}
            )

    def name(self, model: type, pk: int | None, stored: str = "") -> str:
        if pk is None:
            return ""
        return stored or self._found[model].get(pk) or f"#{pk} (deleted)"


# --- Diff ------------------------------------------------------------------------------------

# Elements that end a paragraph of text when the body is read as plain text.
_BLOCK_TAGS = frozenset(
    {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "blockquote", "pre"}
)
# Paragraphs sharing at least this share of words are shown as one edited paragraph rather
# than as one removed and one added (a soup of edits reads worse than a swap).
_SAME_PARAGRAPH_RATIO = 0.5
# Above this many paragraph pairs to weigh, replaced paragraphs are shown as removed and
# added without looking for edits (a rewrite of a very long story; keeps the page fast).
_MAX_PAIRINGS = 10_000
# Unchanged paragraphs kept around each change for context; longer runs are folded.
_CONTEXT_PARAGRAPHS = 1


class _TextBlocks(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self._buffer: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in _BLOCK_TAGS:
            self._flush()
        elif tag == "br":
            self._buffer.append(" ")

    def handle_endtag(self, tag):
        if tag in _BLOCK_TAGS:
            self._flush()

    def handle_data(self, data):
        self._buffer.append(data)

    def close(self):
        super().close()
        self._flush()

    def _flush(self):
        text = " ".join("".join(self._buffer).split())
        if text:
            self.blocks.append(text)
        self._buffer = []


def paragraphs(html: str) -> list[str]:
    """The text of each paragraph (heading, list item…) of ``html``, tags stripped."""
    parser = _TextBlocks()
    parser.feed(html or "")
    parser.close()
    return parser.blocks


def word_diff(old: str, new: str) -> SafeString:
    """``new`` with the words taken out of ``old`` in <del> and the words put in in <ins>.

    Every word is escaped: revision data is user text.
    """
    a, b = (old or "").split(), (new or "").split()
    out = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape(" ".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            out.append(f"<del>{escape(' '.join(a[i1:i2]))}</del>")
        if op in ("insert", "replace"):
            out.append(f"<ins>{escape(' '.join(b[j1:j2]))}</ins>")
    return mark_safe(" ".join(out))  # noqa: S308 - every piece is escaped above


@dataclass(frozen=True)
class ParagraphChange:
    """One row of the body diff.

    ``kind`` is ``same``, ``changed``, ``added``, ``removed``, or ``folded`` (``count``
    unchanged paragraphs left out).
    """

    kind: str
    html: SafeString = mark_safe("")  # noqa: RUF009 - an immutable empty string
    count: int = 0


@dataclass(frozen=True)
class FieldChange:
    """A changed field: text shown as ``html`` (a word diff), lists as ``items``.

    ``items`` are ``(kind, label)`` pairs in the newer order, kind ``same``, ``added`` or
    ``removed``.
    """

    name: str
    label: str
    html: SafeString | None = None
    items: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class RevisionDiff:
    old: Revision
    new: Revision
    headline: SafeString
    headline_changed: bool
    body: list[ParagraphChange]
    fields: list[FieldChange]

    @property
    def body_changed(self) -> bool:
        return any(row.kind not in ("same", "folded") for row in self.body)

    @property
    def has_changes(self) -> bool:
        return self.headline_changed or self.body_changed or bool(self.fields)


def _similarity(old: str, new: str) -> float:
    """Share of words two paragraphs have in common (0 to 1), cheap bounds first."""
    matcher = SequenceMatcher(None, old.split(), new.split(), autojunk=False)
    if matcher.real_quick_ratio() < _SAME_PARAGRAPH_RATIO:
        return 0.0
    if matcher.quick_ratio() < _SAME_PARAGRAPH_RATIO:
        return 0.0
    return matcher.ratio()


def _pair_replaced(before: list[str], after: list[str]) -> list[ParagraphChange]:
    """Rows for paragraphs replaced by others: similar ones paired as edits, in order.

    Finds, by dynamic programming, the in-order pairing of similar paragraphs with the most
    words in common, so an edited paragraph shows as an edit even when paragraphs were added
    or removed around it; the rest are removals and additions.
    """
    n, m = len(before), len(after)
    if n * m > _MAX_PAIRINGS:
        return [*map(_removed, before), *map(_added, after)]
    score = [[0.0] * (m + 1) for _ in range(n + 1)]
    similar = {}
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            best = max(score[i + 1][j], score[i][j + 1])
            ratio = _similarity(before[i], after[j])
            if ratio >= _SAME_PARAGRAPH_RATIO:
                similar[i, j] = ratio
                best = max(best, score[i + 1][j + 1] + ratio)
            score[i][j] = best
    rows: list[ParagraphChange] = []
    i = j = 0
    while i < n and j < m:
        if (i, j) in similar and score[i][j] == score[i + 1][j + 1] + similar[i, j]:
            rows.append(ParagraphChange("changed", word_diff(before[i], after[j])))
            i, j = i + 1, j + 1
        elif score[i][j] == score[i + 1][j]:
            rows.append(_removed(before[i]))
            i += 1
        else:
            rows.append(_added(after[j]))
            j += 1
    rows.extend(map(_removed, before[i:]))
    rows.extend(map(_added, after[j:]))
    return rows


def _removed(text: str) -> ParagraphChange:
    return ParagraphChange("removed", mark_safe(f"<del>{escape(text)}</del>"))  # noqa: S308


def _added(text: str) -> ParagraphChange:
    return ParagraphChange("added", mark_safe(f"<ins>{escape(text)}</ins>"))  # noqa: S308


def _body_diff(old_html: str, new_html: str) -> list[ParagraphChange]:
    old, new = paragraphs(old_html), paragraphs(new_html)
    rows: list[ParagraphChange] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            rows.extend(ParagraphChange("same", escape(text)) for text in old[i1:i2])
        elif op == "delete":
            rows.extend(_removed(text) for text in old[i1:i2])
        elif op == "insert":
            rows.extend(_added(text) for text in new[j1:j2])
        else:
            rows.extend(_pair_replaced(old[i1:i2], new[j1:j2]))
    return _fold(rows)


def _fold(rows: list[ParagraphChange]) -> list[ParagraphChange]:
    """Keep unchanged paragraphs next to a change; fold the longer runs away."""
    changed = [i for i, row in enumerate(rows) if row.kind != "same"]
    if not changed:
        return []
    keep = {
        j
        for i in changed
        for j in range(i - _CONTEXT_PARAGRAPHS, i + _CONTEXT_PARAGRAPHS + 1)
        if 0 <= j < len(rows)
    }
    folded: list[ParagraphChange] = []
    run = 0
    for i, row in enumerate(rows):
        if i in keep:
            if run:
                folded.append(ParagraphChange("folded", count=run))
                run = 0
            folded.append(row)
        else:
            run += 1
    if run:
        folded.append(ParagraphChange("folded", count=run))
    return folded


def _list_diff(old: list[tuple], new: list[tuple], labels: dict) -> list[tuple[str, str]]:
    """Items keyed for comparison, shown by label, in the newer order."""
    items = []
    for op, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            items.extend(("same", labels[key]) for key in old[i1:i2])
            continue
        if op in ("delete", "replace"):
            items.extend(("removed", labels[key]) for key in old[i1:i2])
        if op in ("insert", "replace"):
            items.extend(("added", labels[key]) for key in new[j1:j2])
    return items


def _type_label(value: str) -> str:
    return ArticleType(value).label if value in ArticleType.values else value


def _contribution_entries(data: dict, kind: str, names: _Names) -> tuple[list, dict]:
    keys, labels = [], {}
    for c in data.get("contributions", []):
        if c["kind"] != kind:
            continue
        key = (c["person"], c.get("role", ""))
        name = names.name(Person, c["person"], c.get("name", ""))
        keys.append(key)
        labels[key] = f"{name} — {c['role']}" if c.get("role") else name
    return keys, labels


def _link_entries(data: dict, names: _Names) -> tuple[list, dict]:
    keys, labels = [], {}
    for link in data.get("related_links", []):
        key = (link.get("target"), link.get("url", ""), link.get("title", ""))
        if link.get("target"):
            where = "“{}”".format(
                names.name(Article, link["target"], link.get("target_headline", ""))
            )
        else:
            where = link.get("url", "")
        title = link.get("title", "")
        keys.append(key)
        labels[key] = f"{title} → {where}" if title else where
    return keys, labels


def _field_changes(old: dict, new: dict, names: _Names) -> list[FieldChange]:
    changes: list[FieldChange] = []

    def text(name: str, label: str) -> None:
        if (old.get(name) or "") != (new.get(name) or ""):
            changes.append(FieldChange(name, label, html=word_diff(old.get(name), new.get(name))))

    def choice(name: str, label: str, show) -> None:
        if old.get(name) != new.get(name):
            a, b = show(old), show(new)
            html = " ".join(
                piece
                for piece in (
                    f"<del>{escape(a)}</del>" if a else "",
                    f"<ins>{escape(b)}</ins>" if b else "",
                )
                if piece
            )
            changes.append(FieldChange(name, label, html=mark_safe(html)))  # noqa: S308

    def listing(name: str, label: str, entries) -> None:
        (old_keys, old_labels), (new_keys, new_labels) = entries(old), entries(new)
        if old_keys != new_keys:
            items = _list_diff(old_keys, new_keys, {**old_labels, **new_labels})
            changes.append(FieldChange(name, label, items=items))

    text("deck", "Deck")
    text("summary", "Summary")
    choice(
        "section",
        "Section",
        lambda d: names.name(Section, d.get("section"), d.get("section_name", "")),
    )
    choice("article_type", "Type", lambda d: _type_label(d.get("article_type", "")))
    choice(
        "source", "Source", lambda d: names.name(Source, d.get("source"), d.get("source_name", ""))
    )
    text("dateline_place", "Dateline place")
    text("original_url", "Original URL")
    choice("syndication", "Syndication", lambda d: d.get("syndication", ""))
    choice("lead_image", "Lead image", lambda d: d.get("lead_image_alt") or "")
    text("slug", "Slug")
    listing("bylines", "Bylines", lambda d: _contribution_entries(d, "byline", names))
    listing("credits", "Credits", lambda d: _contribution_entries(d, "credit", names))
    listing("tags", "Tags", lambda d: (list(d.get("tags", [])), {t: t for t in d.get("tags", [])}))
    listing("related_links", "Related links", lambda d: _link_entries(d, names))
    return changes


def diff(old: Revision, new: Revision) -> RevisionDiff:
    """What changed from ``old`` to ``new``, ready to print; every piece of text is escaped.

    The headline is compared word by word; the body paragraph by paragraph on its text (tags
    stripped), edited paragraphs word by word; other fields are listed only when they changed.
    The revisions need not be saved (an unsaved ``Revision(data=snapshot(article))`` stands
    for the story as it is now).
    """
    a, b = old.data, new.data
    names = _Names(a, b)
    headline_changed = a.get("headline") != b.get("headline")
    return RevisionDiff(
        old=old,
        new=new,
        headline=(
            word_diff(a.get("headline"), b.get("headline"))
            if headline_changed
            else escape(b.get("headline", ""))
        ),
        headline_changed=headline_changed,
        body=_body_diff(a.get("body", ""), b.get("body", "")),
        fields=_field_changes(a, b, names),
    )


# --- Restore ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Restored:
    """The outcome of :func:`restore`: the revision it recorded and what it had to leave out."""

    revision: Revision
    notes: list[str]


def _missing(model: type, ids: set[int]) -> set[int]:
    return ids - set(model.objects.filter(pk__in=ids).values_list("pk", flat=True))


def restore(article: Article, revision: Revision, *, by) -> Restored:
    """Bring ``article``'s content back to ``revision`` and record that as a new revision.

    Writes the content fields, bylines, credits, related links and tags; never the state or
    publication times, so a live story stays live with the restored words. Bumps the version
    (open edit forms elsewhere are then refused as stale). All or nothing, with the story's
    row locked.

    Raises ``PermissionDenied`` when ``by`` may not restore, ``ValueError`` when the revision
    belongs to another story, and ``ValidationError`` naming what is gone when the section,
    source or a credited person of the revision no longer exists. A related link to a story
    deleted since is left out, with a note; so is the old address (slug) when another story
    has taken it.
    """
    if not by.has_perm(RESTORE_PERMISSION):
        raise PermissionDenied("You may not restore revisions of stories.")
    if revision.article_id != article.pk:
        raise ValueError(f"Revision {revision.number} belongs to another story.")
    data = revision.data
    notes: list[str] = []
    with transaction.atomic():
        current = Article.objects.select_for_update().get(pk=article.pk)

        problems = []
        if _missing(Section, {data["section"]}):
            problems.append(f"the section “{data.get('section_name') or data['section']}”")
        if data.get("source") and _missing(Source, {data["source"]}):
            problems.append(f"the source “{data.get('source_name') or data['source']}”")
        contributions = data.get("contributions", [])
        gone_people = _missing(Person, {c["person"] for c in contributions})
        problems.extend(
            f"the person “{c.get('name') or c['person']}”"
            for c in contributions
            if c["person"] in gone_people
        )
        if problems:
            # A person both in the byline and in the credits is named once.
            problems = list(dict.fromkeys(problems))
            raise ValidationError(
                f"Revision {revision.number} cannot be restored: {', '.join(problems)} "
                f"no longer {'exists' if len(problems) == 1 else 'exist'}."
            )

        for name in CONTENT_FIELDS:
            if name in ("section", "source"):
                setattr(current, f"{name}_id", data.get(name))
            elif name != "slug":
                setattr(current, name, data.get(name, ""))
        # Revisions recorded before these fields existed leave them as they are.
        for name in ("original_url", "syndication"):
            if name in data:
                setattr(current, name, data[name])
        if "lead_image" in data:
            image_id = data["lead_image"]
            if image_id and _missing(Image, {image_id}):
                notes.append(
                    f"Left out the lead image “{data.get('lead_image_alt') or image_id}”: "
                    "it was deleted from the library."
                )
                image_id = None
            current.lead_image_id = image_id
        slug = data.get("slug", "")
        if slug != current.slug:
            holder = Article.objects.exclude(pk=current.pk).filter(slug=slug).first()
            if holder is None:
                current.slug = slug
            else:
                notes.append(
                    f"Kept the address “{current.slug}”: “{slug}” now belongs to “{holder}”."
                )
        current.version += 1
        current.save()

        current.contributions.all().delete()
        Contribution.objects.bulk_create(
            Contribution(
                article=current,
                person_id=c["person"],
                kind=c["kind"],
                role=c.get("role", ""),
                position=c.get("position", 0),
            )
            for c in contributions
        )

        links = data.get("related_links", [])
        current.related_links.all().delete()
        targets = {link["target"] for link in links if link.get("target")}
        gone_targets = _missing(Article, targets) | ({current.pk} & targets)
        # Reuse the link's identity (its natural key) unless something else has taken it.
        wanted_uuids = {link["uuid"] for link in links if link.get("uuid")}
        taken_uuids = {
            str(u)
            for u in RelatedLink.objects.filter(uuid__in=wanted_uuids).values_list(
                "uuid", flat=True
            )
        }
        new_links = []
        for link in links:
            if link.get("target") in gone_targets:
                notes.append(
                    "Left out the related link to "
                    f"“{link.get('title') or link.get('target_headline') or link['target']}”: "
                    "that story no longer exists."
                )
                continue
            link_uuid = link.get("uuid")
            new_links.append(
                RelatedLink(
                    uuid=link_uuid if link_uuid and link_uuid not in taken_uuids else uuid.uuid4(),
                    article=current,
                    target_id=link.get("target"),
                    url=link.get("url", ""),
                    title=link.get("title", ""),
                    position=link.get("position", 0),
                )
            )
        RelatedLink.objects.bulk_create(new_links)

        # Tags are labels, not records: one deleted since comes back under its name.
        current.tags.set(data.get("tags", []))

        new_revision = record_revision(
            current, by=by, summary=f"Restored revision {revision.number}"
        )

    article.__dict__.update(
        {f.attname: getattr(current, f.attname) for f in Article._meta.concrete_fields}
    )
    article._loaded_state = current.state
    for cached in ("bylines", "credits", "credit_groups", "tag_list"):
        article.__dict__.pop(cached, None)
    article.__dict__.pop("_prefetched_objects_cache", None)
    return Restored(revision=new_revision, notes=notes)


def current_revision(article: Article) -> Revision:
    """An unsaved revision standing for the story as it is now, to compare against."""
    return Revision(article=article, number=article.version, data=snapshot(article))
