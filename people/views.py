from django.shortcuts import get_object_or_404
from django.views.generic import ListView

from articles.models import Article

from .models import Person


class PersonView(ListView):
    """A person's page: who they are, and their published stories."""

    template_name = "people/person_detail.html"
    paginate_by = 20

    def get_queryset(self):
        self.person = get_object_or_404(Person, slug=self.kwargs["slug"])
        return (
            Article.objects.published()
            .filter(contributions__person=self.person)
            .distinct()
            .for_listing()
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(person=self.person, **kwargs)
