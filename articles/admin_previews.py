"""Admin: preview a story as readers will see it; share signed preview links; add corrections.

The story's tools for people outside the desk: previews before publication (for the desk
and, through share links, for legal or sources without an account) and corrections after.
Each action is its own page — GET shows a form, POST acts — because the change form's
panels sit inside the change <form> and may not hold forms of their own. The pages call
:mod:`articles.previews` and :mod:`articles.corrections`, which hold the rules.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from . import previews
from .corrections import CORRECT_PERMISSION, CorrectionError, add_correction
from .models import Article, Correction, PreviewLink
from .views import render_preview

# Lives a share link can be given, besides the longest the settings allow.
LINK_LIVES = {
    "hour": ("1 hour", timedelta(hours=1)),
    "day": ("1 day", timedelta(days=1)),
    "week": ("7 days", timedelta(days=7)),
}
LONGEST = "max"


class PreviewLinkForm(forms.Form):
    note = forms.CharField(
        max_length=PreviewLink._meta.get_field("note").max_length,
        required=False,
        help_text="Who it is for, e.g. “legal” or “source: J. Wang”. Only the desk sees it.",
    )
    expires_in = forms.ChoiceField(label="Works for", initial="day")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        longest = previews.max_lifetime()
        days = longest.days
        self.fields["expires_in"].choices = [
            *((key, label) for key, (label, life) in LINK_LIVES.items() if life < longest),
            (LONGEST, f"{days} day{'s' if days != 1 else ''} (the longest allowed)"),
        ]

    def clean_expires_in(self) -> timedelta:
        key = self.cleaned_data["expires_in"]
        return previews.max_lifetime() if key == LONGEST else LINK_LIVES[key][1]


class CorrectionForm(forms.ModelForm):
    class Meta:
        model = Correction
        fields = ["kind", "text"]
        help_texts = {
            "text": "Printed on the story with the time, e.g. “An earlier version "
            "of this story misstated the date of the meeting.”"
        }


class PreviewAdminMixin:
    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        my_urls = [
            path(
                "<path:object_id>/preview/",
                wrap(self.preview_view),
                name=f"{name}_preview",
            ),
            path(
                "<path:object_id>/preview-links/add/",
                wrap(self.add_preview_link_view),
                name=f"{name}_preview_link_add",
            ),
            path(
                "<path:object_id>/preview-links/<uuid:link_uuid>/revoke/",
                wrap(self.revoke_preview_link_view),
                name=f"{name}_preview_link_revoke",
            ),
            path(
                "<path:object_id>/corrections/add/",
                wrap(self.add_correction_view),
                name=f"{name}_correction_add",
            ),
        ]
        return my_urls + super().get_urls()

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if change and obj is not None:
            context.update(self.preview_panel_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- Shared helpers -------------------------------------------------------------------

    def _admin_url(self, view: str, *args) -> str:
        return reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_{view}",
            args=[quote(a) for a in args],
        )

    def _story(self, request, object_id: str, permission: str | None = None) -> Article:
        """The story, if the user may see it (and holds ``permission``); else 404 or 403."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404("No such story.")
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        if permission and not request.user.has_perm(permission):
            raise PermissionDenied
        return obj

    def _page(self, request, template: str, obj: Article, title: str, **context):
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            f"admin/{self.opts.app_label}/{self.opts.model_name}/{template}",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": obj,
                "title": title,
                "change_url": self._admin_url("change", obj.pk),
                **context,
            },
        )

    def preview_panel_context(self, request, obj: Article) -> dict:
        """What preview_tools.html, preview_panel.html and the corrections inline print."""
        context = {"preview_url": self._admin_url("preview", obj.pk)}
        if request.user.has_perm(CORRECT_PERMISSION) and obj.is_live:
            context["correction_add_url"] = self._admin_url("correction_add", obj.pk)
        if not request.user.has_perm(previews.SHARE_PERMISSION):
            return context
        links = obj.preview_links.select_related("created_by").order_by("-created_at")
        context["preview_links"] = [
            {
                "link": link,
                "status": previews.status(link),
                "url": request.build_absolute_uri(previews.url_for(link)),
                "revoke_url": self._admin_url("preview_link_revoke", obj.pk, str(link.uuid)),
            }
            for link in links
        ]
        context["show_preview_links"] = True
        try:
            previews.check_shareable(obj)
        except previews.PreviewError as error:
            context["preview_link_unavailable"] = str(error)
        else:
            context["preview_link_add_url"] = self._admin_url("preview_link_add", obj.pk)
        return context

    # --- Previews -------------------------------------------------------------------------

    def preview_view(self, request, object_id):
        """The story exactly as readers will see it, whatever its state."""
        obj = self._story(request, object_id)
        article = Article.objects.for_page().get(pk=obj.pk)
        return render_preview(request, article, change_url=self._admin_url("change", obj.pk))

    def add_preview_link_view(self, request, object_id):
        obj = self._story(request, object_id, previews.SHARE_PERMISSION)
        back = self._admin_url("change", obj.pk) + "#preview-links"
        form = PreviewLinkForm(request.POST) if request.method == "POST" else PreviewLinkForm()
        try:
            previews.check_shareable(obj)
            if request.method == "POST" and form.is_valid():
                link = previews.make_link(
                    obj,
                    by=request.user,
                    expires_in=form.cleaned_data["expires_in"],
                    note=form.cleaned_data["note"],
                )
                url = request.build_absolute_uri(previews.url_for(link))
                self.message_user(
                    request,
                    format_html("Preview link made. Copy it from the list below: {}", url),
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(back)
        except previews.PreviewError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(back)
        return self._page(request, "preview_link_add.html", obj, "Share a preview link", form=form)

    def revoke_preview_link_view(self, request, object_id, link_uuid):
        obj = self._story(request, object_id, previews.SHARE_PERMISSION)
        link = get_object_or_404(
            PreviewLink.objects.select_related("created_by"), uuid=link_uuid, article=obj
        )
        if request.method == "POST":
            previews.revoke(link, by=request.user)
            self.message_user(
                request,
                f"Preview link “{link.note or 'no note'}” revoked: it no longer opens the story.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(self._admin_url("change", obj.pk) + "#preview-links")
        return self._page(
            request,
            "preview_link_revoke.html",
            obj,
            "Revoke a preview link",
            link=link,
            status=previews.status(link),
        )

    # --- Corrections ----------------------------------------------------------------------

    def add_correction_view(self, request, object_id):
        obj = self._story(request, object_id, CORRECT_PERMISSION)
        back = self._admin_url("change", obj.pk)
        if not obj.is_live:
            self.message_user(
                request,
                "Only a live story takes corrections; edit an unpublished story instead.",
                messages.ERROR,
            )
            return HttpResponseRedirect(back)
        form = CorrectionForm(request.POST) if request.method == "POST" else CorrectionForm()
        if request.method == "POST" and form.is_valid():
            try:
                correction = add_correction(
                    obj,
                    kind=form.cleaned_data["kind"],
                    text=form.cleaned_data["text"],
                    by=request.user,
                )
            except CorrectionError as error:
                form.add_error(None, str(error))
            else:
                self.message_user(
                    request,
                    f"{correction.get_kind_display()} added; it is on the story now.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(back + "#corrections-group")
        return self._page(
            request,
            "correction_add.html",
            obj,
            "Add a correction",
            form=form,
            corrections=obj.corrections.order_by("-created_at"),
            public_url=obj.get_absolute_url(),
        )
