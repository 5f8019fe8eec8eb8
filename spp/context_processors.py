from spp.tenancy import current_partner_or_none


def tenancy(request) -> dict:
    """The partner and role shown in the navigation bar, when a page acts for one."""
    return {
        "current_partner": current_partner_or_none(),
        "current_membership": getattr(request, "membership", None),
        "user_memberships": getattr(request, "_spp_memberships", []),
    }
