"""The UI shell: languages, areas, friendly error pages."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_home_is_in_vietnamese_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    assert '<html lang="vi"' in response.text
    assert "Cổng dịch vụ công" in response.text


def test_home_switches_to_english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    assert '<html lang="en"' in response.text
    assert "Public Service Portal" in response.text


def test_an_unknown_page_is_a_friendly_404_in_the_users_language(client):
    response = client.get("/khong-ton-tai/")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.text
    assert "Traceback" not in response.text


def test_a_csrf_failure_is_explained_not_dumped():
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post("/accounts/login/", {"login": "a@b.vn", "password": "x"})
    assert response.status_code == 403
    assert "phiên làm việc" in response.text.lower()


@override_settings(DEBUG=False)
def test_a_server_error_shows_no_stack_trace(client, monkeypatch):
    from egov import views

    def boom(request):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(views, "home", boom)
    client.raise_request_exception = False
    # The URL conf holds a reference to the original view; call through a fresh resolver.
    from django.urls import clear_url_caches

    clear_url_caches()
    import importlib

    import egov.urls

    importlib.reload(egov.urls)
    try:
        response = client.get("/")
    finally:
        monkeypatch.undo()
        importlib.reload(egov.urls)
        clear_url_caches()
    assert response.status_code == 500
    assert "secret internals" not in response.text
    assert "Xin lỗi" in response.text


def test_signed_in_citizen_lands_in_their_own_space(client, citizen):
    client.force_login(citizen)
    response = client.get("/after-login/", follow=True)
    assert response.redirect_chain[-1][0] == "/me/"
    assert citizen.email in response.text


def test_staff_land_in_the_back_office(client, clerk):
    client.force_login(clerk)
    response = client.get("/after-login/")
    assert response["Location"] == "/back-office/"
