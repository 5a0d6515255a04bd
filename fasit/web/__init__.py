"""Web: the HTTP side of `fasit serve`. Reads every stage before it, never writes desired state.

The read-only app: the dashboard (pages/, templates/, static/) with a JSON twin of every page,
live updates by Server-Sent Events, health, readiness, the JSON status API, metrics, the git
webhook, and the route agents fetch in-repo chart archives from (docs/charts.md); API tokens,
OpenID Connect sign-in with the access file, and the per-viewer scoping that keeps each
tenant to its own environments (docs/access.md).
"""

from fasit.web.access_file import AccessFile, AccessRules, parse_access_file
from fasit.web.api import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, progress_of
from fasit.web.api_tokens import ApiTokens, parse_tenants, set_api_token
from fasit.web.app import ReadOnly, create_app
from fasit.web.auth import Authenticate, Authenticator, BearerTokens
from fasit.web.charts import chart_route
from fasit.web.live import EVENTS_PATH, LiveUpdates
from fasit.web.metrics import FasitMetrics
from fasit.web.oidc import OidcSettings, OpenIdProvider, ProviderUnavailable, SignInRefused
from fasit.web.pages import Scopes, Sources
from fasit.web.progress import (
    AmbiguousRevision,
    Progress,
    ReleaseProgress,
    ReleaseState,
    Verdict,
)
from fasit.web.read import Fleet, History, NoHistory, ReadSide, ReleaseIndex, Revisions
from fasit.web.session import MIN_KEY_BYTES, CookiePolicy, new_session_key
from fasit.web.signin import CALLBACK_PATH, SESSION_COOKIE, SIGNED_OUT_PATH, SignIn
from fasit.web.viewer import EVERY_TENANT, OPEN, Viewer, viewer_of
from fasit.web.webhook import MAX_HOOK_BYTES, WEBHOOK_PATH, webhook_route

__all__ = [
    "CALLBACK_PATH",
    "DEFAULT_PAGE_SIZE",
    "EVENTS_PATH",
    "EVERY_TENANT",
    "MAX_HOOK_BYTES",
    "MAX_PAGE_SIZE",
    "MIN_KEY_BYTES",
    "OPEN",
    "SESSION_COOKIE",
    "SIGNED_OUT_PATH",
    "WEBHOOK_PATH",
    "AccessFile",
    "AccessRules",
    "AmbiguousRevision",
    "ApiTokens",
    "Authenticate",
    "Authenticator",
    "BearerTokens",
    "CookiePolicy",
    "FasitMetrics",
    "Fleet",
    "History",
    "LiveUpdates",
    "NoHistory",
    "OidcSettings",
    "OpenIdProvider",
    "Progress",
    "ProviderUnavailable",
    "ReadOnly",
    "ReadSide",
    "ReleaseIndex",
    "ReleaseProgress",
    "ReleaseState",
    "Revisions",
    "Scopes",
    "SignIn",
    "SignInRefused",
    "Sources",
    "Verdict",
    "Viewer",
    "chart_route",
    "create_app",
    "new_session_key",
    "parse_access_file",
    "parse_tenants",
    "progress_of",
    "set_api_token",
    "viewer_of",
    "webhook_route",
]
