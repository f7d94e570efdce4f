"""Headers and limits every response and request of the site gets."""

from django.conf import settings
from django.shortcuts import render


class SecurityHeadersMiddleware:
    """Permissions-Policy and no caching of pages; oversized request bodies refused unread.

    Every page, export and PDF here may carry names, phone numbers or hazard details of a unit:
    nothing is kept in a shared browser's or proxy's cache (Cache-Control: no-store) unless the
    view chose a policy itself. gunicorn has no request-body limit of its own, so the
    Content-Length is checked before Django reads a byte of the body.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.REQUEST_MAX_BYTES:
            response = render(
                request,
                "413.html",
                {"limit_mb": settings.REQUEST_MAX_BYTES // (1024 * 1024)},
                status=413,
            )
        else:
            response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        return response
