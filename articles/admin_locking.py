"""Admin: edit leases ("being edited by X since HH:MM") and the lost-update guard.

Opening a story's change form takes its lease; ``lease.js`` keeps it alive with a heartbeat
and gives it back when the page goes away. Someone else opening the story meanwhile sees who
has it, and a user with ``articles.take_over_article`` may take it over from a confirmation
page (a page of its own: the notice sits inside the change <form>, which may hold no other
form). Saves are guarded by ``ArticleAdminForm.clean()`` through ``articles.locking``.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from . import locking
from .models import Article

# The page renews its lease this often: three heartbeats fit in a lease, so one lost
# request (or a background tab's throttled timer) does not let it lapse.
HEARTBEATS_PER_LEASE = 3
LONGEST_HEARTBEAT_SECONDS = 30


def heartbeat_seconds() -> int:
    return max(1, min(LONGEST_HEARTBEAT_SECONDS, locking.lease_seconds() // HEARTBEATS_PER_LEASE))


def _seen_at(request) -> datetime | None:
    """The last renewal the page knows of, as it sends it back (``seen``)."""
    try:
        value = parse_datetime(request.POST.get("seen", ""))
    except ValueError:
        return None
    if value is None:
        return None
    return value if timezone.is_aware(value) else timezone.make_aware(value)


class LockingAdminMixin:
    lease_take_over_template = "admin/articles/article/lease_take_over.html"

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        my_urls = [
            path(
                "<path:object_id>/lease/heartbeat/",
                wrap(require_POST(self.lease_heartbeat_view)),
                name=f"{name}_lease_heartbeat",
            ),
            path(
                "<path:object_id>/lease/release/",
                wrap(require_POST(self.lease_release_view)),
                name=f"{name}_lease_release",
            ),
            path(
                "<path:object_id>/lease/take-over/",
                wrap(self.lease_take_over_view),
                name=f"{name}_lease_take_over",
            ),
        ]
        return my_urls + super().get_urls()

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # modelform_factory made this class for this request alone, so the saver can ride on
        # it: the admin instantiates the form itself and passes no extra arguments.
        form.editing_user = request.user
        return form

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # Shown on opening the story and again when a save is refused (the editor is still
        # on the page, with their text), never after a save that leaves the page.
        if change and obj is not None and obj.pk:
            context.update(self.lease_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def lease_context(self, request, obj: Article) -> dict:
        """What lease_notice.html prints, taking the lease when the user may edit the story."""
        may_edit = self.has_change_permission(request, obj)
        lease = locking.acquire(obj, request.user) if may_edit else locking.current_holder(obj)
        if lease is None:
            return {}
        if lease.user_id == request.user.pk:
            return {
                "lease_held": True,
                "lease": lease,
                "lease_seen": lease.last_seen_at.isoformat(),
                "lease_heartbeat_url": self._lease_url("heartbeat", obj),
                "lease_release_url": self._lease_url("release", obj),
                "lease_heartbeat_seconds": heartbeat_seconds(),
            }
        return {
            "lease_held": False,
            "lease": lease,
            "lease_holder": locking.display_name(lease.user),
            "lease_since": locking.clock(lease.started_at),
            "lease_take_over_url": (
                self._lease_url("take_over", obj)
                if may_edit and request.user.has_perm(locking.TAKE_OVER_PERMISSION)
                else None
            ),
        }

    # --- Views ----------------------------------------------------------------------------

    def _lease_url(self, view: str, obj: Article) -> str:
        return reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_lease_{view}",
            args=[quote(obj.pk)],
        )

    def _lease_story(self, request, object_id: str) -> Article:
        """The story, if the user may edit it; else 404 or 403."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404("No such story.")
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        return obj

    def lease_heartbeat_view(self, request, object_id):
        """Renew the user's lease; answer whether they still hold it and, if not, who does.

        A page whose lease is gone while nobody else holds the story (restored from the
        back-forward cache, or a second tab of the same user closed) takes it again.
        """
        obj = self._lease_story(request, object_id)
        lease = locking.renew(obj, request.user) or locking.acquire(obj, request.user)
        if lease.user_id == request.user.pk:
            return JsonResponse(
                {"held": True, "seen": lease.last_seen_at.isoformat(), "message": ""}
            )
        holder = locking.display_name(lease.user)
        since = locking.clock(lease.started_at)
        taken_over = locking.was_taken_over(lease, _seen_at(request))
        if taken_over:
            message = f"{holder} took over this story at {since}."
        else:
            message = (
                f"This page went quiet and lost its hold on the story; {holder} has had it "
                f"open since {since}."
            )
        message += (
            " Your changes here can no longer be saved: copy what you need, then reload the story."
        )
        return JsonResponse(
            {
                "held": False,
                "taken_over": taken_over,
                "holder": holder,
                "since": since,
                "message": message,
            }
        )

    def lease_release_view(self, request, object_id):
        """Give the lease back (``navigator.sendBeacon`` on pagehide; nobody reads the answer)."""
        obj = self._lease_story(request, object_id)
        locking.release(obj, request.user, seen_at=_seen_at(request))
        return HttpResponse(status=204)

    def lease_take_over_view(self, request, object_id):
        """GET: who holds the story and what taking over means. POST: take it over."""
        obj = self._lease_story(request, object_id)
        if not request.user.has_perm(locking.TAKE_OVER_PERMISSION):
            raise PermissionDenied
        change_url = reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_change",
            args=[quote(obj.pk)],
        )
        lease = locking.current_holder(obj)
        if lease is None or lease.user_id == request.user.pk:
            # Nothing to take: the story is free (or already theirs); opening it takes it.
            return HttpResponseRedirect(change_url)
        holder = locking.display_name(lease.user)
        if request.method == "POST":
            locking.take_over(obj, request.user)
            self.message_user(
                request,
                f"You have taken over “{obj}” from {holder}. Their page tells them within "
                f"{heartbeat_seconds()} seconds; what they have not saved can no longer be "
                "saved.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(change_url)
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            self.lease_take_over_template,
            {
                **self.admin_site.each_context(request),
                "title": "Take over this story",
                "subtitle": None,
                "opts": self.opts,
                "original": obj,
                "object": obj,
                "lease": lease,
                "lease_holder": holder,
                "change_url": change_url,
            },
        )
