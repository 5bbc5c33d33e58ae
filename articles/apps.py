from django.apps import AppConfig
from django.db.models.signals import post_migrate


def sync_site(sender, using="default", **kwargs):
    """Keep the Site record (flat pages, sitemap index) equal to NEWSROOM_DOMAIN."""
    from django.conf import settings
    from django.contrib.sites.models import Site

    Site.objects.using(using).update_or_create(
        pk=settings.SITE_ID,
        defaults={"domain": settings.NEWSROOM_DOMAIN, "name": settings.NEWSROOM_NAME},
    )
    Site.objects.clear_cache()


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Articles"

    def ready(self):
        # Connect the signal handlers: the search index and image renditions and files.
        from . import images, signals  # noqa: F401

        post_migrate.connect(sync_site, sender=self)
