from django.http import Http404
from django.views.generic import ListView

from articles.models import Article
from newsroom.pagination import KeptCountMixin
from newsroom.prepared import PreparedQuery

from .models import Person

PAGE_SIZE = 20

PERSON_BY_SLUG = PreparedQuery(
    lambda slug: Person.objects.select_related("photo").filter(slug=slug)
)


def person_by_slug(slug: str) -> Person:
    """The person at ``slug``, with their photo (a prepared query); ``Http404`` for none."""
    for person in PERSON_BY_SLUG(slug=slug):
        return person
    raise Http404("No person at this address.")


class PersonView(KeptCountMixin, ListView):
    """A person's page: who they are, and the published stories they are credited on."""

    template_name = "people/person_detail.html"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        self.person = person_by_slug(self.kwargs["slug"])
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
