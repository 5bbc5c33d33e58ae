from django.conf import settings
from django.db import models

from newsroom.paths import path_to
from newsroom.slugs import unique_slug


class PersonManager(models.Manager):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Person(models.Model):
    """Anyone the newsroom credits: reporters, editors, photographers, columnists."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=100, unique=True, blank=True, help_text="Made from the name when left blank."
    )
    job_title = models.CharField(max_length=200, blank=True)
    affiliation = models.CharField(
        max_length=200, blank=True, help_text="The publication or agency they write for."
    )
    bio = models.TextField(blank=True, help_text="A short public biography.")
    expertise = models.CharField(
        max_length=300, blank=True, help_text="Beats and subjects they cover, shown to readers."
    )
    photo = models.ForeignKey(
        "articles.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="A portrait, shown on their page.",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
        help_text="The staff account of this person, if they have one.",
    )

    objects = PersonManager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            others = Person.objects.exclude(pk=self.pk)
            self.slug = unique_slug(
                self.name, lambda s: others.filter(slug=s).exists(), fallback="person"
            )
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return path_to("people:detail", slug=self.slug)

    def natural_key(self) -> tuple[str]:
        return (self.slug,)
