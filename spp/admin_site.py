"""The operator admin site: every admin view runs in spp.tenancy.operator_scope().

Django admin reaches models through their default managers in many places (foreign-key
choices, inline row ids, unique checks, related objects); inside the operator scope the
partner-scoped managers answer for every partner and the router sends those queries
through the maintenance alias, so no admin needs special plumbing.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig

from spp.tenancy import operator_scope


class OperatorAdminSite(admin.AdminSite):
    site_header = "SPP operator admin"
    site_title = "SPP operator admin"

    def admin_view(self, view, cacheable: bool = False):
        protected = super().admin_view(view, cacheable)

        @wraps(protected)
        def operator_view(request, *args, **kwargs):
            with operator_scope():
                response = protected(request, *args, **kwargs)
                # Template responses render lazily: render while still in the scope.
                if hasattr(response, "render") and not response.is_rendered:
                    response.render()
                return response

        return operator_view


class OperatorAdminConfig(AdminConfig):
    """django.contrib.admin with the operator site."""

    default_site = "spp.admin_site.OperatorAdminSite"
