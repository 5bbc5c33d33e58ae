from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from articles import views as article_views

from . import views

admin.site.site_header = f"{settings.NEWSROOM_NAME} desk"
admin.site.site_title = settings.NEWSROOM_NAME

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("admin/", admin.site.urls),
    path("people/", include("people.urls")),
    # Before the articles include; "preview" is a reserved section slug.
    path("preview/<str:token>/", article_views.preview, name="article_preview"),
    # Last: sections take the remaining top-level slugs.
    path("", include("articles.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
