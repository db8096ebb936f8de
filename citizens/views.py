"""The citizen's own space and the back-office shell."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from citizens import permissions, selectors
from citizens.models import Role


@login_required
def my_space(request: HttpRequest) -> HttpResponse:
    return render(request, "citizens/me.html")


def staff_required(view):
    """Signed in and holding at least one active staff role; else 403."""

    @login_required
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_staff_member:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@staff_required
def backoffice_home(request: HttpRequest) -> HttpResponse:
    agencies = permissions.agencies_of(request.user)
    if len(agencies) == 1:
        return redirect("backoffice:agency", code=agencies[0].code)
    return render(request, "backoffice/home.html", {"agencies": agencies})


@staff_required
def backoffice_agency(request: HttpRequest, code: str) -> HttpResponse:
    agency = permissions.agency_for(request.user, code)
    roles = sorted(permissions.roles_in(request.user, agency))
    staff = None
    if Role.HEAD in roles:
        staff = list(selectors.agency_staff(agency))
    return render(
        request,
        "backoffice/agency.html",
        {
            "agency": agency,
            "roles": [Role(r) for r in roles],
            "staff": staff,
            "other_agencies": [a for a in permissions.agencies_of(request.user) if a != agency],
        },
    )
