"""Rate limits per API key (and per signed-in person), from REST_FRAMEWORK settings.

Scopes (DEFAULT_THROTTLE_RATES): `api_key` for integrators, `api_user` for people
using their session, and a view's own `throttle_scope` (imports) on top. A throttled
call gets 429 with Retry-After (seconds) and the usual error body.
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from spp.models import ApiKey


class ApiKeyRateThrottle(SimpleRateThrottle):
    """One bucket per key id (not per IP: an integrator's servers share one key)."""

    def allow_request(self, request, view) -> bool:
        key = request.auth if isinstance(request.auth, ApiKey) else None
        user = getattr(request, "user", None)
        if key is not None:
            self.scope = "api_key"
            self.ident = f"key-{key.pk}"
        elif user is not None and user.is_authenticated:
            self.scope = "api_user"
            self.ident = f"user-{user.pk}"
        else:
            return True  # anonymous calls are refused with 401 before any work
        scope = getattr(view, "throttle_scope", None)
        if scope:
            self.scope = scope
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_rate(self) -> str | None:
        # Read the settings at call time (not at import, as DRF does) so that an
        # override in tests or a deployment's environment takes effect.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.ident}
