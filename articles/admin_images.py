"""The image library in the admin: upload, describe, set the focal point, see the crops.

Uploads are checked by ``ImageAdminForm`` (``articles.images.prepare_upload``) before
anything is stored; renditions are made after the save commits (``articles.images``).
Stories and people pick their images through autocomplete, which searches this admin.
"""

from django.contrib import admin
from django.utils.html import format_html, format_html_join

from . import images
from .forms import ImageAdminForm
from .models import Image

# How big the focal-point preview is drawn in the change form.
PREVIEW_WIDTH = 480


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    form = ImageAdminForm
    list_display = ["thumbnail", "alt_text", "credit", "dimensions", "created_at"]
    list_display_links = ["thumbnail", "alt_text"]
    search_fields = ["alt_text", "caption", "credit"]
    search_help_text = "Alt text, caption or credit."
    date_hierarchy = "created_at"
    list_per_page = 50
    readonly_fields = ["focal_preview", "crops", "dimensions", "uuid", "created_at"]
    fieldsets = [
        (None, {"fields": ["file", "alt_text", "caption", "credit"]}),
        (
            "Focal point",
            {
                "description": (
                    "The part of the picture every crop keeps in view, such as a face: "
                    "0 is the left or top edge, 1 the right or bottom edge."
                ),
                "fields": [("focal_x", "focal_y"), "focal_preview", "crops"],
            },
        ),
        ("Record", {"classes": ["collapse"], "fields": ["dimensions", "uuid", "created_at"]}),
    ]

    @admin.display(description="image")
    def thumbnail(self, obj: Image):
        shown = images.rendition_url(obj, "square")
        if shown is None:
            if not obj.file:
                return "—"
            shown = {"url": obj.file.url}
        # Decorative here: the alt text is the next column.
        return format_html(
            '<img src="{}" alt="" width="64" height="64" loading="lazy" style="object-fit:cover">',
            shown["url"],
        )

    @admin.display(description="size")
    def dimensions(self, obj: Image) -> str:
        if not obj.width:
            return "—"
        return f"{obj.width} \N{MULTIPLICATION SIGN} {obj.height} px"

    @admin.display(description="where the focal point is")
    def focal_preview(self, obj: Image):
        if not obj.pk or not obj.file:
            return "Shown here once the image is saved."
        shown = images.rendition_url(obj, "full", PREVIEW_WIDTH) or {
            "url": obj.file.url,
            "width": obj.width,
            "height": obj.height,
        }
        # A ring over the picture at the focal point; the values above are what counts.
        return format_html(
            '<div style="position:relative;display:inline-block;max-width:{}px;line-height:0">'
            '<img src="{}" alt="" width="{}" height="{}" style="max-width:100%;height:auto">'
            '<span aria-hidden="true" style="position:absolute;left:{}%;top:{}%;width:24px;'
            "height:24px;margin:-12px 0 0 -12px;border:3px solid #fff;border-radius:50%;"
            'box-shadow:0 0 0 2px #a4161a"></span></div>',
            PREVIEW_WIDTH,
            shown["url"],
            shown["width"],
            shown["height"],
            round(obj.focal_x * 100, 2),
            round(obj.focal_y * 100, 2),
        )

    @admin.display(description="crops")
    def crops(self, obj: Image):
        made = [
            (name, shown)
            for name in ("lead", "card", "square")
            if (shown := images.rendition_url(obj, name)) is not None
        ]
        if not made:
            return "Made after the image is saved."
        return format_html(
            '<div style="display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-end">{}</div>',
            format_html_join(
                "",
                '<figure style="margin:0"><img src="{}" alt="" width="{}" height="{}" '
                'style="max-height:120px;width:auto"><figcaption>{}</figcaption></figure>',
                ((shown["url"], shown["width"], shown["height"], name) for name, shown in made),
            ),
        )
