"""The reader's search page, ``/search/?q=``. The rules live in ``articles.search``."""

from django.utils.formats import number_format
from django.views.generic import ListView

from . import search


class SearchView(ListView):
    """Published stories matching ``q``, best first, 20 a page, each with a snippet.

    No query, no search: the page offers the form. A query longer than
    ``search.MAX_QUERY_LENGTH`` is shortened, and the page says so. A query matching more than
    ``search.RANK_ALL_UP_TO`` stories lists its newest ``search.RANKED_NEWEST`` only, ranked,
    and the page says that too (``search.results``).
    """

    template_name = "search/results.html"
    paginate_by = search.PAGE_SIZE

    def get_queryset(self):
        self.query, self.shortened = search.clean_query(self.request.GET.get("q", ""))
        # Built per request: published() compares against the time of this request. Not a
        # queryset: the paginator counts it with len() and slices a page of it.
        self.results = search.results(self.query) if self.query else search.Results()
        return self.results

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            query=self.query,
            shortened=self.shortened,
            max_query_length=search.MAX_QUERY_LENGTH,
            # When set, the page lists only the newest matches.
            more_than=number_format(search.RANK_ALL_UP_TO, force_grouping=True)
            if self.results.more
            else None,
            ranked_newest=search.RANKED_NEWEST,
            hits=search.hits(context["object_list"], self.query) if self.query else [],
        )
        return context
