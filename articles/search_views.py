"""The reader's search page, ``/search/?q=``. The rules live in ``articles.search``."""

from django.views.generic import ListView

from . import search
from .models import Article


class SearchView(ListView):
    """Published stories matching ``q``, best first, 20 a page, each with a snippet.

    No query, no search: the page offers the form. A query longer than
    ``search.MAX_QUERY_LENGTH`` is shortened, and the page says so.
    """

    template_name = "search/results.html"
    paginate_by = search.PAGE_SIZE

    def get_queryset(self):
        self.query, self.shortened = search.clean_query(self.request.GET.get("q", ""))
        if not self.query:
            return Article.objects.none()
        # Built per request: published() compares against the time of this request.
        return search.search(self.query)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            query=self.query,
            shortened=self.shortened,
            max_query_length=search.MAX_QUERY_LENGTH,
            hits=search.hits(context["object_list"], self.query) if self.query else [],
        )
        return context
