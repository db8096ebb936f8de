"""The statistics pages cache their figures in Redis under the figures'
version, which each test's rolled-back database starts again from 0: every
test starts with an empty cache, so no test reads another's figures."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()
