"""Admin: a story's revisions — list, compare two, restore one.

Anyone who may view a story may read its history and compare revisions; restoring takes
``articles.review_article`` and the right to change that story. The rules live in
``articles.revisions``; these views only fetch, check and render.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Window
from django.db.models.fields.json import KeyTextTransform
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import capfirst

from .models import Article, Revision, State
from .revisions import RESTORE_PERMISSION, current_revision, diff, restore

# Revisions listed per page of a story's history.
REVISIONS_PER_PAGE = 100
# Revisions shown in the panel on the change form.
RECENT_REVISIONS = 5


def _number(value: str | None) -> int | None:
    """A revision number from a query parameter, or ``None`` when it is not one."""
    return int(value) if value and value.isascii() and value.isdigit() else None


def _with_previous(revisions: list[Revision], older: int | None) -> list[tuple[Revision, int]]:
    """Each revision (newest first) beside the number of the one before it, to compare with.

    ``older`` is the number of the revision after the last one listed, when there is one.
    """
    previous = [r.number for r in revisions[1:]] + [older]
    return list(zip(revisions, previous, strict=False))


class RevisionAdminMixin:
    revision_list_template = "admin/articles/article/revision_list.html"
    revision_compare_template = "admin/articles/article/revision_compare.html"
    revision_restore_template = "admin/articles/article/revision_restore.html"

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        my_urls = [
            path(
                "<path:object_id>/revisions/",
                view(self.revisions_view),
                name="{}_{}_revisions".format(*info),
            ),
            path(
                "<path:object_id>/revisions/compare/",
                view(self.revisions_compare_view),
                name="{}_{}_revisions_compare".format(*info),
            ),
            path(
                "<path:object_id>/revisions/<int:number>/restore/",
                view(self.revision_restore_view),
                name="{}_{}_revision_restore".format(*info),
            ),
        ]
        return my_urls + super().get_urls()

    def has_restore_revision_permission(self, request, obj: Article) -> bool:
        return request.user.has_perm(RESTORE_PERMISSION) and self.has_change_permission(
            request, obj
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk and not add:
            # One query for the panel and the tools link: the newest revisions, each
            # carrying the story's total, plus one more so the last shown has a "changes" link.
            newest = list(
                obj.revisions.defer("data")
                .select_related("created_by")
                .annotate(revisions_total=Window(Count("pk")))
                .order_by("-number")[: RECENT_REVISIONS + 1]
            )
            shown = newest[:RECENT_REVISIONS]
            older = newest[RECENT_REVISIONS].number if len(newest) > RECENT_REVISIONS else None
            context.update(
                {
                    "revisions_count": newest[0].revisions_total if newest else 0,
                    "revisions_recent": _with_previous(shown, older),
                }
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- Views --------------------------------------------------------------------------

    def _revisions_article(self, request, object_id: str) -> Article:
        article = self.get_object(request, unquote(object_id))
        if article is None:
            raise Http404("No such story.")
        if not self.has_view_permission(request, article):
            raise PermissionDenied
        return article

    def _revisions_context(self, request, article: Article, title: str, **extra) -> dict:
        request.current_app = self.admin_site.name
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": None,
            "opts": self.opts,
            "module_name": str(capfirst(self.opts.verbose_name_plural)),
            "object": article,
            "original": article,
            "has_restore_permission": self.has_restore_revision_permission(request, article),
            **extra,
        }

    def revisions_view(self, request, object_id):
        article = self._revisions_article(request, object_id)
        revisions = (
            article.revisions.defer("data")
            .select_related("created_by")
            .annotate(state_then=KeyTextTransform("state", "data"))
            .order_by("-number")
        )
        paginator = self.get_paginator(request, revisions, REVISIONS_PER_PAGE)
        page = paginator.get_page(request.GET.get("p"))
        listed = list(page.object_list)
        older = None
        if listed and page.has_next():
            older = (
                article.revisions.filter(number__lt=listed[-1].number)
                .order_by("-number")
                .values_list("number", flat=True)
                .first()
            )
        states = dict(State.choices)
        for revision in listed:
            revision.state_label = states.get(revision.state_then, revision.state_then or "")
        context = self._revisions_context(
            request,
            article,
            f"Revisions of “{article}”",
            rows=_with_previous(listed, older),
            page=page,
            page_range=paginator.get_elided_page_range(page.number),
            pagination_required=paginator.num_pages > 1,
        )
        return TemplateResponse(request, self.revision_list_template, context)

    def revisions_compare_view(self, request, object_id):
        article = self._revisions_article(request, object_id)
        a, b = _number(request.GET.get("a")), _number(request.GET.get("b"))
        if a is None or b is None:
            raise Http404("Choose two revisions to compare.")
        found = {
            r.number: r
            for r in article.revisions.select_related("created_by").filter(number__in={a, b})
        }
        if a not in found or b not in found:
            raise Http404("No such revision of this story.")
        old, new = found[min(a, b)], found[max(a, b)]
        context = self._revisions_context(
            request,
            article,
            f"Revision {old.number} → {new.number} of “{article}”",
            diff=diff(old, new),
        )
        return TemplateResponse(request, self.revision_compare_template, context)

    def revision_restore_view(self, request, object_id, number):
        article = self._revisions_article(request, object_id)
        revision = get_object_or_404(
            Revision.objects.select_related("created_by"), article=article, number=number
        )
        if not self.has_restore_revision_permission(request, article):
            raise PermissionDenied
        if request.method == "POST":
            return self._restore(request, article, revision)
        context = self._revisions_context(
            request,
            article,
            f"Restore revision {revision.number} of “{article}”?",
            revision=revision,
            # What a restore would change: from the story as it is now to the revision.
            diff=diff(current_revision(article), revision),
        )
        return TemplateResponse(request, self.revision_restore_template, context)

    def _revisions_url(self, name: str, article: Article) -> str:
        info = self.admin_site.name, self.opts.app_label, self.opts.model_name
        return reverse("{}:{}_{}_{}".format(*info, name), args=[quote(article.pk)])

    def _restore(self, request, article: Article, revision: Revision):
        try:
            restored = restore(article, revision, by=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(self._revisions_url("revisions", article))
        self.log_change(request, article, f"Restored revision {revision.number}.")
        self.message_user(
            request,
            f"Restored revision {revision.number}; the story is now at version "
            f"{restored.revision.number}.",
            messages.SUCCESS,
        )
        for note in restored.notes:
            self.message_user(request, note, messages.WARNING)
        return HttpResponseRedirect(self._revisions_url("change", article))
