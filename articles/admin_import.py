"""Admin: upload a wire file and land on the draft it made (``<admin>/articles/article/import/``).

Anyone who may add stories may import them (reporters included). The rules are those of
``manage.py import_story`` (:mod:`articles.importers`), with the user's own permissions on
top: a reporter brings an existing draft up to date only when it is theirs, and only editors
may add a source the newsroom does not know yet. Bad copy comes back on the form with the
file and line at fault; nothing is saved.
"""

from __future__ import annotations

import contextlib

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from .importers import (
    Outcome,
    WireFormatError,
    WireImportError,
    default_section,
    human_size,
    import_wire_story,
    max_bytes,
    parse,
    read_stream,
)
from .models import Section

ADD_SOURCE_PERMISSION = "articles.add_source"


class WireImportForm(forms.Form):
    file = forms.FileField(
        label="Wire copy",
        help_text="A plain-text file (UTF-8): headline, byline with source, time and date, "
        "paragraphs, then the credit line.",
    )
    section = forms.ModelChoiceField(
        queryset=Section.objects.all(),
        help_text="Where a new story goes. A story imported before keeps its section.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text += f" At most {human_size(max_bytes())}."
        # Without a default wire section the desk chooses one each time.
        with contextlib.suppress(WireImportError):
            self.fields["section"].initial = default_section()


class ImportAdminMixin:
    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        my_urls = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="{}_{}_import".format(*info),
            ),
        ]
        return my_urls + super().get_urls()

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = WireImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                story = parse(read_stream(upload, upload.name, size=upload.size), upload.name)
                result = import_wire_story(
                    story,
                    by=request.user,
                    section=form.cleaned_data["section"],
                    may_update=lambda article: self.has_change_permission(request, article),
                    may_add_source=request.user.has_perm(ADD_SOURCE_PERMISSION),
                )
            except WireFormatError as error:
                form.add_error("file", str(error))
            except WireImportError as error:
                form.add_error("file", f"{upload.name}: {error}")
            except IntegrityError:
                form.add_error(
                    None, "Another change to the same story got in the way; import it again."
                )
            else:
                return self._imported(request, result)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import wire copy",
            "form": form,
        }
        return TemplateResponse(request, "admin/articles/article/import_form.html", context)

    def _imported(self, request, result) -> HttpResponseRedirect:
        article = result.article
        headline = article.headline
        if result.outcome == Outcome.CREATED:
            messages.success(request, f"Imported “{headline}” as a draft.")
        elif result.outcome == Outcome.UPDATED:
            messages.success(request, f"Updated the draft “{headline}” from the new copy.")
        elif result.outcome == Outcome.UNCHANGED:
            messages.info(
                request, f"“{headline}” was imported before from the same copy; nothing changed."
            )
        else:
            messages.warning(
                request, f"“{headline}” is already here, left as it is: {result.reason}."
            )
        for warning in result.warnings:
            messages.warning(request, warning)
        change_url = reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_change",
            args=[quote(article.pk)],
        )
        return HttpResponseRedirect(change_url)
