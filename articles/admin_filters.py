"""Change-list filters for the desk: state with scheduled apart, person, publication date."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG, PAGE_VAR
from django.contrib.admin.widgets import AutocompleteSelect
from django.db.models import Q
from django.utils import timezone

from people.models import Person

from .models import Contribution, State


class StatusFilter(admin.SimpleListFilter):
    """The workflow state, with a published story split into scheduled and live.

    ``state=published`` alone would mix a story readers can see with one still under
    embargo; the desk asks those two questions separately.
    """

    title = "status"
    parameter_name = "status"

    SCHEDULED = "scheduled"
    LIVE = "live"

    def lookups(self, request, model_admin):
        return [
            (State.DRAFT, State.DRAFT.label),
            (State.REVIEW, State.REVIEW.label),
            (State.READY, State.READY.label),
            (self.SCHEDULED, "Scheduled"),
            (self.LIVE, "Live"),
            (State.WITHDRAWN, State.WITHDRAWN.label),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value == self.LIVE:
            return queryset.published()
        if value == self.SCHEDULED:
            return queryset.scheduled()
        if value in (State.DRAFT, State.REVIEW, State.READY, State.WITHDRAWN):
            return queryset.filter(state=value)
        raise IncorrectLookupParameters(f"Unknown status “{value}”.")


class PersonFilterForm(forms.Form):
    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        # The same search-as-you-type box as the byline inline, fed by PersonAdmin's search.
        self.fields["person"] = forms.ModelChoiceField(
            queryset=Person.objects.all(),
            required=False,
            widget=AutocompleteSelect(
                Contribution._meta.get_field("person"),
                admin_site,
                attrs={"id": "desk-person-filter", "data-width": "100%"},
            ),
        )


class PersonFilter(admin.SimpleListFilter):
    """Stories a person is credited on, as a byline or a credit.

    A newsroom has thousands of contributors, so the sidebar never lists them: it shows the
    person chosen and the user's own person (for "my stories"), and an autocomplete box
    finds anyone else. One query, whatever the number of people.
    """

    title = "person (byline or credit)"
    parameter_name = "person"
    template = "admin/articles/article/budget_person_filter.html"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        # Unbound: a bound form would be validated to mark errors, costing a query for nothing.
        self.form = PersonFilterForm(
            initial={"person": self.value()}, admin_site=model_admin.admin_site
        )
        # Everything else on the page (search, other filters, ordering) survives a new pick.
        self.preserved_params = [
            (name, value)
            for name, values in request.GET.lists()
            if name not in (self.parameter_name, PAGE_VAR, ERROR_FLAG)
            for value in values
        ]

    def person_pk(self) -> int | None:
        value = self.value()
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise IncorrectLookupParameters(f"Unknown person “{value}”.") from None

    def lookups(self, request, model_admin):
        selected = self.person_pk()
        wanted = Q(user_id=request.user.pk)
        if selected is not None:
            wanted |= Q(pk=selected)
        choices = []
        for person in Person.objects.filter(wanted).order_by("name"):
            label = f"{person.name} (you)" if person.user_id == request.user.pk else person.name
            choices.append((person.pk, label))
        return choices

    def has_output(self):
        # Shown even with nothing to list: the autocomplete box is the way in.
        return True

    def queryset(self, request, queryset):
        pk = self.person_pk()
        if pk is None:
            return queryset
        # A subquery, not a join: a person with a byline and a credit gives one row.
        return queryset.filter(
            pk__in=Contribution.objects.filter(person_id=pk).values("article_id")
        )


class PublicationDateFilter(admin.DateFieldListFilter):
    """Django's date choices, plus the days ahead a desk plans for."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        day = datetime.timedelta(days=1)
        ahead = (
            (
                "Tomorrow",
                {self.lookup_kwarg_since: today + day, self.lookup_kwarg_until: today + 2 * day},
            ),
            (
                "Next 7 days",
                {self.lookup_kwarg_since: today, self.lookup_kwarg_until: today + 8 * day},
            ),
        )
        # After "Any date" and "Today".
        self.links = self.links[:2] + ahead + self.links[2:]
