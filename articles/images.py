"""Images: what an upload must be, what is kept of it, and the renditions pages serve.

- ``prepare_upload(file)`` checks an upload before anything is written to storage and returns
  the file to store: a JPEG, PNG, WebP or GIF that Pillow decodes in full, within
  ``NEWSROOM_IMAGE_MAX_BYTES`` and ``NEWSROOM_IMAGE_MAX_PIXELS`` (checked from the header,
  before decoding), upright (EXIF orientation applied), without location or other personal
  metadata, named with the extension of its real format. Anything else is a
  ``ValidationError`` whose message tells the editor what to do.
- ``RENDITION_SETS`` name the crops pages use ("lead" 16:9, "card" 3:2, "square" 1:1, "full"
  uncropped), each at several widths, in WebP and JPEG, cropped around the focal point and
  never upscaled. ``ensure_renditions(image)`` makes the missing or stale ones and records
  their storage names in ``Image.renditions``, so a page prints ``srcset`` from the row alone.
- The receivers at the bottom keep storage in step with the rows, after commit: renditions are
  made when an image is saved with a new file or focal point, and files are deleted with the
  image (or when its file is replaced).

Animated GIFs (and animated WebP or PNG) keep their animation in the stored original; their
renditions are stills of the first frame, as pages show them at fixed sizes beside text.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
from dataclasses import dataclass
from functools import lru_cache, partial
from io import BytesIO
from pathlib import PurePath
from urllib.parse import urljoin

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.template.defaultfilters import filesizeformat
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from PIL import ExifTags, ImageCms, ImageOps, ImageSequence, UnidentifiedImageError
from PIL import Image as PILImage

from newsroom.slugs import slugify

from .models import Image

logger = logging.getLogger(__name__)

# Pillow's format name -> extension of the stored file. MPO is how Pillow names a JPEG that
# carries extra pictures (phones' depth and HDR maps); only its main picture is kept, as JPEG.
ACCEPTED_FORMATS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
# The Pillow parsers tried on an upload (the JPEG one also opens MPO): nothing else reads
# untrusted bytes.
OPENED_FORMATS = ["JPEG", "PNG", "WEBP", "GIF"]
ACCEPTED_NAMES = "JPEG, PNG, WebP or GIF"
# For the upload field's file picker.
ACCEPT_ATTRIBUTE = "image/jpeg,image/png,image/webp,image/gif"

# What Pillow raises on a malformed or truncated file while reading or decoding it.
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, PILImage.DecompressionBombError)

# The EXIF tags an original keeps: who made it and what it shows. Location (the GPS IFD),
# camera serial numbers, maker notes and everything else are dropped.
KEPT_EXIF_TAGS = (
    ExifTags.Base.ImageDescription,
    ExifTags.Base.Artist,
    ExifTags.Base.Copyright,
    ExifTags.Base.DateTime,
)

# Originals re-encoded to drop metadata or turn upright: close to the source, as renditions
# are made from them.
ORIGINAL_JPEG_QUALITY = 92
ORIGINAL_WEBP_QUALITY = 90
RENDITION_JPEG_QUALITY = 82
RENDITION_WEBP_QUALITY = 80

# The marker of an XMP packet in a GIF (an application extension); Pillow neither reads nor
# writes it, so a GIF carrying one is re-saved without it.
GIF_XMP_MARKER = b"XMP DataXMP"


def _refusal(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:.0f} megapixels"


def _looks_like_svg(head: bytes) -> bool:
    text = head.lstrip().lower()
    return text.startswith(b"<") and b"<svg" in text


def upload_requirements() -> str:
    """What an upload must be, in the editor's words (the upload field's help text)."""
    return (
        f"{ACCEPTED_NAMES}, at most {filesizeformat(settings.NEWSROOM_IMAGE_MAX_BYTES)} and "
        f"{_megapixels(settings.NEWSROOM_IMAGE_MAX_PIXELS)}. Location and camera details are "
        "removed and photos turned upright before the file is stored."
    )


def normalised_name(name: str, image_format: str) -> str:
    """A short ASCII file name ending with the extension of the file's real format."""
    stem = slugify(PurePath(name or "").stem, max_length=60, fallback="image")
    return f"{stem}.{ACCEPTED_FORMATS[image_format]}"


def prepare_upload(upload: File) -> ContentFile:
    """The file to store for ``upload``, or a ``ValidationError`` saying why it is refused.

    Nothing is written to storage here. The pixel limit is checked from the header, so a
    small file claiming a huge picture is refused without allocating it; the picture is then
    decoded in full (every frame of an animation), so truncated or corrupt files are refused
    too. The returned copy carries no GPS or other personal metadata and is upright.
    """
    max_bytes = settings.NEWSROOM_IMAGE_MAX_BYTES
    if upload.size is not None and upload.size > max_bytes:
        raise _refusal(
            f"This file is {filesizeformat(upload.size)}; images may be at most "
            f"{filesizeformat(max_bytes)}. Export a smaller JPEG and try again.",
            "file_too_large",
        )
    upload.seek(0)
    # Bounded by the size check: the declared size of an upload is the bytes received.
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _refusal(f"Images may be at most {filesizeformat(max_bytes)}.", "file_too_large")
    if _looks_like_svg(data[:4096]):
        raise _refusal(
            "SVG files are not accepted (they can carry scripts). "
            f"Upload a {ACCEPTED_NAMES} export of the graphic instead.",
            "svg",
        )
    not_readable = _refusal(
        f"This file is not a readable image. Upload a {ACCEPTED_NAMES} file.", "unreadable"
    )
    try:
        with PILImage.open(BytesIO(data), formats=OPENED_FORMATS) as img:
            _check_pixels(img)
            for frame in ImageSequence.Iterator(img) if _is_animated(img) else [img]:
                frame.load()
            img.seek(0)
            cleaned = _without_metadata(img, data)
            image_format = img.format
    except UnidentifiedImageError:
        raise _refusal(
            f"This file is not a {ACCEPTED_NAMES} image. Upload a photo or graphic in one "
            "of those formats.",
            "not_an_image",
        ) from None
    except (PILImage.DecompressionBombWarning, PILImage.DecompressionBombError):
        # Pillow's own guard, whose threshold is above ours (its warning is raised where
        # warnings are errors): the header claims too many pixels for us as well.
        raise _too_many_pixels(None) from None
    except DECODE_ERRORS:
        raise not_readable from None
    return ContentFile(cleaned, name=normalised_name(upload.name, image_format))


def _is_animated(img: PILImage.Image) -> bool:
    # An MPO's extra frames are other pictures (depth, HDR), not an animation: only the
    # first one is decoded and kept.
    return img.format != "MPO" and getattr(img, "is_animated", False)


def _check_pixels(img: PILImage.Image) -> None:
    frames = img.n_frames if _is_animated(img) else 1
    if img.width * img.height * frames > settings.NEWSROOM_IMAGE_MAX_PIXELS:
        raise _too_many_pixels(img, frames)


def _too_many_pixels(img: PILImage.Image | None, frames: int = 1) -> ValidationError:
    limit = _megapixels(settings.NEWSROOM_IMAGE_MAX_PIXELS)
    if img is None:
        return _refusal(
            f"This image has too many pixels; the limit is {limit}. Resize it and try again.",
            "too_many_pixels",
        )
    size = f"{img.width:,} by {img.height:,} pixels"
    if frames > 1:
        size += f" in {frames} frames"
    return _refusal(
        f"This image is {size} ({_megapixels(img.width * img.height * frames)}); the limit "
        f"is {limit}. Resize it and try again.",
        "too_many_pixels",
    )


def _kept_exif(exif: PILImage.Exif) -> PILImage.Exif:
    kept = PILImage.Exif()
    for tag in KEPT_EXIF_TAGS:
        if tag in exif:
            kept[tag] = exif[tag]
    return kept


def _without_metadata(img: PILImage.Image, data: bytes) -> bytes:
    """The bytes to store: ``data`` itself when it carries nothing to remove, else a copy.

    A JPEG is always re-encoded, since its metadata hides in many places (APP segments,
    comments, pictures appended after the image); with its own quantisation tables when it
    needs no turning, so the copy is as close to the upload as a re-encode gets. PNG and WebP
    are re-encoded only when they carry EXIF, XMP or text, a GIF only when it carries XMP.
    """
    exif = img.getexif()
    orientation = exif.get(ExifTags.Base.Orientation, 1)
    kept = _kept_exif(exif)
    fmt = img.format
    animated = _is_animated(img)
    if fmt == "GIF":
        if GIF_XMP_MARKER not in data:
            return data
        out = BytesIO()
        img.save(out, "GIF", save_all=animated)
        return out.getvalue()
    if fmt in {"PNG", "WEBP"} and not (
        len(exif) or img.info.get("xmp") or (fmt == "PNG" and getattr(img, "text", None))
    ):
        return data
    # Turning an animation would turn its first frame only; animations stay as they are.
    upright = img if animated or orientation == 1 else ImageOps.exif_transpose(img)
    params: dict = {"exif": kept.tobytes() if len(kept) else b""}
    if icc := img.info.get("icc_profile"):
        params["icc_profile"] = icc
    out = BytesIO()
    if fmt in {"JPEG", "MPO"}:
        if upright is img and fmt == "JPEG":
            params.update(quality="keep", subsampling="keep")
        else:
            params["quality"] = ORIGINAL_JPEG_QUALITY
        params["progressive"] = bool(img.info.get("progressive") or img.info.get("progression"))
        # An empty comment: Pillow would otherwise copy the original's COM segment.
        upright.save(out, "JPEG", comment=b"", **params)
    elif fmt == "WEBP":
        upright.save(out, "WEBP", quality=ORIGINAL_WEBP_QUALITY, save_all=animated, **params)
    else:
        upright.save(out, "PNG", save_all=animated, **params)
    return out.getvalue()


# --- Renditions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RenditionSet:
    """A named crop at several widths, and how pages print it by default.

    ``ratio`` is width:height, or ``None`` to keep the whole picture. ``src_width`` is the
    width of the ``<img src>`` for browsers that ignore ``srcset``. ``priority`` marks an
    image seen first on its page: loaded eagerly, with high fetch priority.
    """

    name: str
    ratio: tuple[int, int] | None
    widths: tuple[int, ...]
    src_width: int
    sizes: str
    priority: bool = False


RENDITION_SETS: dict[str, RenditionSet] = {
    spec.name: spec
    for spec in (
        # The story column is 42rem wide, less the page's 1rem gutters on small screens.
        RenditionSet(
            "lead",
            (16, 9),
            (480, 800, 1200, 1600),
            800,
            "(min-width: 44rem) 42rem, calc(100vw - 2rem)",
            priority=True,
        ),
        RenditionSet("card", (3, 2), (320, 640), 320, "(min-width: 40rem) 20rem, 100vw"),
        RenditionSet("square", (1, 1), (160, 320, 480), 160, "8rem"),
        RenditionSet("full", None, (480, 960), 480, "(min-width: 44rem) 42rem, 100vw"),
    )
}

# (key in Image.renditions, Pillow format, file extension, MIME type); WebP first, as
# browsers take the first <source> they support.
RENDITION_FORMATS = (
    ("webp", "WEBP", "webp", "image/webp"),
    ("jpeg", "JPEG", "jpg", "image/jpeg"),
)

# Bump when the way renditions are made changes, to have make_renditions remake them all.
RENDITION_VERSION = 1


def crop_box(
    width: int, height: int, ratio: tuple[int, int] | None, focal: tuple[float, float]
) -> tuple[int, int, int, int]:
    """The largest box of ``ratio`` within the picture, centred on ``focal`` where it can be.

    ``focal`` is (x, y) in 0..1 of the width and height. Near an edge the box stops at the
    edge, so the focal point is as central as the picture allows.
    """
    if ratio is None:
        return (0, 0, width, height)
    rw, rh = ratio
    if width * rh > height * rw:
        crop_w, crop_h = max(1, min(width, round(height * rw / rh))), height
    else:
        crop_w, crop_h = width, max(1, min(height, round(width * rh / rw)))
    fx, fy = (min(max(v, 0.0), 1.0) for v in focal)
    left = min(max(round(fx * width - crop_w / 2), 0), width - crop_w)
    top = min(max(round(fy * height - crop_h / 2), 0), height - crop_h)
    return (left, top, left + crop_w, top + crop_h)


def rendition_sizes(
    width: int, height: int, spec: RenditionSet, focal: tuple[float, float]
) -> list[tuple[int, int]]:
    """The (width, height) of each rendition of ``spec``: never wider than the crop."""
    left, top, right, bottom = crop_box(width, height, spec.ratio, focal)
    crop_w, crop_h = right - left, bottom - top
    widths = [w for w in spec.widths if w <= crop_w] or [crop_w]
    return [(w, max(1, round(w * crop_h / crop_w))) for w in widths]


def rendition_signature(image: Image, spec: RenditionSet) -> str:
    """What a set's files were made from; a different one means they are out of date."""
    source = (
        f"{RENDITION_VERSION}|{image.file.name}|{image.focal_x:.4f}|{image.focal_y:.4f}|"
        f"{spec.ratio}|{spec.widths}"
    )
    return hashlib.sha256(source.encode()).hexdigest()[:10]


def renditions_current(image: Image) -> bool:
    """Whether ``image.renditions`` holds exactly the current sets, up to date."""
    if not image.file:
        return not image.renditions
    recorded = image.renditions or {}
    return set(recorded) == set(RENDITION_SETS) and all(
        recorded[name].get("signature") == rendition_signature(image, spec)
        for name, spec in RENDITION_SETS.items()
    )


def rendition_names(renditions: dict) -> set[str]:
    """Every stored file name recorded in an ``Image.renditions`` value."""
    return {
        entry[key]
        for recorded in (renditions or {}).values()
        for entry in recorded.get("sizes", [])
        for key, *_ in RENDITION_FORMATS
        if entry.get(key)
    }


def _to_srgb(img: PILImage.Image) -> PILImage.Image:
    """An RGB or RGBA copy in sRGB, the colour space browsers assume for untagged images."""
    has_alpha = img.mode in {"RGBA", "LA", "PA", "RGBa", "La"} or "transparency" in img.info
    mode = "RGBA" if has_alpha else "RGB"
    if icc := img.info.get("icc_profile"):
        try:
            return ImageCms.profileToProfile(
                img,
                ImageCms.ImageCmsProfile(BytesIO(icc)),
                ImageCms.createProfile("sRGB"),
                outputMode=mode,
            )
        except ImageCms.PyCMSError:
            # A broken or unusable profile: the pixels as they are beat no picture.
            pass
    return img if img.mode == mode else img.convert(mode)


def _encode(img: PILImage.Image, pil_format: str) -> bytes:
    out = BytesIO()
    if pil_format == "JPEG":
        if img.mode == "RGBA":
            flat = PILImage.new("RGB", img.size, (255, 255, 255))
            flat.paste(img, mask=img.getchannel("A"))
            img = flat
        img.save(out, "JPEG", quality=RENDITION_JPEG_QUALITY, optimize=True, progressive=True)
    else:
        img.save(out, "WEBP", quality=RENDITION_WEBP_QUALITY, method=4)
    return out.getvalue()


def render(
    source: PILImage.Image,
    spec: RenditionSet,
    focal: tuple[float, float],
    original_size: tuple[int, int] | None = None,
) -> list[tuple[int, int, dict[str, bytes]]]:
    """Encode ``spec``'s renditions of an upright sRGB picture: [(w, h, {format: bytes})].

    ``original_size`` is the size of the stored original when ``source`` was decoded smaller:
    the widths kept are those the original allows. The result carries no metadata at all: a
    fresh encode writes only what it is given.
    """
    box = crop_box(source.width, source.height, spec.ratio, focal)
    sizes = rendition_sizes(*(original_size or source.size), spec, focal)
    # The widest from the source, the others from it: one pass over a big picture per set.
    widest = source.resize(sizes[-1], PILImage.Resampling.LANCZOS, box=box, reducing_gap=3.0)
    made = []
    for width, height in sizes:
        if (width, height) == widest.size:
            resized = widest
        else:
            resized = widest.resize((width, height), PILImage.Resampling.LANCZOS)
        resized.info = {}
        made.append(
            (width, height, {key: _encode(resized, fmt) for key, fmt, _, _ in RENDITION_FORMATS})
        )
    return made


def _open_source(image: Image) -> tuple[PILImage.Image, tuple[int, int]]:
    """The stored original decoded once, upright and in sRGB, and its upright size.

    JPEG decoding can scale by 1/2, 1/4 or 1/8 for free; ``draft`` picks the smallest scale
    that still gives every set its widest rendition, which spares decoding a 40-megapixel
    photo in full to make 1600-pixel renditions.
    """
    with image.file.open("rb") as stored:
        data = stored.read()
    img = PILImage.open(BytesIO(data), formats=OPENED_FORMATS)
    orientation = img.getexif().get(ExifTags.Base.Orientation, 1)
    # Orientations 5 to 8 turn the picture a quarter: width and height swap.
    size = img.size[::-1] if orientation in {5, 6, 7, 8} else img.size
    focal = (image.focal_x, image.focal_y)
    scale = 0.0
    for spec in RENDITION_SETS.values():
        left, _, right, _ = crop_box(*size, spec.ratio, focal)
        widest = rendition_sizes(*size, spec, focal)[-1][0]
        scale = max(scale, widest / (right - left))
    if img.format in {"JPEG", "MPO"} and scale < 1:
        img.draft("RGB", (int(img.width * scale) + 2, int(img.height * scale) + 2))
    img.load()
    return _to_srgb(ImageOps.exif_transpose(img)), size


def _rendition_name(image: Image, set_name: str, width: int, signature: str, ext: str) -> str:
    # The signature in the name: a changed crop gets a new address, so caches never serve
    # the old one under it.
    return f"renditions/{image.uuid}/{set_name}-{width}-{signature}.{ext}"


def ensure_renditions(image: Image, *, force: bool = False) -> bool:
    """Make ``image``'s missing or out-of-date renditions; True if anything was made.

    The original is decoded once. New files are stored, the row is updated only if its file
    and focal point are still those the files were made from (a concurrent edit makes its
    own), and files no longer recorded are deleted last, so pages never point at nothing.
    """
    if not force and renditions_current(image):
        return False
    storage = image.file.storage
    old = dict(image.renditions or {})
    new: dict[str, dict] = {}
    stale = {}
    for name, spec in RENDITION_SETS.items():
        signature = rendition_signature(image, spec)
        if not force and old.get(name, {}).get("signature") == signature:
            new[name] = old[name]
        else:
            stale[name] = (spec, signature)
    written: list[str] = []
    if stale and image.file:
        focal = (image.focal_x, image.focal_y)
        source, original_size = _open_source(image)
        for name, (spec, signature) in stale.items():
            sizes = []
            for width, height, encoded in render(source, spec, focal, original_size):
                entry = {"width": width, "height": height}
                for key, _, ext, _ in RENDITION_FORMATS:
                    target = _rendition_name(image, name, width, signature, ext)
                    # A leftover from an interrupted run: same inputs, so replace it.
                    storage.delete(target)
                    entry[key] = storage.save(target, ContentFile(encoded[key]))
                    written.append(entry[key])
                sizes.append(entry)
            new[name] = {"signature": signature, "sizes": sizes}
    updated = Image.objects.filter(
        pk=image.pk, file=image.file.name, focal_x=image.focal_x, focal_y=image.focal_y
    ).update(renditions=new)
    if not updated:
        _delete_files(storage, written)
        return False
    image.renditions = new
    _delete_files(storage, rendition_names(old) - rendition_names(new))
    return True


def _delete_files(storage, names) -> None:
    for name in names:
        storage.delete(name)


# --- What templates print ------------------------------------------------------------------

# A storage name made only of characters ``filepath_to_uri`` leaves alone, in segments that
# are neither empty nor start with a dot (so no "." or ".." for ``urljoin`` to resolve), with
# no leading slash: rendition names (``_rendition_name``) always are.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]*(?:/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*")


@lru_cache(maxsize=16)
def _url_prefix(base_url: str) -> str:
    # What urljoin puts before a plain relative name: it resolves the base's own dot and empty
    # segments (and drops its query) the same way whatever plain name follows.
    return urljoin(base_url, "x")[:-1]


def storage_url(storage, name: str) -> str:
    """``storage.url(name)``, with ``FileSystemStorage``'s work done once per page.

    A listing page prints six rendition URLs per story; ``FileSystemStorage.url`` quotes the
    name and runs ``urljoin`` on each. For a storage whose ``url`` is ``FileSystemStorage``'s
    own and a plain name (see ``_PLAIN_NAME``), quoting leaves the name as it is and urljoin
    only puts a prefix before it, so the URL is that prefix (computed once per base URL) and
    the name: the same string, without the work. Any other storage (S3, a CDN-signing
    backend, a subclass with its own ``url``) and any other name go through ``storage.url``.
    """
    if storage.__class__.url is FileSystemStorage.url and _PLAIN_NAME.fullmatch(name):
        base_url = storage.base_url
        if base_url is not None:
            return _url_prefix(base_url) + name
    return storage.url(name)


def url_base(storage) -> str | None:
    """What ``storage``'s URLs depend on besides the name, when that is all: the base URL
    of a storage whose ``url`` is ``FileSystemStorage``'s own. None for any other storage,
    whose URLs may depend on anything (a signing backend's on the time).

    Markup printed from such a storage's names can be remembered under this value.
    """
    if storage.__class__.url is FileSystemStorage.url:
        return storage.base_url
    return None


def _pick_src(sizes: list[dict], src_width: int) -> dict:
    fitting = [s for s in sizes if s["width"] <= src_width]
    return fitting[-1] if fitting else sizes[0]


def picture_context(
    image: Image | None,
    set_name: str,
    *,
    sizes: str | None = None,
    priority: bool | None = None,
    css_class: str = "",
) -> dict:
    """What ``picture_html`` prints for ``image`` in the set ``set_name``, as a dict.

    Reads only the row: no query, no storage access, no decoding. Before its renditions exist
    (made after the upload commits), the original is printed at its own size.
    """
    if image is None or not image.file:
        return {"picture": None}
    try:
        spec = RENDITION_SETS[set_name]
    except KeyError:
        raise ValueError(
            f"Unknown rendition set “{set_name}”; choose one of {', '.join(RENDITION_SETS)}."
        ) from None
    priority = spec.priority if priority is None else priority
    picture = {
        "alt": image.alt_text,
        "sizes": sizes or spec.sizes,
        "priority": priority,
        "css_class": css_class,
        "set": set_name,
    }
    recorded = (image.renditions or {}).get(set_name, {}).get("sizes")
    if not recorded:
        picture.update(src=image.file.url, width=image.width, height=image.height)
        return {"picture": picture}
    storage = image.file.storage
    for key, *_ in RENDITION_FORMATS:
        picture[f"{key}_srcset"] = ", ".join(
            f"{storage_url(storage, entry[key])} {entry['width']}w" for entry in recorded
        )
    src = _pick_src(recorded, spec.src_width)
    picture.update(src=storage_url(storage, src["jpeg"]), width=src["width"], height=src["height"])
    return {"picture": picture}


def printed(value) -> str:
    """What ``{{ value }}`` prints with autoescaping on, for markup built in Python.

    Plain strings and (without thousand separators) integers, nearly all a page prints, skip
    Django's lazy-aware ``conditional_escape`` and locale lookups, giving the same text.
    """
    if value.__class__ is str:
        return html.escape(value)
    if value.__class__ is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)
    return conditional_escape(localize(value))


def picture_html(
    image: Image | None,
    set_name: str,
    *,
    sizes: str | None = None,
    priority: bool | None = None,
    css_class: str = "",
) -> SafeString:
    """A responsive ``<picture>`` for ``image`` in the set ``set_name``; "" for no picture.

    Built here rather than in a template because listing pages print one per story and the
    template engine's include and variable lookups cost more than the rest of the card. The
    ``<source>`` (WebP) comes first, as browsers take the first type they support; the
    ``<img>`` carries the JPEG ``srcset``, its intrinsic size (no layout shift), the alt text,
    and either high fetch priority (an image seen first) or lazy loading.
    """
    picture = picture_context(
        image, set_name, sizes=sizes, priority=priority, css_class=css_class
    )["picture"]
    if not picture:
        return SafeString("")
    css = picture["css_class"]
    sizes_attr = printed(picture["sizes"])
    parts = [f'<picture class="{printed(css)}">' if css else "<picture>"]
    if webp := picture.get("webp_srcset"):
        parts.append(f'<source type="image/webp" srcset="{printed(webp)}" sizes="{sizes_attr}">')
    parts.append(f'<img src="{printed(picture["src"])}"')
    if jpeg := picture.get("jpeg_srcset"):
        parts.append(f' srcset="{printed(jpeg)}" sizes="{sizes_attr}"')
    parts.append(
        f' width="{printed(picture["width"])}" height="{printed(picture["height"])}"'
        f' alt="{printed(picture["alt"])}"'
    )
    parts.append(' fetchpriority="high"' if picture["priority"] else ' loading="lazy"')
    parts.append(' decoding="async"></picture>')
    return SafeString("".join(parts))


def rendition_url(image: Image | None, set_name: str, min_width: int = 0) -> dict | None:
    """The smallest rendition of a set at least ``min_width`` wide (else the widest).

    For places that need one URL, such as social cards and structured data: a dict with
    ``url``, ``width``, ``height`` and ``type`` (always JPEG, which every consumer reads),
    or None when the image has no renditions yet.
    """
    if image is None or not image.file:
        return None
    recorded = (image.renditions or {}).get(set_name, {}).get("sizes")
    if not recorded:
        return None
    entry = next((e for e in recorded if e["width"] >= min_width), recorded[-1])
    return {
        "url": storage_url(image.file.storage, entry["jpeg"]),
        "width": entry["width"],
        "height": entry["height"],
        "type": "image/jpeg",
    }


# --- Keeping storage in step with the rows -------------------------------------------------
# Side effects only, each after commit, so a rolled-back save leaves storage as it was.


def refresh_renditions(instance: Image) -> None:
    """Bring the stored image's renditions up to date, from its row as committed.

    ``instance`` learns the result when it still shows the same file and focal point, so
    saving it again later neither writes stale renditions back nor makes them again.
    """
    image = Image.objects.filter(pk=instance.pk).first()
    if image is None:
        return
    ensure_renditions(image)
    same = (image.file.name, image.focal_x, image.focal_y)
    if same == (instance.file.name, instance.focal_x, instance.focal_y):
        instance.renditions = image.renditions


@receiver(pre_save, sender=Image, dispatch_uid="articles.images.remember_file")
def _remember_stored_file(sender, instance: Image, raw: bool, update_fields=None, **kwargs):
    """Note the file this save replaces, to delete it once the save commits."""
    instance._replaced_file_name = None
    if raw or instance.pk is None or (update_fields is not None and "file" not in update_fields):
        return
    stored = Image.objects.filter(pk=instance.pk).values_list("file", flat=True).first()
    if stored and stored != instance.file.name:
        instance._replaced_file_name = stored


@receiver(post_save, sender=Image, dispatch_uid="articles.images.after_save")
def _after_save(sender, instance: Image, raw: bool, **kwargs) -> None:
    # Fixture loads skip this; ``manage.py make_renditions`` makes what they need.
    if raw:
        return
    storage = instance.file.storage
    replaced = getattr(instance, "_replaced_file_name", None)
    if replaced:
        transaction.on_commit(partial(_delete_files, storage, [replaced]), robust=True)
    if not renditions_current(instance):
        # Robust: a failure is logged and the page prints the original until
        # make_renditions succeeds; the editor's save has already committed.
        transaction.on_commit(partial(refresh_renditions, instance), robust=True)


@receiver(post_delete, sender=Image, dispatch_uid="articles.images.after_delete")
def _after_delete(sender, instance: Image, **kwargs) -> None:
    names = rendition_names(instance.renditions)
    if instance.file.name:
        names.add(instance.file.name)
    transaction.on_commit(partial(_delete_files, instance.file.storage, names), robust=True)
