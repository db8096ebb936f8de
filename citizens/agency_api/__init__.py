"""The population database's API for other agencies' systems (mounted under
/api/v1/agency/).

Another agency's system (the police residence software, social insurance, the
Ministry of Justice's civil-status software...) looks a person up by personal
ID number with an API key issued to it for one purpose::

    GET /api/v1/agency/persons/001090123456/
    Authorization: Api-Key <prefix>.<secret>
    X-Dossier-Ref: UBLB-260304-0001        (optional, at most 40 characters)

The key's purpose decides which fields the answer holds: never a field
outside it. Every successful lookup writes one ``AccessLog`` row (channel
AGENCY_API, the key's agency, the purpose and the dossier) in the same
statement as the read, so the person can see who read the record and why.

One module per job:

- ``purposes``: what each kind of key may read; the purpose check;
- ``auth``: issue and revoke keys, system accounts, authentication by key;
- ``serialisation``: where each field comes from, the answer;
- ``lookup``: the row of a lookup and its access-log entry;
- ``statements``: the hot statements prepared once per database session;
- ``throttling``: the per-key rate limit;
- ``schema``: the OpenAPI description;
- ``views``, ``urls``, ``middleware`` (the lean path without sessions).

Cost of a lookup, authentication and access log included: 2 SQL statements on
PostgreSQL whatever the purpose and however big the household, plus one Redis
command for the throttle (docs/performance.md). Nothing is updated per request
(no "last used at").
"""

# Named elsewhere by these paths: settings.MIDDLEWARE, egov.api (the routes) and
# onecounter's staff API (the one-stop key's authentication).
from citizens.agency_api.auth import AgencySystemAuthentication
from citizens.agency_api.middleware import AgencyApiLeanPathMiddleware
from citizens.agency_api.urls import urlpatterns

__all__ = ["AgencyApiLeanPathMiddleware", "AgencySystemAuthentication", "urlpatterns"]
