"""The 404 and 500 pages: in the site's look, and the 500 page without the database.

This module doubles as a URLconf (see ``urlpatterns`` below): the site's own routes plus one
view that fails, for the tests marked ``@pytest.mark.urls(__name__)``.
"""

import re

import pytest
from bs4 import BeautifulSoup
from django.urls import get_resolver, path

from newsroom import urls as site_urls
from newsroom.views import server_error


def boom(request):
    raise RuntimeError("Something broke while rendering")


urlpatterns = [path("boom/", boom), *site_urls.urlpatterns]
handler404 = site_urls.handler404
handler500 = site_urls.handler500


def text_of(node) -> str:
    return re.sub(r"\s+", " ", node.get_text()).strip()


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/no/such/page/", "/people/nobody/", "/world/2024/01/01/gone/"])
def test_missing_page_answers_404_in_the_site_layout(client, url):
    response = client.get(url)
    assert response.status_code == 404
    soup = BeautifulSoup(response.content, "html.parser")
    assert [text_of(h) for h in soup.find_all("h1")] == ["Page not found"]
    for landmark in ("header", "nav", "main", "footer"):
        assert soup.find(landmark), landmark
    assert soup.find("a", class_="skip-link")["href"] == "#main"
    assert soup.select_one("main a[href='/']")
    assert soup.select_one("main form[role=search]")["action"] == "/search/"
    # Kept out of search engines, whatever the address matched.
    assert soup.find("meta", attrs={"name": "robots"})["content"] == "noindex"
    assert soup.find("link", rel="canonical") is None


@pytest.mark.urls(__name__)
def test_server_error_renders_without_the_database(client, caplog):
    # No django_db mark: any query while rendering the 500 page would fail this test.
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    soup = BeautifulSoup(response.content, "html.parser")
    assert [text_of(h) for h in soup.find_all("h1")] == ["Something went wrong"]
    assert text_of(soup.select_one(".site-name")) == "Newsroom"
    assert soup.find("main", id="main")
    assert soup.find("link", rel="stylesheet")["href"] == "/static/css/site.css"
    assert soup.find("meta", attrs={"name": "robots"})["content"] == "noindex"
    assert "Something broke" not in response.content.decode()
    assert any("Something broke" in str(r.exc_info) for r in caplog.records if r.exc_info)


def test_site_uses_its_own_error_handlers():
    assert get_resolver().resolve_error_handler(500) is server_error


def test_server_error_handler_needs_no_request_context(rf):
    response = server_error(rf.get("/anything/"))
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
