"""The wall between a unit account and the district's own pages, in one place.

A unit account (User.Role.UNIT) may open the portal (namespace "portal"), sign out, and the few
pages that hold no data; every other URL answers 404 to it, whatever that view's own checks
would say, so a staff page added later is closed to units without anyone remembering to. The
site's root sends it to the portal's home instead. Staff, in turn, get 404 from the portal's
pages (portal.views.unit_only): those show one unit's view and are no staff tool.
"""

from django.http import Http404
from django.shortcuts import redirect

from accounts.middleware import SignedInGate

# Pages without data that every signed-in user may reach (sign-out, the phone app shell, the
# public check of a document's QR code); login only redirects a signed-in user onwards.
OPEN_TO_UNITS = frozenset(
    {
        "login",
        "logout",
        "healthz",
        "pwa_manifest",
        "pwa_service_worker",
        "pwa_offline",
        "document_verify",
    }
)


class UnitBoundaryMiddleware(SignedInGate):
    def concerns(self, user) -> bool:
        return user.is_unit_account

    def answer(self, request, match):
        if match is None:
            return None
        if "portal" in match.namespaces or match.view_name in OPEN_TO_UNITS:
            return None
        if match.view_name == "home":
            return redirect("portal:home")
        raise Http404("单位账号只能使用单位门户")
