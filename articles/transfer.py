"""Moving a whole newsroom between databases: ``export_newsroom`` and ``import_newsroom``.

An export is a directory:

- one JSON file per model (``articles.article.json`` …), written with Django's serializers
  using natural keys for references and, where a model has one, for its own identity, so an
  import never depends on database ids. Rows are written in primary-key order and inserted in
  file order, so every "…, then by id" ordering (bylines at the same position, stories
  published at the same minute, events in the same second) comes out as it was. Times keep
  their microseconds (Django's JSON encoder would cut them to milliseconds);
- ``media/``: the originals and every rendition listed in ``Image.renditions``, under their
  storage names, so pages print the same ``srcset`` without remaking anything;
- ``manifest.json``: the format version, when it was made, the latest applied migrations per
  app, the number of objects per model, the media files and the sha256 of every file.

What travels: staff accounts and every account the content points at (with their password
hashes, which are portable, unless ``passwords=False``; groups by name), people, sources,
sections, tags, images, stories in every state with every field but the search document
(rebuilt after the import), bylines and credits, tags on stories, related links,
corrections, the workflow history, old addresses (redirects), preview links, flat pages (the
standards page) with their sites, and revisions when asked. Not carried: edit leases and
sessions (transient), the admin's action log (it names objects by database id).

Models without a natural key (workflow events, revisions, preview links, redirects, flat
pages) are written without their id and inserted anew: the import refuses a database that
already holds newsroom content, so nothing can be duplicated. A revision's snapshot names
the section, source, lead image, people and linked stories by database id; the export writes
their natural keys instead and the import turns them into the new ids. A snapshot pointing
at something deleted before the export is written ``{"deleted": true}`` and imported as id
-1, which no row has, so a restore says it is gone, as it would have before the move.

An import checks the manifest (format version, migrations this database has applied) and the
checksum of every file before touching anything, then loads every file in one transaction;
media files are copied into storage inside that transaction, after the rows, and removed
again if anything fails, so a failed import leaves neither rows nor files behind.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.sites.models import Site
from django.core import serializers
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, ValidationError
from django.core.files import File
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.models import Q
from django.utils import timezone

from people.models import Person

from . import search
from .images import rendition_names
from .models import (
    Article,
    Image,
    PreviewLink,
    Revision,
    Section,
    Source,
    Tag,
    WorkflowEvent,
)

FORMAT = "newsroom-export"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA_DIR = "media"
# Rows serialised at a time: bounds memory on a large newsroom.
CHUNK = 500
# Stands for a revision's reference to something deleted before the export (no row has it).
DELETED_ID = -1

# What a broken file or a reference to nothing raises while loading.
LOAD_ERRORS = (
    DeserializationError,
    DatabaseError,
    ValidationError,
    ObjectDoesNotExist,
    FieldDoesNotExist,
    LookupError,
    ValueError,
    TypeError,
)


class TransferError(Exception):
    """An export or import that cannot go ahead; the message names the file and the fix."""


@dataclass(frozen=True)
class Part:
    """One model of the export: its file, and how its rows are read."""

    label: str
    related: tuple[str, ...] = ()
    optional: bool = False
    exclude: tuple[str, ...] = ()

    @property
    def model(self):
        return apps.get_model(self.label)

    @property
    def file_name(self) -> str:
        return f"{self.label}.json"


# In load order: everything a row points at comes before it.
PARTS: tuple[Part, ...] = (
    Part("auth.group"),
    Part("auth.user"),
    Part("sites.site"),
    Part("articles.image"),
    Part("people.person", related=("photo", "user")),
    Part("articles.source"),
    Part("articles.section"),
    Part("articles.tag"),
    Part(
        "articles.article",
        related=("section", "source", "lead_image", "created_by"),
        # A PostgreSQL artefact of the other fields, rebuilt after the import.
        exclude=("search_vector",),
    ),
    Part("articles.contribution", related=("article", "person")),
    Part("articles.taggedarticle", related=("content_object", "tag")),
    Part("articles.relatedlink", related=("article", "target")),
    Part("articles.correction", related=("article",)),
    Part("articles.workflowevent", related=("article", "by")),
    Part("articles.articleredirect", related=("article",)),
    Part("articles.previewlink", related=("article", "created_by")),
    Part("flatpages.flatpage"),
    Part("articles.revision", related=("article", "created_by"), optional=True),
)
PARTS_BY_LABEL = {part.label: part for part in PARTS}

# The newsroom's own content: an import goes only into a database holding none of it.
CONTENT_MODELS = (Article, Person, Section, Source, Tag, Image)
# Parts whose rows an import may find already there (made by migrations or by hand).
SHARED_PARTS = frozenset({"auth.group", "auth.user", "sites.site", "flatpages.flatpage"})

# References in a revision snapshot: key -> model, at the top level of the data…
REVISION_REFERENCES = {"section": Section, "source": Source, "lead_image": Image}
# …and in its lists of bylines and credits, and of related links.
REVISION_LIST_REFERENCES = {
    "contributions": ("person", Person),
    "related_links": ("target", Article),
}
# The field holding the natural key of each model a snapshot names.
REVISION_KEY_FIELDS = {
    Section: "slug",
    Source: "slug",
    Person: "slug",
    Image: "uuid",
    Article: "uuid",
}


@dataclass
class ExportResult:
    directory: Path
    counts: dict[str, int]
    media: int
    media_missing: list[str]


@dataclass
class ImportResult:
    counts: dict[str, int]
    media: int
    skipped: dict[str, int] = field(default_factory=dict)
    search_documents: int = 0
    warnings: list[str] = field(default_factory=list)


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def summary(counts: dict[str, int], media: int) -> str:
    """What moved, for people: "3 stories, 5 people, 2 images (24 media files), 4 accounts"."""
    parts = [
        _plural(counts.get("articles.article", 0), "story", "stories"),
        _plural(counts.get("people.person", 0), "person", "people"),
        _plural(counts.get("articles.image", 0), "image", "images")
        + f" ({_plural(media, 'media file', 'media files')})",
        _plural(counts.get("auth.user", 0), "account", "accounts"),
    ]
    if "articles.revision" in counts:
        parts.append(_plural(counts["articles.revision"], "revision", "revisions"))
    return ", ".join(parts[:-1]) + " and " + parts[-1]


class _Encoder(DjangoJSONEncoder):
    """Django's encoder, but keeping every microsecond of a time (it keeps milliseconds)."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def _dumps(value) -> str:
    return json.dumps(value, cls=_Encoder, ensure_ascii=False, sort_keys=True)


class _HashingWriter:
    """Writes a file and its sha256 as it goes."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("wb")
        self._hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self._file.write(data)
        self._hash.update(data)
        self.size += len(data)

    def close(self) -> dict:
        self._file.close()
        return {"sha256": self._hash.hexdigest(), "bytes": self.size}


def _sha256_of(stream) -> str:
    digest = hashlib.sha256()
    for block in iter(lambda: stream.read(1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def migration_state(using: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    """The latest applied migration(s) of each app: {"articles": ["0007_roles_…"], …}."""
    loader = MigrationLoader(connections[using], ignore_no_migrations=True)
    applied = set(loader.applied_migrations)
    state: dict[str, list[str]] = {}
    for key in applied:
        node = loader.graph.node_map.get(key)
        if node is None:
            # Recorded as applied but no longer in the code (squashed away).
            continue
        if not any(child.key in applied and child.key[0] == key[0] for child in node.children):
            state.setdefault(key[0], []).append(key[1])
    return {app: sorted(names) for app, names in sorted(state.items())}


# --- Export ----------------------------------------------------------------------------------


def _referenced_user_ids(using: str, with_revisions: bool) -> set[int]:
    references = [
        (Article, "created_by"),
        (WorkflowEvent, "by"),
        (PreviewLink, "created_by"),
        (Person, "user"),
    ]
    if with_revisions:
        references.append((Revision, "created_by"))
    ids: set[int] = set()
    for model, name in references:
        ids.update(
            model.objects.using(using)
            .filter(**{f"{name}__isnull": False})
            .values_list(name, flat=True)
            .distinct()
        )
    return ids


def _queryset(part: Part, using: str, *, user_ids: set[int]):
    model = part.model
    queryset = model._default_manager.using(using).order_by("pk")
    if part.related:
        queryset = queryset.select_related(*part.related)
    if part.label == "auth.user":
        queryset = queryset.filter(Q(is_staff=True) | Q(is_superuser=True) | Q(pk__in=user_ids))
    return queryset


def _natural_key_maps(using: str) -> dict[type, dict[int, tuple[str]]]:
    """Database id -> natural key of everything a revision snapshot can name."""
    return {
        model: {pk: (str(key),) for pk, key in model.objects.using(using).values_list("pk", name)}
        for model, name in REVISION_KEY_FIELDS.items()
    }


def _reference_out(value, keys: dict[int, tuple[str]]):
    if value is None:
        return None
    key = keys.get(value) if isinstance(value, int) else None
    return list(key) if key is not None else {"deleted": True}


def revision_data_out(data: dict, maps: dict[type, dict[int, tuple[str]]]) -> dict:
    """A snapshot with its database ids replaced by natural keys (``{"deleted": true}`` for
    what no longer exists)."""
    data = dict(data)
    for name, model in REVISION_REFERENCES.items():
        if name in data:
            data[name] = _reference_out(data[name], maps[model])
    for list_name, (name, model) in REVISION_LIST_REFERENCES.items():
        if isinstance(data.get(list_name), list):
            data[list_name] = [
                {**item, name: _reference_out(item.get(name), maps[model])}
                if isinstance(item, dict) and name in item
                else item
                for item in data[list_name]
            ]
    return data


def _serialised(part: Part, queryset, *, passwords: bool, maps) -> Iterator[dict]:
    model = part.model
    names = [
        f.name
        for f in (*model._meta.local_fields, *model._meta.local_many_to_many)
        if f.serialize and f.name not in part.exclude
    ]
    many_to_many = [f.name for f in model._meta.many_to_many if f.name in names]
    keeps_pk = not hasattr(model, "natural_key")
    for chunk in _chunks(queryset.iterator(chunk_size=CHUNK), CHUNK):
        for obj in serializers.serialize(
            "python",
            chunk,
            fields=names,
            use_natural_foreign_keys=True,
            use_natural_primary_keys=True,
        ):
            if keeps_pk:
                # Ids mean nothing in another database: such rows are inserted anew.
                del obj["pk"]
            fields = obj["fields"]
            for name in many_to_many:
                # A set, not a list: the order a database returns it in is its own.
                fields[name] = sorted(fields[name], key=_dumps)
            if part.label == "auth.user" and not passwords:
                fields["password"] = UNUSABLE_PASSWORD_PREFIX
            if part.label == "articles.revision":
                fields["data"] = revision_data_out(fields["data"], maps)
            yield obj


def _media_names(using: str) -> list[str]:
    names: set[str] = set()
    for file_name, renditions in Image.objects.using(using).values_list("file", "renditions"):
        if file_name:
            names.add(file_name)
        names.update(rendition_names(renditions))
    return sorted(names)


def export_newsroom(
    directory: str | os.PathLike,
    *,
    with_revisions: bool = False,
    passwords: bool = True,
    using: str = DEFAULT_DB_ALIAS,
) -> ExportResult:
    """Write the newsroom to ``directory`` (new, or empty); see the module docstring.

    Everything is read in one transaction (a consistent snapshot on PostgreSQL) and written
    to a temporary directory beside ``directory``, renamed into place at the end: an
    interrupted export leaves no half-written directory behind. Media files missing from
    storage are listed in the manifest and in the result, not fatal.
    """
    target = Path(directory)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise TransferError(f"{target} already exists and is not an empty directory.")
    target.parent.mkdir(parents=True, exist_ok=True)
    # mkdtemp makes it readable by its owner only: the export holds password hashes.
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    try:
        result = _write_export(
            work, with_revisions=with_revisions, passwords=passwords, using=using
        )
        if target.exists():
            target.rmdir()
        work.rename(target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    result.directory = target
    return result


def _write_export(work: Path, *, with_revisions: bool, passwords: bool, using: str):
    connection = connections[using]
    files: dict[str, dict] = {}
    models: list[dict] = []
    counts: dict[str, int] = {}
    fresh_transaction = not connection.in_atomic_block
    with transaction.atomic(using=using):
        if fresh_transaction and connection.vendor == "postgresql":
            # Every query of the export sees the database as it was at the first one.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        user_ids = _referenced_user_ids(using, with_revisions)
        maps = _natural_key_maps(using) if with_revisions else {}
        for part in PARTS:
            if part.optional and not with_revisions:
                continue
            writer = _HashingWriter(work / part.file_name)
            count = 0
            writer.write(b"[")
            for obj in _serialised(
                part, _queryset(part, using, user_ids=user_ids), passwords=passwords, maps=maps
            ):
                writer.write(("\n" if count == 0 else ",\n").encode() + _dumps(obj).encode())
                count += 1
            writer.write(b"\n]\n")
            files[part.file_name] = writer.close()
            models.append({"model": part.label, "file": part.file_name, "count": count})
            counts[part.label] = count
        media_names = _media_names(using)
        state = migration_state(using)
        site = Site.objects.db_manager(using).get_current()
        site_domain = site.domain

    storage = Image._meta.get_field("file").storage
    copied: list[str] = []
    missing: list[str] = []
    for name in media_names:
        try:
            with storage.open(name, "rb") as source:
                writer = _HashingWriter(work / MEDIA_DIR / _safe_media_name(name))
                for block in iter(lambda s=source: s.read(1 << 20), b""):
                    writer.write(block)
                files[f"{MEDIA_DIR}/{name}"] = writer.close()
        except FileNotFoundError:
            missing.append(name)
            continue
        copied.append(name)

    manifest = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "created_at": timezone.now().isoformat(),
        "migrations": state,
        "site_domain": site_domain,
        "with_revisions": with_revisions,
        "passwords": passwords,
        "models": models,
        "media": copied,
        "media_missing": missing,
        "files": dict(sorted(files.items())),
    }
    (work / MANIFEST).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return ExportResult(directory=work, counts=counts, media=len(copied), media_missing=missing)


def _safe_media_name(name: str) -> PurePosixPath:
    """``name`` as a path under a directory, refusing anything that would leave it."""
    path = PurePosixPath(name)
    if not name or "\\" in name or "\x00" in name or path.is_absolute() or ".." in path.parts:
        raise TransferError(f"Refusing the media file name “{name}”: not a plain relative path.")
    return path


# --- Import ----------------------------------------------------------------------------------


def _read_manifest(directory: Path) -> dict:
    path = directory / MANIFEST
    if not directory.is_dir():
        raise TransferError(f"{directory} is not a directory.")
    if not path.is_file():
        raise TransferError(f"{directory} has no {MANIFEST}: it is not a newsroom export.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TransferError(f"{MANIFEST}: cannot be read ({exc}).") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise TransferError(f"{MANIFEST}: not the manifest of a newsroom export.")
    if manifest.get("version") != FORMAT_VERSION:
        raise TransferError(
            f"{MANIFEST}: export format version {manifest.get('version')!r} is not one this "
            f"version of the newsroom reads (it reads version {FORMAT_VERSION}). Import it "
            "with the version that made it."
        )
    expected = {
        "migrations": dict,
        "site_domain": str,
        "models": list,
        "media": list,
        "media_missing": list,
        "files": dict,
    }
    for key, kind in expected.items():
        if not isinstance(manifest.get(key), kind):
            raise TransferError(f"{MANIFEST}: “{key}” is missing or malformed.")
    return manifest


def _check_migrations(manifest: dict, using: str) -> None:
    loader = MigrationLoader(connections[using], ignore_no_migrations=True)
    applied = set(loader.applied_migrations)
    missing = [
        f"{app}.{name}"
        for app, names in manifest["migrations"].items()
        for name in (names if isinstance(names, list) else [names])
        if (app, name) not in applied
    ]
    if missing:
        raise TransferError(
            f"{MANIFEST}: the export was made at migrations this database has not applied "
            f"({', '.join(missing)}). Run `manage.py migrate` with the code that made the "
            "export (or newer) first."
        )


def _parts_of(manifest: dict) -> list[tuple[Part, int]]:
    listed: dict[str, int] = {}
    for entry in manifest["models"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("count"), int):
            raise TransferError(f"{MANIFEST}: malformed entry in “models”: {entry!r}.")
        label = entry.get("model")
        part = PARTS_BY_LABEL.get(label)
        if part is None:
            raise TransferError(
                f"{MANIFEST}: unknown model “{label}” (made by a newer version of the newsroom?)."
            )
        if entry.get("file") != part.file_name:
            raise TransferError(f"{MANIFEST}: “{label}” should be in {part.file_name}.")
        listed[label] = entry["count"]
    absent = [p.label for p in PARTS if not p.optional and p.label not in listed]
    if absent:
        raise TransferError(f"{MANIFEST}: the export lacks {', '.join(absent)}.")
    return [(part, listed[part.label]) for part in PARTS if part.label in listed]


def _verify_files(directory: Path, manifest: dict, parts: list[tuple[Part, int]]) -> None:
    """Every listed file is there with its checksum; every model file and media is listed."""
    files = manifest["files"]
    for part, _ in parts:
        if part.file_name not in files:
            raise TransferError(f"{MANIFEST}: {part.file_name} has no checksum.")
    for name in manifest["media"]:
        if not isinstance(name, str):
            raise TransferError(f"{MANIFEST}: malformed media name {name!r}.")
        _safe_media_name(name)
        if f"{MEDIA_DIR}/{name}" not in files:
            raise TransferError(f"{MANIFEST}: {MEDIA_DIR}/{name} has no checksum.")
    for name, entry in files.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
            raise TransferError(f"{MANIFEST}: malformed checksum entry for {name}.")
        path = directory / _safe_media_name(name)
        try:
            with path.open("rb") as stream:
                digest = _sha256_of(stream)
        except FileNotFoundError:
            raise TransferError(f"{name}: listed in {MANIFEST} but missing.") from None
        except OSError as exc:
            raise TransferError(f"{name}: cannot be read ({exc}).") from exc
        if digest != entry["sha256"]:
            raise TransferError(
                f"{name}: checksum mismatch: the file changed or was damaged since the export."
            )


def _read_objects(directory: Path, part: Part, count: int) -> list[dict]:
    name = part.file_name
    try:
        objects = json.loads((directory / name).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TransferError(f"{name}: not valid JSON ({exc}).") from exc
    if not isinstance(objects, list):
        raise TransferError(f"{name}: expected a list of objects.")
    for number, obj in enumerate(objects, 1):
        if (
            not isinstance(obj, dict)
            or obj.get("model") != part.label
            or not isinstance(obj.get("fields"), dict)
        ):
            raise TransferError(f"{name}: object {number} is not a {part.label} object.")
    if len(objects) != count:
        raise TransferError(
            f"{name}: holds {len(objects)} objects where {MANIFEST} counts {count}."
        )
    return objects


def _describe(obj: dict) -> str:
    fields = obj.get("fields", {})
    for key in ("uuid", "slug", "username", "name", "domain", "url", "old_path", "article"):
        if fields.get(key):
            return f"{key} {fields[key]!r}"
    return ""


def _check_empty(using: str) -> None:
    found = [
        f"{count} {model._meta.verbose_name_plural}"
        for model in CONTENT_MODELS
        if (count := model._default_manager.using(using).count())
    ]
    if found:
        raise TransferError(
            f"This database already holds newsroom content ({', '.join(found)}). Import into "
            "a freshly migrated, empty database: an import never merges two newsrooms."
        )


class _Importer:
    def __init__(self, directory: Path, manifest: dict, using: str):
        self.directory = directory
        self.manifest = manifest
        self.using = using
        self.counts: dict[str, int] = {}
        self.skipped: dict[str, int] = {}
        self.target_domain = Site.objects.db_manager(using).get_current().domain

    def load(self, part: Part, objects: list[dict]) -> None:
        prepare = getattr(self, f"_prepare_{part.label.replace('.', '_')}", None)
        if prepare is not None:
            objects = prepare(objects)
        stream = serializers.deserialize("python", objects, using=self.using)
        number = 0
        while True:
            number += 1
            try:
                deserialized = next(stream)
            except StopIteration:
                break
            except LOAD_ERRORS as exc:
                raise self._error(part, objects, number, exc) from exc
            try:
                fix = getattr(self, f"_fix_{part.label.replace('.', '_')}", None)
                if fix is not None:
                    fix(deserialized)
                deserialized.save(using=self.using)
            except LOAD_ERRORS as exc:
                raise self._error(part, objects, number, exc) from exc
        self.counts[part.label] = len(objects)

    def _error(self, part: Part, objects: list[dict], number: int, exc) -> TransferError:
        described = _describe(objects[number - 1]) if number <= len(objects) else ""
        where = f"object {number}" + (f" ({described})" if described else "")
        return TransferError(f"{part.file_name}: {where}: {exc}")

    # Per-part adjustments, looked up by name.

    def _prepare_auth_group(self, objects: list[dict]) -> list[dict]:
        # The roles come from this database's migrations, with the permissions of its code.
        Group = apps.get_model("auth.group")
        existing = set(Group.objects.using(self.using).values_list("name", flat=True))
        kept = [obj for obj in objects if obj["fields"].get("name") not in existing]
        self.skipped["auth.group"] = len(objects) - len(kept)
        return kept

    def _prepare_auth_user(self, objects: list[dict]) -> list[dict]:
        User = get_user_model()
        names = [obj["fields"].get(User.USERNAME_FIELD) for obj in objects]
        taken = sorted(
            User._default_manager.using(self.using)
            .filter(**{f"{User.USERNAME_FIELD}__in": names})
            .values_list(User.USERNAME_FIELD, flat=True)
        )
        if taken:
            raise TransferError(
                f"auth.user.json: this database already has the account(s) {', '.join(taken)}; "
                "an import never overwrites accounts. Remove them or import elsewhere."
            )
        return objects

    def _prepare_sites_site(self, objects: list[dict]) -> list[dict]:
        # The export's own site is this database's site (set by migrate from
        # NEWSROOM_DOMAIN); other sites are added when missing.
        existing = set(Site.objects.using(self.using).values_list("domain", flat=True))
        kept = [
            obj
            for obj in objects
            if obj["fields"].get("domain") not in existing | {self.manifest["site_domain"]}
        ]
        self.skipped["sites.site"] = len(objects) - len(kept)
        return kept

    def _prepare_flatpages_flatpage(self, objects: list[dict]) -> list[dict]:
        source = [self.manifest["site_domain"]]
        for obj in objects:
            sites = obj["fields"].get("sites")
            if isinstance(sites, list):
                obj["fields"]["sites"] = [
                    [self.target_domain] if site == source else site for site in sites
                ]
        return objects

    def _fix_flatpages_flatpage(self, deserialized) -> None:
        # A page at the same address (the standards page migrate made) is replaced.
        FlatPage = apps.get_model("flatpages.flatpage")
        page = deserialized.object
        existing = FlatPage.objects.using(self.using).filter(url=page.url).order_by("pk").first()
        if existing is not None:
            page.pk = existing.pk

    def _prepare_articles_revision(self, objects: list[dict]) -> list[dict]:
        maps = {
            model: {key: pk for pk, key in keys.items()}
            for model, keys in _natural_key_maps(self.using).items()
        }
        for number, obj in enumerate(objects, 1):
            data = obj["fields"].get("data")
            if not isinstance(data, dict):
                raise TransferError(f"articles.revision.json: object {number}: no snapshot data.")
            try:
                obj["fields"]["data"] = revision_data_in(data, maps)
            except KeyError as exc:
                raise TransferError(
                    f"articles.revision.json: object {number} ({_describe(obj)}): {exc.args[0]}"
                ) from None
        return objects

    def check_counts(self, parts: list[tuple[Part, int]]) -> None:
        """Each model holds as many rows as the export: no two objects became one."""
        for part, count in parts:
            if part.label in SHARED_PARTS:
                continue
            stored = part.model._default_manager.using(self.using).count()
            if stored != count:
                raise TransferError(
                    f"{part.file_name}: {count} objects were loaded as {stored} rows (two "
                    "objects share a natural key?)."
                )

    def check_media(self) -> None:
        """Every file an image row names is in the export (or was already missing there)."""
        known = set(self.manifest["media"]) | set(self.manifest["media_missing"])
        for uuid, file_name, renditions in Image.objects.using(self.using).values_list(
            "uuid", "file", "renditions"
        ):
            names = rendition_names(renditions) | ({file_name} if file_name else set())
            absent = sorted(names - known)
            if absent:
                raise TransferError(
                    f"articles.image.json: image {uuid} names files that are not in the "
                    f"export: {', '.join(absent)}."
                )

    def copy_media(self, created: list[str]) -> None:
        """Copy the media into storage, appending each file made to ``created``."""
        storage = Image._meta.get_field("file").storage
        files = self.manifest["files"]
        for name in self.manifest["media"]:
            listed = f"{MEDIA_DIR}/{name}"
            if storage.exists(name):
                with storage.open(name, "rb") as stored:
                    same = _sha256_of(stored) == files[listed]["sha256"]
                if same:
                    continue
                raise TransferError(
                    f"{listed}: storage already holds a different file named {name}; move it "
                    "away or import into an empty media directory."
                )
            with (self.directory / MEDIA_DIR / _safe_media_name(name)).open("rb") as source:
                saved = storage.save(name, File(source, name=name))
            created.append(saved)
            if saved != name:
                raise TransferError(f"{listed}: storage saved it as {saved}, not {name}.")


def revision_data_in(data: dict, maps: dict[type, dict[tuple, int]]) -> dict:
    """A snapshot from an export with natural keys turned into this database's ids.

    Raises ``KeyError`` naming a natural key that is not in this database.
    """

    def resolve(value, model, where: str):
        if value is None:
            return None
        if isinstance(value, dict) and value.get("deleted"):
            return DELETED_ID
        if isinstance(value, list):
            pk = maps[model].get(tuple(value))
            if pk is not None:
                return pk
        raise KeyError(
            f"its snapshot's {where} {value!r} is no {model._meta.verbose_name} of the export"
        )

    data = dict(data)
    for name, model in REVISION_REFERENCES.items():
        if name in data:
            data[name] = resolve(data[name], model, name)
    for list_name, (name, model) in REVISION_LIST_REFERENCES.items():
        if isinstance(data.get(list_name), list):
            data[list_name] = [
                {**item, name: resolve(item.get(name), model, f"{list_name} {name}")}
                if isinstance(item, dict) and name in item
                else item
                for item in data[list_name]
            ]
    return data


def import_newsroom(
    directory: str | os.PathLike, *, using: str = DEFAULT_DB_ALIAS
) -> ImportResult:
    """Load an export made by :func:`export_newsroom` into this (empty) database.

    All or nothing: raises :class:`TransferError` naming the file at fault, with the
    database and the media storage as they were. The search documents are rebuilt after the
    load commits.
    """
    directory = Path(directory)
    manifest = _read_manifest(directory)
    _check_migrations(manifest, using)
    parts = _parts_of(manifest)
    _verify_files(directory, manifest, parts)

    importer = _Importer(directory, manifest, using)
    created: list[str] = []
    try:
        with transaction.atomic(using=using):
            _check_empty(using)
            for part, count in parts:
                importer.load(part, _read_objects(directory, part, count))
            importer.check_counts(parts)
            importer.check_media()
            try:
                connections[using].check_constraints()
            except DatabaseError as exc:
                raise TransferError(f"The loaded rows break a database constraint: {exc}") from exc
            importer.copy_media(created)
    except BaseException:
        storage = Image._meta.get_field("file").storage
        for name in created:
            storage.delete(name)
        raise
    result = ImportResult(counts=importer.counts, media=len(created), skipped=importer.skipped)
    try:
        result.search_documents = search.update_search_vector(using=using)
    except DatabaseError as exc:
        # The newsroom is in; only the search index lags, and its own command repairs it.
        result.warnings.append(
            f"The search index was not rebuilt ({exc}); run `manage.py rebuild_search_index`."
        )
    return result
