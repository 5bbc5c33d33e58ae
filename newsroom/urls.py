from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.flatpages import views as flatpage_views
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path

from articles import views as article_views
from articles.search_views import SearchView

from . import views
from .sitemaps import NEWS_SITEMAPS, SITEMAPS, RobotsTxtView, sitemap_index

admin.site.site_header = f"{settings.NEWSROOM_NAME} desk"
admin.site.site_title = settings.NEWSROOM_NAME

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("admin/", admin.site.urls),
    path("people/", include("people.urls")),
    # Before the articles include; "preview" is a reserved section slug.
    path("preview/<str:token>/", article_views.preview, name="article_preview"),
    path("search/", SearchView.as_view(), name="search"),
    path("feeds/", include("articles.feed_urls")),
    path("api/", include("articles.api_urls")),
    path(
        "sitemap.xml",
        sitemap_index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap"},
        name="sitemap_index",
    ),
    path(
        "sitemap-<section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": SITEMAPS, "template_name": "sitemaps/sitemap.xml"},
        name="sitemap",
    ),
    path(
        "news-sitemap.xml",
        sitemap_views.sitemap,
        {"sitemaps": NEWS_SITEMAPS, "template_name": "sitemaps/news_sitemap.xml"},
        name="news_sitemap",
    ),
    path("robots.txt", RobotsTxtView.as_view(), name="robots_txt"),
    # The standards and corrections policy: a flat page editors keep in the admin.
    path("standards/", flatpage_views.flatpage, {"url": "/standards/"}, name="standards"),
    # Last: sections take the remaining top-level slugs.
    path("", include("articles.urls")),
]

handler404 = "newsroom.views.page_not_found"
# Renders without the database: the error may be the database.
handler500 = "newsroom.views.server_error"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
