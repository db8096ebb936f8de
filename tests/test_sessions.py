"""The session store (egov/sessions.py) reads a session with one plain
query, as Django's database store does: a live session is found, an expired
or unknown one is not (and the visitor gets a new key)."""

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from egov.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_live_session_is_read_in_one_query():
    store = SessionStore()
    store["cart"] = "đăng ký khai sinh"
    store.save()
    again = SessionStore(session_key=store.session_key)
    with CaptureQueriesContext(connection) as queries:
        assert again["cart"] == "đăng ký khai sinh"
    assert len(queries) == 1
    assert again.session_key == store.session_key


def test_an_expired_or_unknown_session_is_not_read():
    store = SessionStore()
    store["cart"] = "x"
    store.save()
    Session.objects.filter(pk=store.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    expired = SessionStore(session_key=store.session_key)
    assert expired.get("cart") is None
    assert expired.session_key is None
    unknown = SessionStore(session_key="x" * 32)
    assert unknown.load() == {} and unknown.session_key is None
