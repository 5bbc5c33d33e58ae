from itertools import groupby

from django.conf import settings
from django.db.models import F, Q, Window
from django.db.models.functions import RowNumber
from django.http import HttpResponseNotFound, HttpResponseServerError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token
from django.views.generic import ListView

from articles.models import Article

PAGE_SIZE = 20
# Stories in each section's block on the front page.
SECTION_BLOCK_SIZE = 4


def front_page(stories, latest: int, per_section: int):
    """The ``latest`` newest of ``stories``, and for each section its ``per_section`` newest
    not already among them: ``(latest stories, [(section, its stories), …])``, sections in
    navigation order, in one query.

    Two row numbers over the same order, one across all stories and one within each
    section, pick both at once, so the front page costs the same however many sections
    there are. A section's stories among the latest are always its newest, so its next
    ``per_section`` are within its first ``latest + per_section``. ``stories`` comes from
    ``for_listing()``; its prefetches run once for every story picked.
    """
    newest_first = [F("published_at").desc(), F("pk").desc()]
    rows = list(
        stories.annotate(
            front_rank=Window(RowNumber(), order_by=newest_first),
            section_rank=Window(RowNumber(), partition_by=F("section_id"), order_by=newest_first),
        ).filter(Q(front_rank__lte=latest) | Q(section_rank__lte=latest + per_section))
    )
    # Shown once: a story among the latest is left out of its section's block.
    rest = sorted(
        (row for row in rows if row.front_rank > latest),
        key=lambda row: (row.section.position, row.section.name, row.section_rank),
    )
    blocks = [
        (section, list(group)[:per_section])
        for section, group in groupby(rest, key=lambda row: row.section)
    ]
    return [row for row in rows if row.front_rank <= latest], blocks


class HomeView(ListView):
    """The front page: the lead story, the latest ones, then a block for each section.

    Later pages (``?page=2``) carry on down the latest stories alone.
    """

    template_name = "home.html"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        # Built per request: published() compares against the time of this request.
        return Article.objects.published().for_listing()

    def paginate_queryset(self, queryset, page_size):
        paginator, page, stories, is_paginated = super().paginate_queryset(queryset, page_size)
        self.section_blocks = []
        if page.number == 1:
            # The first page's stories come with the section blocks, in one query.
            stories, self.section_blocks = front_page(queryset, page_size, SECTION_BLOCK_SIZE)
            page.object_list = stories
        return paginator, page, stories, is_paginated

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        stories = list(context["object_list"])
        on_front = context["page_obj"].number == 1
        context.update(
            lead_story=stories[0] if on_front and stories else None,
            latest_stories=stories[1:] if on_front else stories,
            section_blocks=self.section_blocks,
        )
        return context


@requires_csrf_token
def page_not_found(request, exception):
    """The 404 page in the site's layout, kept out of search engines."""
    template = loader.get_template("404.html")
    context = {"request_path": request.path, "meta_robots": "noindex"}
    return HttpResponseNotFound(template.render(context, request))


@requires_csrf_token
def server_error(request):
    """The 500 page, rendered without the database or context processors: whatever broke
    the request may be the database itself.
    """
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render({"site_name": settings.NEWSROOM_NAME}))
