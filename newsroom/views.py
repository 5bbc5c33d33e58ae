from django.views.generic import ListView

from articles.models import Article


class HomeView(ListView):
    """The front page: published stories, newest first."""

    template_name = "home.html"
    paginate_by = 20

    def get_queryset(self):
        return Article.objects.published().for_listing()
