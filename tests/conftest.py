import pyotp
import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP

from tests.factories import AgencyFactory, MembershipFactory, UserFactory


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in the site's language (Vietnamese): a test client's
    request in English must not leave English active for the next test."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def empty_local_cache():
    """The process's own cache (settings CACHES["local"]) holds pages keyed by
    the figures' version, which each test's rolled-back database starts again
    from 0: no test may read a page another test cached. The shared cache
    (Redis) holds the per-sender limits of questions and feedback, counted
    per client address, and the sweeps' leases: no test may use up another's."""
    from django.core.cache import cache, caches

    caches["local"].clear()
    _forget_limits(cache)
    yield
    caches["local"].clear()


def _forget_limits(cache) -> None:
    """Delete the limits' counters only (the same Redis may be a worker's broker)."""
    client = getattr(getattr(cache, "_cache", None), "get_client", None)
    if client is None:  # not Redis (the database cache): clear it all
        cache.clear()
        return
    redis = client(write=True)
    standin = getattr(cache, "standin", None)
    if standin is not None:  # egov.cache: what it held while Redis was away
        standin.clear()
    for pattern in ("*:feedback:*", "*:questions:*", "*:sweep-lease:*"):
        found = list(redis.scan_iter(match=pattern, count=1000))
        if found:
            redis.delete(*found)


@pytest.fixture
def citizen(db):
    return UserFactory(full_name="Nguyễn Văn An")


def enrol_totp(user) -> pyotp.TOTP:
    secret = pyotp.random_base32()
    Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).delete()
    TOTP.activate(user, secret)
    return pyotp.TOTP(secret)


@pytest.fixture
def ward_agency(db):
    return AgencyFactory(code="UBLB", name="UBND phường Long Biên")


@pytest.fixture
def other_ward_agency(db):
    return AgencyFactory(code="UBBD", name="UBND phường Bồ Đề")


@pytest.fixture
def clerk(ward_agency):
    user = MembershipFactory(agency=ward_agency).user
    enrol_totp(user)
    return user


@pytest.fixture
def mfa_client(client):
    """A client signed in as a user, with the second factor already passed."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
