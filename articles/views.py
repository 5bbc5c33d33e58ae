"""Public article pages. Every queryset here starts from ``Article.objects.published()``."""

from django.http import HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, ListView

from .models import Article, Section, Tag

PAGE_SIZE = 20


class ArticleDetailView(DetailView):
    context_object_name = "article"

    def get_queryset(self):
        # Built per request: published() compares against the time of this request.
        return Article.objects.published().for_page()

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        canonical = self.object.get_absolute_url()
        if request.path != canonical:
            # Same story under another section or date: send readers to its one address.
            return HttpResponsePermanentRedirect(canonical)
        return self.render_to_response(self.get_context_data(object=self.object))


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
