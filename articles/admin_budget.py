"""Admin: the desk's budget page and what the change list prints about each story.

Two notions the desk reads everywhere, defined once here:

*Status* is the workflow state, except that a published story is either *scheduled* (its
publication time lies ahead: readers cannot see it yet) or *published* (live), each printed
with its local time.

*Holder* is who has the story in hand now:

1. whoever has it open in the admin, while their edit lease is live (renewed within
   ``NEWSROOM_EDIT_LEASE_SECONDS``) — printed "editing";
2. otherwise, for a draft, the reporter who started it (a story sent back returns to them);
3. otherwise, the last person who moved it through the workflow: the reporter who submitted
   it for review, the editor who approved it, the publisher who published or withdrew it;
4. a story with no workflow history falls back to the person who started it.

The budget page (``<admin>/articles/article/budget/?day=YYYY-MM-DD``) shows one local day of
the newsroom's ``TIME_ZONE``: that day's schedule with times, then the stories in progress
and around the schedule, by state and section. Its groups are disjoint, so the counts at the
top add up:

- *Scheduled* — publication time within the day and either still ahead, or set ahead of time
  and since gone live (it stays on the day's schedule it was planned for);
- *In review*, *Ready*, *Draft* — every story in that state now, whatever the day;
- *Scheduled later* — publication time after the day and still ahead;
- *Published* — gone live within the day when it was published, not planned ahead.

Every page loads its stories in a fixed number of queries: section, starter and lease holder
joined, bylines and the latest workflow event prefetched in one query each.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from . import locking
from .models import Article, Contribution, EditLease, Section, State, WorkflowEvent
from .workflow import Action

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser

# Joined into every desk row: what the status, section and holder columns print.
DESK_SELECT_RELATED = ("section", "created_by", "lease__user")


def desk_prefetches() -> list[Prefetch]:
    """Bylines with their people, and only the latest workflow event, one query each."""
    return [
        Prefetch(
            "contributions",
            queryset=Contribution.objects.filter(kind=Contribution.Kind.BYLINE)
            .select_related("person")
            .order_by("position", "pk"),
            to_attr="desk_bylines",
        ),
        Prefetch(
            "events",
            # A sliced prefetch: the database keeps one row per story (a window function).
            queryset=WorkflowEvent.objects.select_related("by").order_by("-at", "-pk")[:1],
            to_attr="desk_latest_events",
        ),
    ]


def for_desk(queryset):
    return queryset.select_related(*DESK_SELECT_RELATED).prefetch_related(*desk_prefetches())


# --- Status --------------------------------------------------------------------------------


def local_time_label(when: datetime.datetime, now: datetime.datetime) -> str:
    """The local time and day, "14:00, 30 Nov"; with the year when it is not this year's."""
    local = timezone.localtime(when)
    fmt = "H:i, j M" if local.year == timezone.localtime(now).year else "H:i, j M Y"
    return date_format(local, fmt)


def status_label(article: Article, now: datetime.datetime) -> tuple[str, str]:
    """``(key, label)``: ``("scheduled", "Scheduled 14:00, 30 Nov")``, ``("draft", "Draft")``."""
    if article.state == State.PUBLISHED and article.published_at is not None:
        when = local_time_label(article.published_at, now)
        if article.published_at > now:
            return "scheduled", f"Scheduled {when}"
        return "live", f"Published {when}"
    return article.state, article.get_state_display()


# --- Holder --------------------------------------------------------------------------------

# How the latest workflow step reads next to its author's name.
ACTED = {
    Action.SUBMIT: "submitted",
    Action.SEND_BACK: "sent back",
    Action.APPROVE: "approved",
    Action.PUBLISH: "published",
    Action.UNPUBLISH: "unscheduled",
    Action.WITHDRAW: "withdrew",
    Action.RETURN_TO_DRAFT: "returned to draft",
}


@dataclass(frozen=True)
class Holder:
    user: AbstractUser
    how: str
    editing: bool = False

    @property
    def name(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


def live_lease(article: Article, now: datetime.datetime) -> EditLease | None:
    try:
        lease = article.lease
    except EditLease.DoesNotExist:
        return None
    return lease if locking.is_live(lease, now) else None


def latest_event(article: Article) -> WorkflowEvent | None:
    events = getattr(article, "desk_latest_events", None)
    if events is None:
        return article.events.select_related("by").order_by("-at", "-pk").first()
    return events[0] if events else None


def planned_ahead(article: Article) -> bool:
    """Was the story's publication set for a time ahead of the moment it was published?"""
    event = latest_event(article)
    return (
        event is not None
        and event.action == Action.PUBLISH
        and event.publish_at is not None
        and event.publish_at > event.at
    )


def holder_of(article: Article, now: datetime.datetime) -> Holder | None:
    """Who has the story in hand now (see the module docstring); None when nobody is known."""
    lease = live_lease(article, now)
    if lease is not None:
        return Holder(lease.user, "editing", editing=True)
    starter = Holder(article.created_by, "started it") if article.created_by_id else None
    if article.state == State.DRAFT and starter:
        return starter
    event = latest_event(article)
    if event is not None and event.by_id:
        how = "scheduled" if planned_ahead(article) else ACTED.get(event.action, event.action)
        return Holder(event.by, how)
    return starter


def bylines_of(article: Article) -> list[Contribution]:
    bylines = getattr(article, "desk_bylines", None)
    return article.bylines if bylines is None else bylines


# --- The change list -----------------------------------------------------------------------


class DeskChangeListMixin:
    """Prefetches what the desk columns print, so a page costs the same for any story count."""

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        return queryset.prefetch_related(*desk_prefetches())


@cache
def desk_changelist(base: type[ChangeList]) -> type[ChangeList]:
    return type(f"Desk{base.__name__}", (DeskChangeListMixin, base), {})


# --- The budget page -----------------------------------------------------------------------


class BudgetDayForm(forms.Form):
    day = forms.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """Midnight to midnight of ``day`` in the newsroom's time zone, as aware datetimes."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    end = timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    )
    return start, end


SCHEDULED = "scheduled"
SCHEDULED_LATER = "scheduled_later"
PUBLISHED = "published"
GROUP_ORDER = [SCHEDULED, State.REVIEW, State.READY, State.DRAFT, SCHEDULED_LATER, PUBLISHED]


def budget_group(
    article: Article, start: datetime.datetime, end: datetime.datetime, now: datetime.datetime
) -> str | None:
    """The budget group of ``article`` for the day from ``start`` to ``end``; None when off it."""
    if article.state in (State.REVIEW, State.READY, State.DRAFT):
        return article.state
    if article.state != State.PUBLISHED or article.published_at is None:
        return None
    when = article.published_at
    if start <= when < end:
        return SCHEDULED if when > now or planned_ahead(article) else PUBLISHED
    if when >= end and when > now:
        return SCHEDULED_LATER
    return None


def section_order(section: Section) -> tuple:
    return (section.position, section.name, section.pk)


@dataclass
class BudgetRow:
    article: Article
    status_key: str
    status: str
    holder: Holder | None

    @property
    def bylines(self) -> str:
        return ", ".join(c.person.name for c in bylines_of(self.article))


@dataclass
class BudgetGroup:
    key: str
    title: str
    rows: list[BudgetRow] = field(default_factory=list)

    @property
    def timed(self) -> bool:
        """Does the group's order come from publication times (so its rows print them)?"""
        return self.key in (SCHEDULED, SCHEDULED_LATER, PUBLISHED)

    @property
    def by_section(self) -> list[tuple[Section, list[BudgetRow]]]:
        """The rows split by section, sections in the site's order, rows in the group's."""
        sections: dict[int, tuple[Section, list[BudgetRow]]] = {}
        for row in self.rows:
            section = row.article.section
            sections.setdefault(section.pk, (section, []))[1].append(row)
        return sorted(sections.values(), key=lambda item: section_order(item[0]))


@dataclass
class Budget:
    day: datetime.date
    is_today: bool
    groups: list[BudgetGroup]

    @property
    def schedule(self) -> BudgetGroup:
        return self.groups[0]

    @property
    def state_groups(self) -> list[BudgetGroup]:
        return self.groups[1:]

    @property
    def total(self) -> int:
        return sum(len(group.rows) for group in self.groups)

    @property
    def counts(self) -> list[tuple[Section, list[int], int]]:
        """Per section, in the site's order: the count of each group and their sum."""
        sections: dict[int, Section] = {}
        cells: dict[tuple[int, str], int] = {}
        for group in self.groups:
            for row in group.rows:
                section = row.article.section
                sections[section.pk] = section
                cells[section.pk, group.key] = cells.get((section.pk, group.key), 0) + 1
        ordered = sorted(sections.values(), key=section_order)
        table = []
        for section in ordered:
            numbers = [cells.get((section.pk, group.key), 0) for group in self.groups]
            table.append((section, numbers, sum(numbers)))
        return table

    @property
    def count_totals(self) -> list[int]:
        return [len(group.rows) for group in self.groups]


def group_titles(day: datetime.date, is_today: bool) -> dict[str, str]:
    label = date_format(day, "l j F")
    return {
        SCHEDULED: "Scheduled today" if is_today else f"Scheduled for {label}",
        State.REVIEW: State.REVIEW.label,
        State.READY: State.READY.label,
        State.DRAFT: State.DRAFT.label,
        SCHEDULED_LATER: "Scheduled later",
        PUBLISHED: "Published today" if is_today else f"Published on {label}",
    }


def build_budget(queryset, *, day: datetime.date, now: datetime.datetime) -> Budget:
    """The budget of local ``day`` from ``queryset`` (the stories the user may see)."""
    start, end = day_bounds(day)
    candidates = for_desk(
        queryset.filter(
            Q(state__in=[State.REVIEW, State.READY, State.DRAFT])
            | Q(state=State.PUBLISHED, published_at__gte=start, published_at__lt=end)
            | Q(state=State.PUBLISHED, published_at__gte=end, published_at__gt=now)
        )
    ).order_by("-updated_at", "-pk")

    is_today = day == timezone.localdate(now)
    titles = group_titles(day, is_today)
    groups = {key: BudgetGroup(key, titles[key]) for key in GROUP_ORDER}
    for article in candidates:
        key = budget_group(article, start, end, now)
        if key is None:
            continue
        status_key, status = status_label(article, now)
        groups[key].rows.append(BudgetRow(article, status_key, status, holder_of(article, now)))

    # The schedule reads as a timetable, scheduled stories come up in the order they go out,
    # the day's live stories newest first; stories in progress, last touched first.
    groups[SCHEDULED].rows.sort(key=lambda row: row.article.published_at)
    groups[SCHEDULED_LATER].rows.sort(key=lambda row: row.article.published_at)
    groups[PUBLISHED].rows.sort(key=lambda row: row.article.published_at, reverse=True)
    return Budget(day=day, is_today=is_today, groups=[groups[key] for key in GROUP_ORDER])


class BudgetAdminMixin:
    """The budget page, the desk columns of the change list and the person filter's media."""

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        my_urls = [
            path(
                "budget/",
                self.admin_site.admin_view(self.budget_view),
                name="{}_{}_budget".format(*info),
            ),
        ]
        return my_urls + super().get_urls()

    def get_changelist(self, request, **kwargs):
        return desk_changelist(super().get_changelist(request, **kwargs))

    @property
    def media(self):
        # The person list filter is an autocomplete box, like the byline inline's.
        person = Contribution._meta.get_field("person")
        return super().media + AutocompleteSelect(person, self.admin_site).media

    def budget_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        now = timezone.now()
        today = timezone.localdate(now)
        form = BudgetDayForm(request.GET if "day" in request.GET else None, initial={"day": today})
        day = today
        if form.is_valid() and form.cleaned_data["day"]:
            day = form.cleaned_data["day"]
        budget = build_budget(self.get_queryset(request), day=day, now=now)
        one_day = datetime.timedelta(days=1)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Desk budget — {date_format(day, 'l j F Y')}",
            "budget": budget,
            "form": form,
            "today": today,
            "previous_day": day - one_day,
            "next_day": day + one_day,
            "time_zone": timezone.get_current_timezone_name(),
        }
        return TemplateResponse(request, "admin/articles/article/budget.html", context)

    # Change-list columns.

    @admin.display(description="status", ordering="published_at")
    def desk_status(self, obj: Article) -> str:
        key, label = status_label(obj, timezone.now())
        return format_html('<span class="desk-status desk-status-{}">{}</span>', key, label)

    @admin.display(description="bylines")
    def byline_names(self, obj: Article) -> str:
        return ", ".join(c.person.name for c in bylines_of(obj))

    @admin.display(description="held by")
    def desk_holder(self, obj: Article) -> str | None:
        holder = holder_of(obj, timezone.now())
        if holder is None:
            return None
        if holder.editing:
            return format_html('<strong class="desk-editing">{}</strong> (editing)', holder.name)
        return format_html("{} ({})", holder.name, holder.how)
