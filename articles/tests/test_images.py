"""Images: refused uploads leave nothing behind, served files carry no location, renditions
are cropped around the focal point, made once, and printed with srcset, sizes and dimensions."""

import struct
import zlib
from io import BytesIO
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.template import Context, Template
from django.template.loader import render_to_string
from django.urls import reverse
from PIL import ExifTags, ImageFile, ImageSequence
from PIL import Image as PILImage

from articles import images
from articles.forms import ImageAdminForm
from articles.models import Article, Image
from articles.tests.factories import PublishedArticleFactory
from people.tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

RED = (255, 0, 0)
WHITE = (255, 255, 255)
GPS_LATITUDE = (39.0, 54.0, 15.0)


# --- Making files -------------------------------------------------------------------------


def picture_bytes(fmt="JPEG", size=(2000, 1200), color=(40, 90, 160), **save) -> bytes:
    out = BytesIO()
    PILImage.new("RGB", size, color).save(out, fmt, **save)
    return out.getvalue()


def noise_bytes(fmt: str, **save) -> bytes:
    """A picture that does not compress away, so cutting the file cuts the picture."""
    out = BytesIO()
    PILImage.effect_noise((600, 400), 60).convert("RGB").save(out, fmt, **save)
    return out.getvalue()


def exif_with_gps(orientation: int | None = None) -> PILImage.Exif:
    exif = PILImage.Exif()
    exif[ExifTags.Base.Artist] = "Photo Desk"
    exif[ExifTags.Base.Model] = "Camera X100"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (116.0, 23.0, 30.0)
    return exif


def png_claiming(width: int, height: int) -> bytes:
    """A tiny, valid-looking PNG whose header claims ``width`` x ``height`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress((b"\x00" * (width + 1)) * 8, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def gif_with_xmp(xmp: bytes) -> bytes:
    """A GIF carrying an XMP packet in its application extension, as Photoshop writes it."""
    data = picture_bytes("GIF", size=(120, 80))
    flags = data[10]
    table = 3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0
    at = 13 + table
    blocks = b"".join(
        bytes([len(part)]) + part for part in (xmp[i : i + 255] for i in range(0, len(xmp), 255))
    )
    return data[:at] + b"\x21\xff\x0bXMP DataXMP" + blocks + b"\x00" + data[at:]


def upload(data: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def media_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def image_form(data: bytes, name: str = "photo.jpg", **fields) -> ImageAdminForm:
    values = {"alt_text": "Boats in the harbour at dawn", "focal_x": 0.5, "focal_y": 0.5}
    values.update(fields)
    return ImageAdminForm(data=values, files={"file": upload(data, name)})


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what waits for the commit (renditions, file deletions), as a real commit would."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


@pytest.fixture
def create_image(committed):
    def create(data: bytes | None = None, name: str = "photo.jpg", **fields) -> Image:
        data = data if data is not None else picture_bytes(size=(900, 600))
        form = image_form(data, name, **fields)
        assert form.is_valid(), form.errors
        with committed():
            image = form.save()
        return image

    return create


def stored(name: str) -> PILImage.Image:
    from django.core.files.storage import default_storage

    with default_storage.open(name) as f:
        img = PILImage.open(BytesIO(f.read()))
        img.load()
    return img


# --- Refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (
            png_claiming(10_000, 10_000),
            "tiny.png",
            "too many pixels; the limit is 40 megapixels",
        ),
        (
            png_claiming(8_000, 6_000),
            "tiny.png",
            "8,000 by 6,000 pixels (48 megapixels); the limit is 40 megapixels",
        ),
        (
            b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" '
            b'height="10"><script>alert(1)</script></svg>',
            "logo.png",
            "SVG files are not accepted",
        ),
        (b"Minutes of the editorial meeting.\n", "notes.txt", "is not a JPEG, PNG, WebP or GIF"),
        (noise_bytes("PNG")[:5000], "cut.png", "not a readable image"),
        (picture_bytes("TIFF", size=(20, 20)), "scan.tif", "is not a JPEG, PNG, WebP or GIF"),
    ],
    ids=[
        "100-megapixel-png",
        "48-megapixel-png",
        "svg-named-png",
        "text",
        "truncated-png",
        "tiff",
    ],
)
def test_refused_upload_says_why_and_stores_nothing(settings, data, name, message):
    form = image_form(data, name)
    assert not form.is_valid()
    assert message in " ".join(form.errors["file"])
    assert media_files(settings) == []
    assert not Image.objects.exists()


def test_truncated_jpeg_is_refused_as_unreadable(settings):
    data = noise_bytes("JPEG", quality=90)
    form = image_form(data[: len(data) // 2])
    assert not form.is_valid()
    assert "not a readable image" in form.errors["file"][0]
    assert media_files(settings) == []


def test_file_over_the_byte_limit_is_refused(settings):
    data = picture_bytes()
    settings.NEWSROOM_IMAGE_MAX_BYTES = len(data) - 1
    form = image_form(data)
    assert not form.is_valid()
    assert "images may be at most" in form.errors["file"][0]
    assert media_files(settings) == []


def test_pixel_limit_follows_the_setting(settings):
    settings.NEWSROOM_IMAGE_MAX_PIXELS = 100 * 100
    assert not image_form(picture_bytes(size=(101, 100))).is_valid()
    assert image_form(picture_bytes(size=(100, 100))).is_valid()


def test_frames_of_an_animation_count_together(settings):
    frames = [PILImage.new("RGB", (100, 100), (i * 40, 0, 0)) for i in range(5)]
    out = BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100)
    settings.NEWSROOM_IMAGE_MAX_PIXELS = 4 * 100 * 100
    form = image_form(out.getvalue(), "anim.gif")
    assert not form.is_valid()
    assert "in 5 frames" in form.errors["file"][0]


def test_too_many_pixels_is_refused_without_decoding(monkeypatch):
    def decode(self):
        raise AssertionError("the picture was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", decode)
    with pytest.raises(ValidationError) as refused:
        images.prepare_upload(upload(png_claiming(8_000, 6_000), "tiny.png"))
    assert refused.value.code == "too_many_pixels"


def test_upload_field_names_the_limits(settings):
    settings.NEWSROOM_IMAGE_MAX_BYTES = 5 * 1024 * 1024
    assert "at most 5.0\xa0MB and 40 megapixels" in ImageAdminForm().fields["file"].help_text


# --- Accepted files -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "name", "stored_ext"),
    [
        ("JPEG", "harbour.jpeg", ".jpg"),
        ("PNG", "chart.png", ".png"),
        ("WEBP", "street.webp", ".webp"),
        ("GIF", "icon.gif", ".gif"),
        # Named as something else: stored under its real format's extension.
        ("JPEG", "harbour.png", ".jpg"),
        ("PNG", "chart.gif", ".png"),
    ],
)
def test_accepted_formats_are_stored_under_their_real_extension(
    create_image, settings, fmt, name, stored_ext
):
    image = create_image(picture_bytes(fmt, size=(900, 600)), name)
    assert image.file.name.startswith("images/")
    assert image.file.name.endswith(stored_ext)
    assert (image.width, image.height) == (900, 600)
    assert stored(image.file.name).format == fmt
    assert image.file.path in {str(p) for p in media_files(settings)}


def test_file_name_is_readable_ascii():
    prepared = images.prepare_upload(upload(picture_bytes(size=(40, 30)), "港口 照片 IMG_01.JPG"))
    assert prepared.name == "gang-kou-zhao-pian-img_01.jpg"


# --- Location metadata --------------------------------------------------------------------


def assert_no_location(data: bytes) -> None:
    img = PILImage.open(BytesIO(data))
    exif = img.getexif()
    assert ExifTags.IFD.GPSInfo not in exif
    assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert b"GPS" not in data


def test_jpeg_original_loses_gps_keeps_credit_and_is_turned_upright(create_image):
    # Stored 300 wide, 200 high, with orientation 6: the camera was turned a quarter.
    data = picture_bytes(size=(300, 200), exif=exif_with_gps(orientation=6))
    assert b"GPS" in data or ExifTags.IFD.GPSInfo in PILImage.open(BytesIO(data)).getexif()
    image = create_image(data)
    with image.file.open("rb") as f:
        kept = f.read()
    assert_no_location(kept)
    original = PILImage.open(BytesIO(kept))
    exif = original.getexif()
    assert original.size == (200, 300)
    assert (image.width, image.height) == (200, 300)
    assert ExifTags.Base.Orientation not in exif
    assert exif[ExifTags.Base.Artist] == "Photo Desk"
    # Camera details are not kept either.
    assert ExifTags.Base.Model not in exif


def test_renditions_carry_no_metadata_at_all(create_image):
    image = create_image(picture_bytes(size=(1300, 900), exif=exif_with_gps()))
    for name in images.rendition_names(image.renditions):
        with image.file.storage.open(name) as f:
            data = f.read()
        assert_no_location(data)
        rendition = PILImage.open(BytesIO(data))
        assert len(rendition.getexif()) == 0
        assert not rendition.info.get("exif")
        assert not rendition.info.get("xmp")


def test_png_and_webp_lose_exif_and_xmp():
    xmp = b"<x:xmpmeta><exif:GPSLatitude>39,54.25N</exif:GPSLatitude></x:xmpmeta>"
    for fmt in ("PNG", "WEBP"):
        data = picture_bytes(fmt, size=(64, 48), exif=exif_with_gps(), xmp=xmp)
        assert ExifTags.IFD.GPSInfo in PILImage.open(BytesIO(data)).getexif()
        prepared = images.prepare_upload(upload(data, f"x.{fmt.lower()}")).read()
        assert_no_location(prepared)
        assert b"xmpmeta" not in prepared


def test_gif_xmp_packet_is_removed_and_clean_gif_kept_as_uploaded():
    data = gif_with_xmp(b"<x:xmpmeta><exif:GPSLatitude>39,54.25N</exif:GPSLatitude></x:xmpmeta>")
    assert PILImage.open(BytesIO(data)).size == (120, 80)
    cleaned = images.prepare_upload(upload(data, "map.gif")).read()
    assert b"XMP DataXMP" not in cleaned
    assert b"GPS" not in cleaned
    clean = picture_bytes("GIF", size=(120, 80))
    assert images.prepare_upload(upload(clean, "map.gif")).read() == clean


def test_png_without_metadata_is_kept_byte_for_byte():
    data = picture_bytes("PNG", size=(64, 48))
    assert images.prepare_upload(upload(data, "chart.png")).read() == data


def test_animated_gif_stays_animated_and_its_renditions_are_stills(create_image):
    frames = [PILImage.new("RGB", (700, 500), color) for color in (RED, (0, 0, 255), WHITE)]
    out = BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=200, loop=0)
    image = create_image(out.getvalue(), "loop.gif")
    original = stored(image.file.name)
    assert sum(1 for _ in ImageSequence.Iterator(original)) == 3
    card = image.renditions["card"]["sizes"][0]
    still = stored(card["webp"])
    assert not getattr(still, "is_animated", False)
    assert still.convert("RGB").getpixel((10, 10))[0] > 200  # the first frame: red


# --- Renditions ---------------------------------------------------------------------------


def test_renditions_have_the_set_widths_and_ratio_in_both_formats(create_image):
    image = create_image(picture_bytes(size=(2000, 1200)))
    expected = {
        "lead": [(480, 270), (800, 450), (1200, 675), (1600, 900)],
        "card": [(320, 213), (640, 427)],
        "square": [(160, 160), (320, 320), (480, 480)],
        "full": [(480, 288), (960, 576)],
    }
    assert set(image.renditions) == set(expected)
    for set_name, sizes in expected.items():
        recorded = image.renditions[set_name]["sizes"]
        assert [(e["width"], e["height"]) for e in recorded] == sizes
        for entry in recorded:
            assert entry["webp"].startswith(f"renditions/{image.uuid}/{set_name}-")
            webp, jpeg = stored(entry["webp"]), stored(entry["jpeg"])
            assert (webp.format, jpeg.format) == ("WEBP", "JPEG")
            assert webp.size == jpeg.size == (entry["width"], entry["height"])


def test_renditions_are_never_upscaled(create_image):
    image = create_image(picture_bytes(size=(700, 500)))
    made = {
        name: [(e["width"], e["height"]) for e in r["sizes"]]
        for name, r in image.renditions.items()
    }
    # Crops: lead 700 x 394, card 700 x 467, square 500 x 500, full 700 x 500.
    assert made == {
        "lead": [(480, 270)],
        "card": [(320, 213), (640, 427)],
        "square": [(160, 160), (320, 320), (480, 480)],
        "full": [(480, 343)],
    }
    small = create_image(picture_bytes(size=(300, 200)))
    # Smaller than every width: one rendition at the crop's own size.
    assert [(e["width"], e["height"]) for e in small.renditions["lead"]["sizes"]] == [(300, 169)]


@pytest.mark.parametrize(
    ("size", "ratio", "focal", "box"),
    [
        ((2000, 1000), (1, 1), (0.5, 0.5), (500, 0, 1500, 1000)),
        ((2000, 1000), (1, 1), (0.9, 0.15), (1000, 0, 2000, 1000)),
        ((2000, 1000), (1, 1), (0.0, 0.0), (0, 0, 1000, 1000)),
        ((1000, 2000), (16, 9), (0.5, 0.1), (0, 0, 1000, 562)),
        ((1000, 2000), (16, 9), (0.5, 0.5), (0, 719, 1000, 1281)),
        ((1200, 800), (3, 2), (0.9, 0.9), (0, 0, 1200, 800)),
        ((1200, 800), None, (0.2, 0.2), (0, 0, 1200, 800)),
    ],
)
def test_crop_box_is_the_largest_of_the_ratio_centred_on_the_focal_point(size, ratio, focal, box):
    assert images.crop_box(*size, ratio, focal) == box


def red_share(img: PILImage.Image) -> float:
    data = img.convert("RGB").tobytes()
    pixels = list(zip(data[0::3], data[1::3], data[2::3], strict=True))
    return sum(1 for r, g, b in pixels if r > 200 and g < 60 and b < 60) / len(pixels)


def test_focal_point_crop_keeps_the_marker_in_view(create_image):
    picture = PILImage.new("RGB", (1000, 500), WHITE)
    picture.paste(RED, (850, 25, 950, 125))  # a red square near the top-right corner
    out = BytesIO()
    picture.save(out, "PNG")
    centred = create_image(out.getvalue(), "marker.png")
    focused = create_image(out.getvalue(), "marker.png", focal_x=0.9, focal_y=0.15)

    # The square crop (500 x 500 of 1000 x 500) misses the corner when centred…
    centred_square = stored(centred.renditions["square"]["sizes"][-1]["jpeg"])
    assert red_share(centred_square) == 0
    # …and keeps it when the focal point is on it: at (900 - 500, 75) of the crop.
    for key in ("jpeg", "webp"):
        square = stored(focused.renditions["square"]["sizes"][-1][key]).convert("RGB")
        assert square.size == (480, 480)
        r, g, b = square.getpixel((round(400 * 0.96), round(75 * 0.96)))
        assert r > 200 and g < 60 and b < 60
        assert red_share(square) == pytest.approx(0.04, abs=0.01)


def test_second_save_without_changes_makes_nothing_again(create_image, committed, settings):
    image = create_image()
    files_before = {p: p.stat().st_mtime_ns for p in media_files(settings)}
    renditions = image.renditions
    image.caption = "Fishing boats return to Qingdao harbour."
    with committed() as callbacks:
        image.save()
    assert callbacks == []
    reloaded = Image.objects.get(pk=image.pk)
    with committed() as callbacks:
        reloaded.save()
    assert callbacks == []
    assert Image.objects.get(pk=image.pk).renditions == renditions
    assert {p: p.stat().st_mtime_ns for p in media_files(settings)} == files_before


def test_moving_the_focal_point_remakes_the_renditions_and_deletes_the_old(
    create_image, committed
):
    image = create_image()
    old = images.rendition_names(image.renditions)
    storage = image.file.storage
    image.focal_x = 0.1
    with committed():
        image.save()
    image.refresh_from_db()
    new = images.rendition_names(image.renditions)
    assert new and not (new & old)
    assert all(storage.exists(name) for name in new)
    assert not any(storage.exists(name) for name in old)
    assert image.renditions["square"]["signature"] == images.rendition_signature(
        image, images.RENDITION_SETS["square"]
    )


def test_replacing_the_file_deletes_the_old_one_and_its_renditions(
    create_image, committed, settings
):
    image = create_image()
    old_files = {str(p) for p in media_files(settings)}
    form = ImageAdminForm(
        data={"alt_text": image.alt_text, "focal_x": 0.5, "focal_y": 0.5},
        files={"file": upload(picture_bytes(size=(1000, 800), color=RED), "new.png")},
        instance=Image.objects.get(pk=image.pk),
    )
    assert form.is_valid(), form.errors
    with committed():
        replaced = form.save()
    replaced.refresh_from_db()
    remaining = {str(p) for p in media_files(settings)}
    assert not (remaining & old_files)
    assert replaced.file.path in remaining
    assert len(remaining) == 1 + len(images.rendition_names(replaced.renditions))
    assert (replaced.width, replaced.height) == (1000, 800)


def test_deleting_an_image_deletes_its_files(create_image, committed, settings):
    image = create_image()
    assert media_files(settings)
    with committed():
        image.delete()
    assert media_files(settings) == []


def test_a_rolled_back_delete_keeps_the_files(
    create_image, django_capture_on_commit_callbacks, settings
):
    image = create_image()
    before = media_files(settings)
    with django_capture_on_commit_callbacks(execute=False):
        image.delete()
    assert media_files(settings) == before


# --- The template tag ---------------------------------------------------------------------


def render(template: str, **context) -> BeautifulSoup:
    html = Template("{% load images %}" + template).render(Context(context))
    return BeautifulSoup(html, "html.parser")


def test_picture_prints_webp_and_jpeg_srcsets_with_sizes_and_dimensions(
    create_image, django_assert_num_queries
):
    image = create_image(picture_bytes(size=(2000, 1200)), alt_text="A ferry leaving port")
    image = Image.objects.get(pk=image.pk)
    with django_assert_num_queries(0):
        soup = render('{% picture image "lead" %}', image=image)
    source = soup.select_one("picture > source")
    img = soup.select_one("picture > img")
    assert source["type"] == "image/webp"
    assert source["sizes"] == img["sizes"] == images.RENDITION_SETS["lead"].sizes
    webp = [c.split() for c in source["srcset"].split(", ")]
    jpeg = [c.split() for c in img["srcset"].split(", ")]
    assert [w for _, w in webp] == [w for _, w in jpeg] == ["480w", "800w", "1200w", "1600w"]
    assert all(url.startswith("/media/renditions/") and url.endswith(".webp") for url, _ in webp)
    assert all(url.endswith(".jpg") for url, _ in jpeg)
    assert img["src"] == jpeg[1][0]
    assert (img["width"], img["height"]) == ("800", "450")
    assert img["alt"] == "A ferry leaving port"
    assert img["fetchpriority"] == "high"
    assert not img.has_attr("loading")
    assert img["decoding"] == "async"


def test_listing_picture_loads_lazily_with_the_sizes_given(create_image):
    image = create_image()
    soup = render('{% picture image "card" sizes="25vw" %}', image=image)
    img = soup.select_one("img")
    assert img["loading"] == "lazy"
    assert not img.has_attr("fetchpriority")
    assert img["sizes"] == soup.select_one("source")["sizes"] == "25vw"
    assert (img["width"], img["height"]) == ("320", "213")


def test_picture_before_renditions_exist_prints_the_original(django_capture_on_commit_callbacks):
    form = image_form(picture_bytes(size=(640, 480)))
    assert form.is_valid()
    with django_capture_on_commit_callbacks(execute=False):
        image = form.save()
    soup = render('{% picture image "lead" %}', image=image)
    img = soup.select_one("img")
    assert soup.select_one("source") is None
    assert img["src"] == image.file.url
    assert (img["width"], img["height"]) == ("640", "480")


def test_picture_of_nothing_prints_nothing():
    assert render('{% picture image "lead" %}', image=None).decode().strip() == ""


def test_unknown_set_name_is_an_error(create_image):
    with pytest.raises(ValueError, match="Unknown rendition set"):
        render('{% picture image "banner" %}', image=create_image())


def test_lead_image_include_prints_figure_caption_and_credit(
    create_image, django_assert_num_queries
):
    image = create_image(caption="Boats at dawn.", credit="Xinhua")
    article = PublishedArticleFactory(lead_image=image)
    article = Article.objects.published().for_page().get(pk=article.pk)
    with django_assert_num_queries(0):
        html = render_to_string("includes/lead_image.html", {"image": article.lead_image})
    soup = BeautifulSoup(html, "html.parser")
    figure = soup.select_one("figure.lead-image")
    assert figure.select_one("picture img")["fetchpriority"] == "high"
    caption = figure.select_one("figcaption")
    assert caption.get_text(" ", strip=True) == "Boats at dawn. Credit: Xinhua"
    assert render_to_string("includes/lead_image.html", {"image": None}).strip() == ""


def test_card_image_include_for_listings_and_person_photos(create_image):
    image = create_image(picture_bytes(size=(1200, 1200)))
    card = BeautifulSoup(
        render_to_string("includes/card_image.html", {"image": image}), "html.parser"
    )
    assert card.select_one("picture.card-image img")["width"] == "320"
    assert card.select_one("img")["loading"] == "lazy"
    person = PersonFactory(photo=image)
    portrait = BeautifulSoup(
        render_to_string(
            "includes/card_image.html", {"image": person.photo, "rendition": "square"}
        ),
        "html.parser",
    )
    img = portrait.select_one("img")
    assert (img["width"], img["height"]) == ("160", "160")
    assert render_to_string("includes/card_image.html", {"image": None}).strip() == ""


# --- The admin ----------------------------------------------------------------------------


def admin_post_data(data: bytes, name: str, **fields) -> dict:
    values = {
        "alt_text": "Boats in the harbour",
        "caption": "",
        "credit": "",
        "focal_x": "0.5",
        "focal_y": "0.5",
        "file": upload(data, name),
    }
    values.update(fields)
    return values


def test_admin_upload_of_a_bad_file_shows_the_error_on_the_file_field(admin_client, settings):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    response = admin_client.post(
        reverse("admin:articles_image_add"), admin_post_data(svg, "logo.png")
    )
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    row = soup.select_one(".field-file")
    assert "SVG files are not accepted" in row.select_one(".errorlist").get_text()
    assert not Image.objects.exists()
    assert media_files(settings) == []


def test_admin_upload_stores_the_image_and_makes_its_renditions(admin_client, committed, settings):
    with committed():
        response = admin_client.post(
            reverse("admin:articles_image_add"),
            admin_post_data(picture_bytes(size=(1600, 1000)), "boats.jpg", credit="Xinhua"),
        )
    assert response.status_code == 302
    image = Image.objects.get()
    assert image.credit == "Xinhua"
    assert images.renditions_current(image)
    assert len(media_files(settings)) == 1 + len(images.rendition_names(image.renditions))

    change = admin_client.get(reverse("admin:articles_image_change", args=[image.pk]))
    assert change.status_code == 200
    soup = BeautifulSoup(change.content, "html.parser")
    crops = soup.select(".field-crops img")
    assert len(crops) == 3
    listing = admin_client.get(reverse("admin:articles_image_changelist"))
    assert listing.status_code == 200
    assert images.rendition_url(image, "square")["url"] in listing.content.decode()


def test_stories_and_people_pick_images_by_autocomplete(admin_client, create_image):
    create_image(alt_text="Container ships in Qingdao port")
    story = admin_client.get(reverse("admin:articles_article_add"))
    assert 'name="lead_image"' in story.content.decode()
    assert "admin-autocomplete" in str(
        BeautifulSoup(story.content, "html.parser").select_one('select[name="lead_image"]')
    )
    person = admin_client.get(reverse("admin:people_person_add"))
    select = BeautifulSoup(person.content, "html.parser").select_one('select[name="photo"]')
    assert "admin-autocomplete" in select["class"]
    found = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "articles",
            "model_name": "article",
            "field_name": "lead_image",
            "term": "qingdao",
        },
    ).json()
    assert [r["text"] for r in found["results"]] == ["Container ships in Qingdao port"]


# --- The command --------------------------------------------------------------------------


def test_make_renditions_makes_what_is_missing_and_nothing_twice(create_image, capsys):
    image = create_image()
    names = images.rendition_names(image.renditions)
    Image.objects.filter(pk=image.pk).update(renditions={})

    call_command("make_renditions")
    assert "made for 1 image(s); 0 already up to date" in capsys.readouterr().out
    image.refresh_from_db()
    assert images.renditions_current(image)
    assert images.rendition_names(image.renditions) == names

    call_command("make_renditions")
    assert "made for 0 image(s); 1 already up to date" in capsys.readouterr().out


def test_make_renditions_follows_a_change_of_sets(create_image, monkeypatch, capsys):
    image = create_image()
    monkeypatch.setitem(
        images.RENDITION_SETS,
        "lead",
        images.RenditionSet("lead", (16, 9), (400, 700), 400, "100vw", priority=True),
    )
    call_command("make_renditions", str(image.uuid))
    image.refresh_from_db()
    assert [e["width"] for e in image.renditions["lead"]["sizes"]] == [400, 700]


def test_make_renditions_reports_a_missing_original(create_image, capsys):
    image = create_image()
    image.file.storage.delete(image.file.name)
    Image.objects.filter(pk=image.pk).update(renditions={})
    with pytest.raises(CommandError, match="1 image"):
        call_command("make_renditions")
    assert str(image.uuid) in capsys.readouterr().err
