from itertools import chain, groupby

from django.conf import settings
from django.db.models import BooleanField, ExpressionWrapper, F, Q, Window
from django.db.models.functions import RowNumber
from django.http import HttpResponseNotFound, HttpResponseServerError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token
from django.views.generic import ListView

from articles.models import Article, pk_in_any
from articles.templatetags.listings import listed_stories, listed_stories_by_id

from . import cache as public_cache
from .context_processors import navigation_sections
from .pagination import KeptCountMixin

PAGE_SIZE = 20
# Stories in each section's block on the front page.
SECTION_BLOCK_SIZE = 4


def front_page(stories, sections, latest: int, per_section: int):
    """The ``latest`` newest of ``stories``, and for each of ``sections`` its ``per_section``
    newest not already among them: ``(latest stories, [(section, its stories), …])``,
    sections in navigation order, as ``ListedStory`` rows in two queries (the stories and
    their bylines, see ``listed_stories``).

    Picking them reads only candidates: the newest ``latest`` stories, and each section's
    newest ``latest + per_section`` (a story of the section among the latest is always one
    of its newest, so the ones after them are within that many). Each is a short walk down a
    listing index (``article_live_idx``, ``article_section_live_idx``), so the cost follows
    the number of sections, never the number of stories. Two row numbers over the candidates
    then pick the page: one across all of them, and one within each section counting only
    the stories not among the latest. ``stories`` are ``published()`` stories, newest first.

    The pick changes only when what readers see changes, so it is kept under the content
    generation (never past the next scheduled publication); until then the page fetches
    its stories by id through ``published()`` again (``listed_stories_by_id``, prepared
    queries).
    """
    name = f"front-page:{latest}:{per_section}"
    picked = public_cache.kept(name)
    if picked is public_cache.MISSING:
        front, blocks = _pick_front_page(stories, sections, latest, per_section)
        public_cache.keep(
            name, ([row.pk for row in front], [[row.pk for row in rows] for _, rows in blocks])
        )
        return front, blocks
    front_ids, block_ids = picked
    # In the kept order: the query needs none.
    kept_ids = [*front_ids, *chain(*block_ids)]
    found = {row.pk: row for row in listed_stories_by_id(kept_ids)}
    front = [found[pk] for pk in front_ids if pk in found]
    blocks = []
    for ids in block_ids:
        if rows := [found[pk] for pk in ids if pk in found]:
            blocks.append((rows[0].section, rows))
    return front, blocks


def _pick_front_page(stories, sections, latest: int, per_section: int):
    newest_first = [F("published_at").desc(), F("pk").desc()]
    by_date = stories.order_by(*newest_first).values("pk")
    latest_ids = by_date[:latest]
    subsets = [latest_ids, *(by_date.filter(section=s)[: latest + per_section] for s in sections)]
    candidates = pk_in_any(stories.db, *subsets)
    among_latest = ExpressionWrapper(Q(pk__in=latest_ids), output_field=BooleanField())
    rows = listed_stories(
        stories.filter(candidates)
        .annotate(
            front_rank=Window(RowNumber(), order_by=newest_first),
            section_rank=Window(
                RowNumber(), partition_by=[F("section_id"), among_latest], order_by=newest_first
            ),
        )
        .filter(Q(front_rank__lte=latest) | Q(section_rank__lte=per_section)),
        "front_rank",
        "section_rank",
    )
    # Shown once: a story among the latest is left out of its section's block.
    rest = sorted(
        (row for row in rows if row.front_rank > latest),
        key=lambda row: (row.section.position, row.section.name, row.section_rank),
    )
    blocks = [
        (section, list(group)) for section, group in groupby(rest, key=lambda row: row.section)
    ]
    return [row for row in rows if row.front_rank <= latest], blocks


class HomeView(KeptCountMixin, ListView):
    """The front page: the lead story, the latest ones, then a block for each section.

    Later pages (``?page=2``) carry on down the latest stories alone. Stories are
    ``ListedStory`` rows (``articles.templatetags.listings``), printed by its tags.
    """

    template_name = "home.html"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        # Built per request: published() compares against the time of this request. In
        # the order of for_listing(); the stories are read as rows (listed_stories), which
        # need none of its related objects.
        return Article.objects.published().order_by("-published_at", "-pk")

    def count_key(self) -> str:
        return "home"

    def paginate_queryset(self, queryset, page_size):
        paginator, page, stories, is_paginated = super().paginate_queryset(queryset, page_size)
        self.section_blocks = []
        if page.number == 1:
            # The first page's stories come with the section blocks, in one query.
            stories, self.section_blocks = front_page(
                queryset, navigation_sections(), page_size, SECTION_BLOCK_SIZE
            )
        else:
            stories = listed_stories(stories)
        page.object_list = stories
        return paginator, page, stories, is_paginated

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        stories = context["object_list"]
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
