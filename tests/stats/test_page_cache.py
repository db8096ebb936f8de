"""Whole statistics pages cached (stats.page_cache): the indentation goes,
text whose spaces count stays, and a message waiting for a visitor is shown to
them and never cached for the next."""

import pytest
from django.test import Client
from django.urls import reverse

from stats import page_cache
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/statistics/public/"


def test_compact_drops_indentation_but_keeps_preformatted_text():
    assert page_cache.compact("<ul>\n    <li>a</li>\n\n    <li>b</li>\n</ul>") == (
        "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"
    )
    kept = "<pre>\n    indented\n</pre>"
    assert page_cache.compact(kept) == kept


def test_a_message_waiting_is_shown_once_and_never_cached_for_others():
    user = UserFactory()
    leaving, other = Client(), Client()
    assert 'class="container messages"' not in other.get(URL).content.decode()  # now cached
    leaving.force_login(user)
    leaving.post(reverse("account_logout"))  # allauth: "You have signed out."
    assert 'class="container messages"' in leaving.get(URL).content.decode()
    assert 'class="container messages"' not in leaving.get(URL).content.decode()  # shown once
    assert 'class="container messages"' not in other.get(URL).content.decode()
    assert 'class="container messages"' not in Client().get(URL).content.decode()
