"""Public article pages. Every queryset here starts from ``Article.objects.published()``.

Two exceptions, each marked: a preview (the story as readers will see it, before they can)
and the notice left at a withdrawn story's address.
"""

from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import never_cache
from django.views.generic import DetailView, ListView

from . import previews
from .models import Article, Section, Tag
from .workflow import Action

PAGE_SIZE = 20
ARTICLE_TEMPLATE = "articles/article_detail.html"
WITHDRAWN_TEMPLATE = "articles/article_withdrawn.html"


class ArticleDetailView(DetailView):
    context_object_name = "article"
    template_name = ARTICLE_TEMPLATE

    def get_queryset(self):
        # Built per request: published() compares against the time of this request.
        return Article.objects.published().for_page()

    def get(self, request, *args, **kwargs):
        try:
            self.object = self.get_object()
        except Http404:
            # Only on a miss, so a live story's page keeps its query budget.
            return withdrawn_notice(request, self.kwargs["slug"])
        canonical = self.object.get_absolute_url()
        if request.path != canonical:
            # Same story under another section or date: send readers to its one address.
            return HttpResponsePermanentRedirect(canonical)
        return self.render_to_response(self.get_context_data(object=self.object))


def withdrawn_notice(request, slug: str):
    """410 Gone with a short public notice at the address of a story readers once had.

    A story never published (a draft, a story unscheduled before its time) has no public
    past to account for, and its address stays an ordinary 404.
    """
    article = (
        Article.objects.withdrawn_after_publication()
        .filter(slug=slug)
        .select_related("section")
        .first()
    )
    if article is None:
        raise Http404("No story at this address.")
    canonical = article.get_absolute_url()
    if request.path != canonical:
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
    response = TemplateResponse(
        request, ARTICLE_TEMPLATE, {"article": article, "object": article, "preview": preview}
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


class SectionView(ListView):
    template_name = "articles/section_detail.html"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        self.section = get_object_or_404(Section, slug=self.kwargs["slug"])
        return Article.objects.published().filter(section=self.section).for_listing()

    def get_context_data(self, **kwargs):
        return super().get_context_data(section=self.section, **kwargs)


class TagView(ListView):
    template_name = "articles/tag_detail.html"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        self.tag = get_object_or_404(Tag, slug=self.kwargs["slug"])
        return Article.objects.published().filter(tagged_items__tag=self.tag).for_listing()

    def get_context_data(self, **kwargs):
        return super().get_context_data(tag=self.tag, **kwargs)
