from django.urls import path, register_converter

from . import views


class TwoDigitConverter:
    regex = "[0-9]{2}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return f"{int(value):02d}"


register_converter(TwoDigitConverter, "dd")

app_name = "articles"

urlpatterns = [
    path("tags/<slug:slug>/", views.TagView.as_view(), name="tag"),
    # "archive" is a reserved section slug, so these never shadow a section.
    path("archive/", views.ArchiveIndexView.as_view(), name="archive"),
    path("archive/<int:year>/", views.ArchiveYearView.as_view(), name="archive_year"),
    path("archive/<int:year>/<dd:month>/", views.ArchiveMonthView.as_view(), name="archive_month"),
    path(
        "archive/<int:year>/<dd:month>/<dd:day>/",
        views.ArchiveDayView.as_view(),
        name="archive_day",
    ),
    path(
        "<slug:section>/<int:year>/<dd:month>/<dd:day>/<slug:slug>/",
        views.ArticleDetailView.as_view(),
        name="detail",
    ),
    path("<slug:slug>/", views.SectionView.as_view(), name="section"),
]
