from django.shortcuts import get_object_or_404
from django.views.generic import ListView

from articles.models import Article
from newsroom.pagination import KeptCountMixin

from .models import Person

PAGE_SIZE = 20


class PersonView(KeptCountMixin, ListView):
    """A person's page: who they are, and the published stories they are credited on."""

    template_name = "people/person_detail.html"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        self.person = get_object_or_404(
            Person.objects.select_related("photo"), slug=self.kwargs["slug"]
        )
        # Bylines and credits alike; distinct, as someone can be both on one story.
        return (
            Article.objects.published()
            .filter(contributions__person=self.person)
            .distinct()
            .for_listing()
        )

    def count_key(self) -> str:
        return f"person:{self.person.pk}"

    def get_context_data(self, **kwargs):
        return super().get_context_data(person=self.person, **kwargs)
