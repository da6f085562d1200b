import pytest
from bson import ObjectId
from django.urls import reverse

from tests.factories import make_user

TECHNICAL_PAGE = "Using the URLconf defined in"


@pytest.fixture(params=[True, False], ids=["debug", "production"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


@pytest.mark.django_db
def test_an_unknown_address_shows_the_products_page_not_the_url_list(client, debug):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "<h1>Page not found</h1>" in body
    assert "/no-such-page/" in body
    assert TECHNICAL_PAGE not in body
    assert "accounts/" not in body.split("<main", 1)[1].split("</main>", 1)[0]


@pytest.mark.django_db
def test_a_404_raised_by_a_view_shows_the_products_page(client, debug):
    client.force_login(make_user("ana@example.com"))
    response = client.get(reverse("projects:detail", args=[ObjectId()]))
    assert response.status_code == 404
    body = response.content.decode()
    assert "<h1>Page not found</h1>" in body
    assert "Go to your projects" in body
    assert TECHNICAL_PAGE not in body and "Raised by" not in body


@pytest.mark.django_db
def test_an_address_without_its_trailing_slash_still_redirects(client, debug):
    client.force_login(make_user("ana@example.com"))
    response = client.get("/projects")
    assert response.status_code == 301
    assert response["Location"] == "/projects/"
