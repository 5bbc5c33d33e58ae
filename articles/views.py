"""Public article pages. Every queryset here starts from ``Article.objects.published()``.

Two exceptions, each marked: a preview (the story as readers will see it, before they can)
and the notice left at a withdrawn story's address.
"""

from datetime import datetime

from django.db.models import BooleanField, Count, ExpressionWrapper, OuterRef, Q, Subquery
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import dateformat, timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import never_cache
from django.views.generic import DetailView, ListView, dates

from newsroom import cache as public_cache
from newsroom.context_processors import navigation_sections
from newsroom.pagination import KeptCountMixin
from newsroom.prepared import PreparedQuery, attach_related

from . import previews
from .models import (
    Article,
    ArticleRedirect,
    Section,
    Tag,
    TaggedArticle,
    page_prefetches,
    pk_in_any,
)
from .workflow import Action

PAGE_SIZE = 20
# Stories offered under "Related Stories" when the desk curated none.
RELATED_FALLBACK_SIZE = 4
ARTICLE_TEMPLATE = "articles/article_detail.html"
WITHDRAWN_TEMPLATE = "articles/article_withdrawn.html"


def tag_neighbours(story: Q, size: int = RELATED_FALLBACK_SIZE, now: datetime | None = None):
    """Ids of the published stories sharing most tags with ``story``, newest first among equals.

    A subquery (nothing runs until it is used), so a page can fetch the neighbours in the
    query that fetches the story itself.
    """
    story_tags = TaggedArticle.objects.filter(
        content_object__in=Article.objects.filter(story)
    ).values("tag")
    return (
        Article.objects.published(now)
        .exclude(story)
        .filter(tagged_items__tag__in=story_tags)
        .values("pk")
        .annotate(shared=Count("tagged_items"))
        .order_by("-shared", "-published_at", "-pk")
        .values("pk")[:size]
    )


# Parts of the page most stories lack: the story's row carries the id of one of their rows
# (or None), so the page skips their queries when it has none.
OPTIONAL_PARTS = {"related_links": "any_related_link", "corrections": "any_correction"}


def _marked(queryset, story: Q):
    """``queryset`` with each row marked ``is_story`` (matches ``story``) and, per optional
    part, the id of one of its rows or None (curated links whether or not their targets are
    live). A scalar subquery with a limit, not EXISTS: PostgreSQL may answer an EXISTS by
    hashing the whole table, while this one is always an index probe per row."""
    return queryset.annotate(
        is_story=ExpressionWrapper(story, output_field=BooleanField()),
        **{
            flag: Subquery(
                Article._meta.get_field(accessor)
                .related_model.objects.filter(article=OuterRef("pk"))
                .values("pk")[:1]
            )
            for accessor, flag in OPTIONAL_PARTS.items()
        },
    )


def _story_with(slug: str, now: datetime, known: list[int]):
    """The story at ``slug`` and the stories ``known`` (its neighbours), marked, all through
    ``published()``."""
    story = Q(slug=slug)
    return _marked(Article.objects.published(now).for_page_joined(), story).filter(
        story | Q(pk__in=known)
    )


def _story_with_tag_neighbours(slug: str, now: datetime):
    """The story at ``slug`` and the published stories sharing most of its tags, marked."""
    story = Q(slug=slug)
    wanted = pk_in_any(
        Article.objects.db,
        Article.objects.filter(story).values("pk"),
        tag_neighbours(story, now=now),
    )
    return _marked(Article.objects.published(now).for_page_joined(), story).filter(wanted)


def _page_part(index: int) -> PreparedQuery:
    """Part ``index`` of ``page_prefetches()`` for one story (by id), prepared."""

    def build(story: int, now: datetime):
        prefetch = page_prefetches(now)[index]
        relation = Article._meta.get_field(prefetch.prefetch_through)
        return prefetch.queryset.filter(**{relation.field.name: story})

    return PreparedQuery(build)


# The article page's queries, compiled once (``newsroom.prepared``): the story with its kept
# neighbours, then each part of the page.
STORY_WITH_NEIGHBOURS = PreparedQuery(_story_with)
STORY_WITH_TAG_NEIGHBOURS = PreparedQuery(_story_with_tag_neighbours)
PAGE_PARTS = [
    (prefetch.prefetch_through, prefetch.to_attr, _page_part(index))
    for index, prefetch in enumerate(page_prefetches())
]


def load_story(slug: str, now: datetime | None = None) -> tuple[Article, list[Article]]:
    """The published story at ``slug`` with everything its page prints, and the published
    stories sharing its tags, newest first: the fallback for related links.

    The story and its neighbours come in one query, so the article page keeps its fixed
    budget whether or not the desk curated related links. Ranking the neighbours reads every
    story sharing a tag, so their ids are kept until the next publish-relevant change
    (``newsroom.cache.keep``) and later requests fetch them by id. Then the story alone gets
    the parts of ``page_prefetches()``, a query each (none for related links or corrections
    when its row says it has none): a neighbour prints only its headline, address and
    section. These queries have the same shape on every request, so they are
    prepared (``newsroom.prepared``), and all apply the visibility rule at one time, ``now``.
    Raises ``Http404`` when no story matches.
    """
    now = now or timezone.now()
    name = f"neighbours:{slug}"
    known = public_cache.kept(name)
    if known is public_cache.MISSING:
        queryset = STORY_WITH_TAG_NEIGHBOURS(slug=slug, now=now)
    else:
        queryset = STORY_WITH_NEIGHBOURS(slug=slug, now=now, known=known)
    rows = list(queryset)
    found = [row for row in rows if row.is_story]
    if not found:
        raise Http404("No story at this address.")
    others = sorted(
        (row for row in rows if not row.is_story),
        key=lambda row: (row.published_at, row.pk),
        reverse=True,
    )
    if known is public_cache.MISSING:
        # Only for a story that is there: addresses that miss leave nothing behind. Not
        # bound to the schedule (that would cost the page a query): a story going live at
        # its time joins the fallback within NEWSROOM_CACHE_SECONDS. The ids are only
        # candidates; the query above applies published() to them every time.
        public_cache.keep(name, [row.pk for row in others], clock=False)
    story = found[0]
    for accessor, to_attr, part in PAGE_PARTS:
        flag = OPTIONAL_PARTS.get(accessor)
        if flag is None or getattr(story, flag) is not None:
            rows = list(part(story=story.pk, now=now))
        else:
            rows = []
        attach_related(story, accessor, rows, to_attr=to_attr)
    return story, others


def related_stories(article: Article, neighbours: list[Article]) -> list[Article]:
    """What "Related Stories" falls back to: nothing while curated links are visible."""
    return [] if article.visible_related_links else neighbours


class ArticleDetailView(DetailView):
    context_object_name = "article"
    template_name = ARTICLE_TEMPLATE

    def get_object(self, queryset=None):
        # Through published() at the time of this request (see load_story).
        article, self.neighbours = load_story(self.kwargs["slug"])
        return article

    def get(self, request, *args, **kwargs):
        try:
            self.object = self.get_object()
        except Http404:
            # Only on a miss, so a live story's page keeps its query budget.
            return moved_or_gone(request, self.kwargs["slug"])
        canonical = self.object.get_absolute_url()
        if request.path != canonical:
            # Same slug under another section or date: this story, unless the address is a
            # former one of another story (which had the slug first). Either way, 301.
            return HttpResponsePermanentRedirect(moved_to(request.path) or canonical)
        return self.render_to_response(self.get_context_data(object=self.object))

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            current_section=self.object.section,
            related_stories=related_stories(self.object, self.neighbours),
            **kwargs,
        )


def moved_to(path: str) -> str | None:
    """The current address of the published story that used to live at ``path``, if any."""
    moved = (
        ArticleRedirect.objects.filter(old_path=path, article__in=Article.objects.published())
        .select_related("article__section")
        .first()
    )
    return moved.article.get_absolute_url() if moved else None


def moved_or_gone(request, slug: str):
    """No live story here: a former address of one (301), a withdrawn one (410), or 404.

    A story's old address (its slug, section or date changed after it was public) leads to
    its current one only while the story is published; once it is withdrawn, the old address
    answers 410 with the notice, like the story's own.
    """
    if new_address := moved_to(request.path):
        return HttpResponsePermanentRedirect(new_address)
    return withdrawn_notice(request, slug)


def withdrawn_notice(request, slug: str):
    """410 Gone with a short public notice at the address of a story readers once had.

    A story never published (a draft, a story unscheduled before its time) has no public
    past to account for, and its address stays an ordinary 404.
    """
    article = (
        Article.objects.withdrawn_after_publication()
        .filter(Q(slug=slug) | Q(redirects__old_path=request.path))
        .select_related("section")
        .first()
    )
    if article is None:
        raise Http404("No story at this address.")
    canonical = article.get_absolute_url()
    if request.path != canonical and article.slug == slug:
        # The right story under another section or date: its notice is at its address.
        return HttpResponsePermanentRedirect(canonical)
    withdrawal = article.events.filter(action=Action.WITHDRAW).first()
    response = TemplateResponse(
        request,
        WITHDRAWN_TEMPLATE,
        {"article": article, "withdrawn_at": withdrawal.at if withdrawal else article.updated_at},
        status=410,
    )
    response["X-Robots-Tag"] = "noindex"
    return response


def render_preview(request, article: Article, **preview) -> TemplateResponse:
    """``article`` exactly as readers will see it, under a preview banner.

    ``article`` must come from ``Article.objects.for_page()``. ``preview`` fills the banner
    (``expires_at`` of a share link, ``change_url`` back to the admin). The page is kept out
    of caches and search engines, and browsers send no referrer from it, so a share link's
    token never leaks through an outbound link.
    """
    # Previews have no query budget: the related fallback gets a query of its own.
    neighbours = list(
        Article.objects.published()
        .select_related("section")
        .filter(pk__in=tag_neighbours(Q(pk=article.pk)))
        .order_by("-published_at", "-pk")
    )
    response = TemplateResponse(
        request,
        ARTICLE_TEMPLATE,
        {
            "article": article,
            "object": article,
            "preview": preview,
            "current_section": article.section,
            "related_stories": related_stories(article, neighbours),
        },
    )
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@never_cache
def preview(request, token: str):
    """A story through a share link; 404 for a bad, expired or revoked token."""
    link = previews.resolve(token)
    if link is None:
        raise Http404("This preview link is not valid.")
    # Not published(): a preview shows the story before readers can see it.
    article = get_object_or_404(Article.objects.for_page(), pk=link.article_id)
    if article.is_live:
        # Published since the link was shared: the public page is the story now.
        return redirect(article)
    return render_preview(request, article, share=True, expires_at=link.expires_at)


def section_by_slug(slug: str) -> Section:
    """The section at ``slug``, from the navigation's kept list (every section is in it);
    ``Http404`` for none."""
    for section in navigation_sections():
        if section.slug == slug:
            return section
    raise Http404("No section at this address.")


TAG_BY_SLUG = PreparedQuery(lambda slug: Tag.objects.filter(slug=slug))


def tag_by_slug(slug: str) -> Tag:
    """The tag at ``slug`` (a prepared query); ``Http404`` for none."""
    for tag in TAG_BY_SLUG(slug=slug):
        return tag
    raise Http404("No tag at this address.")


class SectionView(KeptCountMixin, ListView):
    template_name = "articles/section_detail.html"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        self.section = section_by_slug(self.kwargs["slug"])
        return Article.objects.published().filter(section=self.section).for_listing()

    def count_key(self) -> str:
        return f"section:{self.section.pk}"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            section=self.section, current_section=self.section, **kwargs
        )


class TagView(KeptCountMixin, ListView):
    template_name = "articles/tag_detail.html"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        self.tag = tag_by_slug(self.kwargs["slug"])
        return Article.objects.published().filter(tagged_items__tag=self.tag).for_listing()

    def count_key(self) -> str:
        return f"tag:{self.tag.pk}"

    def get_context_data(self, **kwargs):
        return super().get_context_data(tag=self.tag, **kwargs)


# --- Date archives -------------------------------------------------------------------------
# Periods are days, months and years of the newsroom's TIME_ZONE: with USE_TZ the date-based
# views bound each period in the current time zone, and that is the one the dateline shows.


class ArchiveMixin:
    """What the date archives share: published stories by dateline time, none ahead of now.

    ``allow_empty`` stays False: an empty period is a 404, and the links to the previous
    and next periods skip to the nearest ones with stories.
    """

    date_field = "published_at"
    allow_future = False
    month_format = "%m"
    day_format = "%d"

    def get_queryset(self):
        # Built per request (see published()); also what the previous/next lookups use, so
        # it stays free of the listing's prefetches.
        return Article.objects.published().order_by("-published_at", "-pk")

    # The period's key in the context, and how its title prints it.
    period = ""
    period_format = ""

    def get_dated_items(self):
        date_list, stories, extra = super().get_dated_items()
        return date_list, stories.for_listing(), extra

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.period:
            # The page's heading, also its title for search engines and social cards.
            when = dateformat.format(context[self.period], self.period_format)
            context["archive_title"] = context["meta_title"] = f"Stories from {when}"
        return context


class ArchiveIndexView(ArchiveMixin, dates.ArchiveIndexView):
    """Every month with stories, grouped by year; the stories themselves are a period away."""

    template_name = "articles/article_archive.html"
    date_list_period = "month"
    allow_empty = True
    context_object_name = "latest"
    extra_context = {"meta_title": "Archive"}


class ArchiveYearView(ArchiveMixin, dates.YearArchiveView):
    template_name = "articles/article_archive_year.html"
    period, period_format = "year", "Y"
    make_object_list = True
    paginate_by = PAGE_SIZE


class ArchiveMonthView(ArchiveMixin, dates.MonthArchiveView):
    template_name = "articles/article_archive_month.html"
    period, period_format = "month", "F Y"
    paginate_by = PAGE_SIZE


class ArchiveDayView(ArchiveMixin, dates.DayArchiveView):
    template_name = "articles/article_archive_day.html"
    period, period_format = "day", "F j, Y"
    paginate_by = PAGE_SIZE

    # The day page links the neighbouring days and its own month; the neighbouring months,
    # which DayArchiveView looks up too, would each cost a query for a link it never shows.
    def get_previous_month(self, date):
        return None

    def get_next_month(self, date):
        return None
