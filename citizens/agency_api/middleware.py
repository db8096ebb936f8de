"""``AgencyApiLeanPathMiddleware``: the agency endpoints without the session
middleware (named in ``settings.MIDDLEWARE`` as
``citizens.agency_api.AgencyApiLeanPathMiddleware``)."""

from __future__ import annotations

from django.urls import path

from citizens.agency_api.urls import urlpatterns


class AgencyApiLeanPathMiddleware:
    """The agency endpoints without the middleware an API key request has no
    use for (sessions, CSRF, session authentication, messages, allauth, the
    staff MFA check): put right after SecurityMiddleware, it answers
    ``/api/v1/agency/...`` itself with only the language (LocaleMiddleware:
    messages in the client's Accept-Language) and X-Frame-Options around the
    view. The views authenticate with the key (DRF) and are CSRF-exempt, as
    on the full path; any other path, or one that does not resolve (e.g. a
    missing slash, which CommonMiddleware redirects), takes the full path.
    """

    PREFIX = "/api/v1/agency/"

    def __init__(self, get_response):
        from django.middleware.clickjacking import XFrameOptionsMiddleware
        from django.middleware.locale import LocaleMiddleware
        from django.urls import URLResolver, include
        from django.urls.resolvers import RegexPattern

        self.get_response = get_response
        self.lean = XFrameOptionsMiddleware(LocaleMiddleware(self._view))
        # This module's routes alone, as mounted (egov.api: "api" namespace under
        # /api/v1/): resolving them costs a fraction of walking the portal's URLs.
        self.resolver = URLResolver(
            RegexPattern(r"^/"), [path("api/v1/", include((urlpatterns, "api")))]
        )

    def __call__(self, request):
        if request.path_info.startswith(self.PREFIX):
            from django.urls import Resolver404, get_resolver

            for resolver in (self.resolver, get_resolver()):
                try:
                    request.resolver_match = resolver.resolve(request.path_info)
                except Resolver404:
                    continue
                return self.lean(request)
        return self.get_response(request)

    @staticmethod
    def _view(request):
        match = request.resolver_match
        response = match.func(request, *match.args, **match.kwargs)
        if hasattr(response, "render"):
            response = response.render()
        if not response.streaming and not response.has_header("Content-Length"):
            response.headers["Content-Length"] = str(len(response.content))  # as CommonMiddleware
        return response
