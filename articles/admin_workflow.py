"""Admin: workflow buttons, transition pages, change-list actions, role-based editing.

Every transition goes through ``articles.workflow``: this module only asks for the comment
(and the publication time or the public notice), calls ``workflow.perform`` and reports.
"Not allowed" surfaces as ``PermissionDenied`` (a 403), "not possible now" as a message.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers, widgets
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import model_ngettext, unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date

from . import workflow
from .models import Article, State, WorkflowEvent
from .workflow import Action, WorkflowError

# How the desk sees a scheduled time: "09:30, 16 September" in the newsroom's zone.
SCHEDULE_FORMAT = "H:i, j F"

# Completes "“Headline” was …" and "2 stories …".
DONE = {
    Action.SUBMIT: "submitted for review",
    Action.SEND_BACK: "sent back to the reporter",
    Action.APPROVE: "approved",
    Action.PUBLISH: "published",
    Action.UNPUBLISH: "unscheduled",
    Action.WITHDRAW: "withdrawn",
    Action.RETURN_TO_DRAFT: "returned to draft",
}

CHANGELIST_DESCRIPTIONS = {
    Action.SUBMIT: "Submit selected stories for review",
    Action.SEND_BACK: "Send selected stories back to the reporter",
    Action.APPROVE: "Approve selected stories",
    Action.PUBLISH: "Publish selected stories (now or at a time)",
    Action.UNPUBLISH: "Unschedule selected stories",
    Action.WITHDRAW: "Withdraw selected stories",
    Action.RETURN_TO_DRAFT: "Return selected stories to draft",
}

# Deleting these would silently break links readers hold; the desk withdraws them instead.
UNDELETABLE_STATES = frozenset({State.PUBLISHED, State.WITHDRAWN})


def status_label(article: Article) -> str:
    """The story's state as the desk says it, with the time when it is scheduled."""
    if article.is_scheduled:
        when = format_date(timezone.localtime(article.published_at), SCHEDULE_FORMAT)
        return f"Scheduled for {when}"
    return article.get_state_display()


def _permission_name(action: str) -> str:
    """``articles.review_article`` → ``review``, matching ``has_review_permission``."""
    codename = workflow.permission_for(action).split(".", 1)[1]
    return codename.removesuffix("_article")


class TransitionForm(forms.Form):
    """What a transition asks for: a comment, plus the time to publish or the public notice."""

    def __init__(self, *args, action: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.action = action
        if action == Action.PUBLISH:
            zone = timezone.get_current_timezone_name()
            self.fields["publish_at"] = forms.SplitDateTimeField(
                label="Publish at",
                required=False,
                widget=widgets.AdminSplitDateTime,
                help_text=(
                    f"Newsroom time ({zone}). Leave blank to publish now; a time ahead "
                    "schedules the story (embargo): readers cannot see it until then."
                ),
            )
        if action == Action.WITHDRAW:
            self.fields["notice"] = forms.CharField(
                label="Public notice",
                max_length=500,
                widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
                help_text=(
                    "Shown to readers at the story's address instead of the story, e.g. "
                    "“This article has been withdrawn pending a legal review.”"
                ),
            )
        self.fields["comment"] = forms.CharField(
            label="Comment",
            required=False,
            widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
            help_text="Optional. Kept in the story's history for the desk; readers never see it.",
        )

    def clean_publish_at(self):
        at = self.cleaned_data.get("publish_at")
        # A mistyped "ahead" time that has already passed would publish an embargoed story at
        # once; make the desk say "now" by leaving the field blank instead.
        if at is not None and at <= timezone.now():
            raise forms.ValidationError(
                "That time has passed. Leave it blank to publish now, or choose a time ahead "
                "to schedule the story."
            )
        return at

    def workflow_kwargs(self) -> dict:
        """Keyword arguments for ``workflow.perform``."""
        data = self.cleaned_data
        return {
            "comment": data.get("comment", ""),
            "at": data.get("publish_at"),
            "notice": data.get("notice", ""),
        }


def _make_changelist_action(action: Action):
    @admin.action(
        permissions=[_permission_name(action)],
        description=CHANGELIST_DESCRIPTIONS[action],
    )
    def apply(modeladmin, request, queryset):
        return modeladmin.transition_selected(request, queryset, action)

    apply.__name__ = f"workflow_{action.value}"
    return apply


CHANGELIST_ACTIONS = [_make_changelist_action(action) for action in Action]


class WorkflowAdminMixin:
    transition_template = "admin/articles/article/transition_form.html"
    transition_selected_template = "admin/articles/article/transition_selected.html"

    # --- Who may edit and delete what --------------------------------------------------------

    def _edits_any_story(self, request) -> bool:
        # Editors and publishers (review rights) edit anyone's story; reporters their own.
        return request.user.has_perm("articles.review_article")

    def _is_own(self, request, obj: Article) -> bool:
        return obj.created_by_id is not None and obj.created_by_id == request.user.pk

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        if obj is None or self._edits_any_story(request):
            return True
        # A reporter's own story stays theirs to edit until they submit it.
        return self._is_own(request, obj) and obj.state == State.DRAFT

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.state in UNDELETABLE_STATES:
            return False
        return super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        # The bulk "delete selected" action asks only has_delete_permission(request); refuse
        # published and withdrawn stories there too (its confirmation page lists the reason).
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        if any(obj.state in UNDELETABLE_STATES for obj in objs):
            perms_needed.add("published or withdrawn stories (withdraw a story instead)")
        return deleted, model_count, perms_needed, protected

    # --- Permissions of the change-list actions (``@admin.action(permissions=[...])``) -------

    def has_submit_permission(self, request) -> bool:
        return request.user.has_perm("articles.submit_article")

    def has_review_permission(self, request) -> bool:
        return request.user.has_perm("articles.review_article")

    def has_publish_permission(self, request) -> bool:
        return request.user.has_perm("articles.publish_article")

    # --- The rules, on top of the workflow's own --------------------------------------------

    def workflow_check(self, request, obj: Article, action: str) -> workflow.Transition:
        """Raise ``PermissionDenied`` or ``WorkflowError`` unless the user may take ``action``.

        Adds the admin's rules to ``workflow.check``: the user must be able to see the story,
        and a reporter submits only their own.
        """
        if not self.has_view_permission(request, obj):
            raise PermissionDenied("You may not see this story.")
        if (
            action == Action.SUBMIT
            and not self._edits_any_story(request)
            and not self._is_own(request, obj)
        ):
            raise PermissionDenied("Reporters submit only their own stories.")
        return workflow.check(obj, action, request.user)

    def workflow_actions(self, request, obj: Article) -> list[str]:
        """The actions to offer on ``obj``: allowed for this user and possible now."""
        offered = []
        for action in workflow.available_actions(obj, request.user):
            try:
                self.workflow_check(request, obj, action)
            except (PermissionDenied, WorkflowError):
                continue
            offered.append(action)
        return offered

    # --- The change form's panel -------------------------------------------------------------

    def _transition_url(self, obj: Article, action: str) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_transition",
            args=[obj.pk, action],
            current_app=self.admin_site.name,
        )

    def _change_url(self, obj: Article) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=[obj.pk],
            current_app=self.admin_site.name,
        )

    def workflow_panel_context(self, request, obj: Article) -> dict:
        events = list(WorkflowEvent.objects.filter(article=obj).select_related("by"))
        for event in events:
            event.label = Action(event.action).label if event.action in Action.values else ""
        return {
            "state": obj.state,
            "status": status_label(obj),
            "withdrawal_notice": obj.withdrawal_notice if obj.state == State.WITHDRAWN else "",
            "actions": [
                {
                    "action": action,
                    "label": Action(action).label,
                    "url": self._transition_url(obj, action),
                }
                for action in self.workflow_actions(request, obj)
            ],
            "events": events,
        }

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            context["workflow"] = self.workflow_panel_context(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- One story: confirmation page, then the transition -----------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        my_urls = [
            path(
                "<path:object_id>/transition/<str:action>/",
                self.admin_site.admin_view(self.transition_view),
                name="{}_{}_transition".format(*info),
            )
        ]
        return my_urls + super().get_urls()

    def _done_message(self, obj: Article, action: str) -> str:
        if action == Action.PUBLISH and obj.is_scheduled:
            when = format_date(timezone.localtime(obj.published_at), SCHEDULE_FORMAT)
            return f"“{obj}” was scheduled for {when}; readers see it from then."
        return f"“{obj}” was {DONE[action]}."

    def transition_view(self, request, object_id, action):
        """GET: confirm, asking for a comment (and time or notice). POST: take the action."""
        if request.method not in ("GET", "HEAD", "POST"):
            return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if action not in Action.values:
            raise Http404(f"No workflow action “{action}”.")
        change_url = self._change_url(obj)
        try:
            transition = self.workflow_check(request, obj, action)
        except WorkflowError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(change_url)

        form = TransitionForm(request.POST if request.method == "POST" else None, action=action)
        if form.is_valid():
            try:
                obj = workflow.perform(obj, action, by=request.user, **form.workflow_kwargs())
            except WorkflowError as error:
                # Someone else moved the story between the page and the button.
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(request, self._done_message(obj, action), messages.SUCCESS)
            return HttpResponseRedirect(change_url)

        label = Action(action).label
        context = {
            **self.admin_site.each_context(request),
            "title": f"{label}: {obj}",
            "subtitle": None,
            "opts": self.opts,
            "original": obj,
            "action": action,
            "action_label": label,
            "status": status_label(obj),
            "target_label": State(transition.target).label,
            "form": form,
            "media": self.media + form.media,
            "change_url": change_url,
            "now": timezone.localtime(),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.transition_template, context)

    # --- Many stories: the change list's actions ---------------------------------------------

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.actions is None or IS_POPUP_VAR in request.GET:
            return actions
        for func in CHANGELIST_ACTIONS:
            permitted = all(
                getattr(self, f"has_{permission}_permission")(request)
                for permission in func.allowed_permissions
            )
            if permitted:
                func, name, description = self.get_action(func)
                actions[name] = (func, name, description)
        return actions

    def transition_selected(self, request, queryset, action: str):
        """Confirmation page for the selected stories, then the action on each of them.

        Each story is its own transaction: one that cannot take the action is reported by
        name and does not stop the others.
        """
        stories = list(queryset)
        confirmed = request.POST.get("post") == "yes"
        form = TransitionForm(request.POST if confirmed else None, action=action)
        if confirmed and form.is_valid():
            done, failed = [], []
            for story in stories:
                try:
                    self.workflow_check(request, story, action)
                    workflow.perform(story, action, by=request.user, **form.workflow_kwargs())
                except (PermissionDenied, WorkflowError) as error:
                    failed.append((story, error))
                else:
                    done.append(story)
            self._report_selected(request, action, done, failed)
            return None  # Back to the change list.

        rows = []
        for story in stories:
            try:
                self.workflow_check(request, story, action)
            except (PermissionDenied, WorkflowError) as error:
                rows.append({"story": story, "status": status_label(story), "problem": error})
            else:
                rows.append({"story": story, "status": status_label(story), "problem": None})
        ready = sum(1 for row in rows if row["problem"] is None)
        label = Action(action).label
        context = {
            **self.admin_site.each_context(request),
            "title": f"{label}: {ready} of {len(rows)} selected {model_ngettext(self.opts, 2)}",
            "subtitle": None,
            "opts": self.opts,
            "action": action,
            "action_name": f"workflow_{action}",
            "action_label": label,
            "rows": rows,
            "ready_count": ready,
            "form": form,
            "media": self.media + form.media,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "now": timezone.localtime(),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.transition_selected_template, context)

    def _report_selected(self, request, action: str, done: list, failed: list) -> None:
        if done:
            count = f"{len(done)} {model_ngettext(self.opts, len(done))}"
            verb = DONE[action]
            if action == Action.PUBLISH and done[0].is_scheduled:
                when = format_date(timezone.localtime(done[0].published_at), SCHEDULE_FORMAT)
                verb = f"scheduled for {when}"
            names = ", ".join(f"“{story}”" for story in done)
            self.message_user(request, f"{count} {verb}: {names}.", messages.SUCCESS)
        for story, error in failed:
            self.message_user(
                request, f"“{story}” was not {DONE[action]}: {error}", messages.ERROR
            )
