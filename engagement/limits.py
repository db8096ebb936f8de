"""How much one sender may send in an hour: questions per account, feedback
per account, phone number, e-mail address and client address. Counted in
the cache, in a window that starts with the first one."""

from __future__ import annotations

from django.core.cache import cache
from django.utils.translation import gettext as _

from citizens.models import User
from egov.codes import ErrorCode
from egov.errors import DomainError

WINDOW = 3600


class TooMany(DomainError):
    code = ErrorCode.THROTTLED
    http_status = 429


def keys_for(
    kind: str, *, user: User | None = None, phone: str = "", email: str = "", ip: str = ""
) -> list[str]:
    keys = []
    if user is not None and user.is_authenticated:
        keys.append(f"{kind}:user:{user.pk}")
    if phone:
        keys.append(f"{kind}:phone:{phone}")
    if email:
        keys.append(f"{kind}:email:{email.lower()}")
    if ip:
        keys.append(f"{kind}:ip:{ip}")
    return keys


def reached(keys: list[str], limit: int) -> bool:
    """Whether any of ``keys`` was counted ``limit`` times in its window."""
    return any(int(n) >= limit for n in cache.get_many(keys).values())


def check(keys: list[str], limit: int) -> None:
    """``TooMany`` (429) when any of ``keys`` reached ``limit`` this hour."""
    if reached(keys, limit):
        raise TooMany(
            _("You have sent %(count)d in the last hour: please wait before sending more.")
            % {"count": limit}
        )


def count(keys: list[str], window: int = WINDOW) -> None:
    """Count one for each of ``keys``, in a window of ``window`` seconds that
    starts with the first."""
    for key in keys:
        if cache.add(key, 1, timeout=window):
            continue
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window)
