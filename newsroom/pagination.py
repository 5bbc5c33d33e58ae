"""Paginated listings of published stories that do not count them on every request.

"Page 3 of 412" needs the number of stories in the listing, and at newsroom scale counting
them is the most expensive query of the page: a walk of the whole listing index (every
published story, for the front page). The number changes only when what readers see changes,
so it is kept under the content generation (``newsroom.cache.kept_for_generation``): a
publish, withdrawal or edit starts a new count, and none is kept past the next scheduled
publication, when the clock alone changes it.
"""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

from .cache import kept_for_generation


class KeptCountPaginator(Paginator):
    """A ``Paginator`` whose count is kept per content generation under ``count_key``."""

    def __init__(self, *args, count_key: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.count_key = count_key

    @cached_property
    def count(self) -> int:
        return kept_for_generation(
            f"count:{self.count_key}", lambda: Paginator.count.func(self), clock=True
        )


class KeptCountMixin:
    """For a ``ListView`` of published stories: ``count_key()`` names the listing.

    The key must identify the listing completely (its kind and its object), since every
    listing's count lives in the same cache.
    """

    paginator_class = KeptCountPaginator

    def count_key(self) -> str:
        raise NotImplementedError

    def get_paginator(self, queryset, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        return self.paginator_class(
            queryset,
            per_page,
            orphans=orphans,
            allow_empty_first_page=allow_empty_first_page,
            count_key=self.count_key(),
            **kwargs,
        )
