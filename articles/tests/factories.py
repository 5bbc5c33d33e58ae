from datetime import timedelta

import factory
from django.utils import timezone

from articles.models import (
    Article,
    Contribution,
    Correction,
    RelatedLink,
    Section,
    Source,
    State,
)
from people.tests.factories import PersonFactory


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Section {n}")
    slug = factory.Sequence(lambda n: f"section-{n}")


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    name = factory.Sequence(lambda n: f"Agency {n}")
    slug = factory.Sequence(lambda n: f"agency-{n}")
    url = "https://agency.example/"


class ArticleFactory(factory.django.DjangoModelFactory):
    """A draft by default; ``PublishedArticleFactory`` for one the public can see."""

    class Meta:
        model = Article

    headline = factory.Sequence(lambda n: f"Synthetic headline number {n}")
    body = "<p>First synthetic paragraph.</p><p>Second synthetic paragraph.</p>"
    summary = "A synthetic summary."
    section = factory.SubFactory(SectionFactory)
    state = State.DRAFT


class PublishedArticleFactory(ArticleFactory):
    state = State.PUBLISHED
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    first_published_at = factory.SelfAttribute("published_at")


class ContributionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contribution

    article = factory.SubFactory(ArticleFactory)
    person = factory.SubFactory(PersonFactory)
    kind = Contribution.Kind.BYLINE
    position = factory.Sequence(lambda n: n)


class CreditFactory(ContributionFactory):
    kind = Contribution.Kind.CREDIT
    role = "Web editor"


class RelatedLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RelatedLink

    article = factory.SubFactory(ArticleFactory)
    target = factory.SubFactory(PublishedArticleFactory)
    position = factory.Sequence(lambda n: n)


class CorrectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Correction

    article = factory.SubFactory(PublishedArticleFactory)
    text = "An earlier version misspelt a name."
