from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet

from .admin_budget import BudgetAdminMixin
from .admin_filters import PersonFilter, PublicationDateFilter, StatusFilter
from .admin_import import ImportAdminMixin
from .admin_locking import LockingAdminMixin
from .admin_previews import PreviewAdminMixin
from .admin_revisions import RevisionAdminMixin
from .admin_workflow import WorkflowAdminMixin
from .forms import ArticleAdminForm
from .models import (
    Article,
    Byline,
    Correction,
    Credit,
    RelatedLink,
    Section,
    Source,
    Tag,
    TaggedArticle,
)
from .revisions import record_revision

# A URL typed without a scheme is taken as https, as Django 6 will do by default.
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


class ContributionFormSet(BaseInlineFormSet):
    """Refuse the same person twice in the same role: the rows of one kind are all here."""

    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("person"):
                continue
            key = (data["person"].pk, data.get("role", ""))
            if key in seen:
                raise ValidationError(f"{data['person']} is listed twice in the same role.")
            seen.add(key)


class BylineInline(admin.TabularInline):
    model = Byline
    formset = ContributionFormSet
    fields = ["position", "person", "role"]
    autocomplete_fields = ["person"]
    extra = 0
    verbose_name = "byline"
    verbose_name_plural = "bylines (printed “By …”)"


class CreditInline(BylineInline):
    model = Credit
    verbose_name = "credit"
    verbose_name_plural = "credits (printed “(Web editor: …)”)"


class RelatedLinkInline(admin.TabularInline):
    model = RelatedLink
    fk_name = "article"
    fields = ["position", "target", "url", "title"]
    autocomplete_fields = ["target"]
    formfield_overrides = HTTPS_URLS
    extra = 0


class TaggedArticleInline(admin.TabularInline):
    model = TaggedArticle
    fields = ["tag"]
    autocomplete_fields = ["tag"]
    extra = 0
    verbose_name = "tag"
    verbose_name_plural = "tags"


class CorrectionInline(admin.TabularInline):
    """Corrections printed on the story, newest first; read-only, and kept on the record.

    They are added on the "Add a correction" page (articles.corrections), so the story's
    updated time and version move and a revision names who added each one.
    """

    model = Correction
    fields = ["created_at", "kind", "text"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    template = "admin/articles/article/correction_inline.html"
    verbose_name_plural = "corrections and updates (printed on the story, newest first)"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Article)
class ArticleAdmin(
    WorkflowAdminMixin,
    RevisionAdminMixin,
    LockingAdminMixin,
    PreviewAdminMixin,
    BudgetAdminMixin,
    ImportAdminMixin,
    admin.ModelAdmin,
):
    form = ArticleAdminForm
    # The desk's view of the story list; columns and filters are described in admin_budget.py.
    list_display = [
        "headline",
        "section",
        "article_type",
        "desk_status",
        "byline_names",
        "desk_holder",
        "updated_at",
    ]
    list_filter = [
        StatusFilter,
        "section",
        "article_type",
        PersonFilter,
        ("published_at", PublicationDateFilter),
    ]
    # What the columns print, joined; bylines and the latest workflow event are prefetched
    # by the desk change list (BudgetAdminMixin.get_changelist).
    list_select_related = ["section", "created_by", "lease__user"]
    search_fields = ["headline", "deck", "body", "contributions__person__name"]
    search_help_text = "Headline, deck, body, or the name of anyone in the byline or credits."
    date_hierarchy = "published_at"
    ordering = ["-updated_at", "-pk"]
    list_per_page = 50
    # Counting every story on each page view is a full scan on a big table; the filtered
    # count the paginator needs is enough.
    show_full_result_count = False
    autocomplete_fields = ["section", "source", "lead_image"]
    readonly_fields = [
        "state",
        "published_at",
        "uuid",
        "first_published_at",
        "created_at",
        "updated_at",
        "version",
    ]
    fieldsets = [
        (None, {"fields": ["headline", "deck", "body", "summary"]}),
        (
            "Placement",
            {"fields": ["section", "article_type", "source", "dateline_place", "lead_image"]},
        ),
        ("Publication", {"fields": ["state", "published_at", "slug"]}),
        (
            "Record",
            {
                "classes": ["collapse"],
                "fields": [
                    "first_published_at",
                    "uuid",
                    "created_at",
                    "updated_at",
                    "version",
                ],
            },
        ),
    ]
    inlines = [
        BylineInline,
        CreditInline,
        TaggedArticleInline,
        RelatedLinkInline,
        CorrectionInline,
    ]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        else:
            obj.version += 1
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # After the inlines, so the revision holds the bylines, credits, links and tags.
        record_revision(form.instance, by=request.user, summary="Saved" if change else "Created")


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]
    list_editable = ["position"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "url"]
    formfield_overrides = HTTPS_URLS
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]


from . import admin_images  # noqa: E402, F401
