"""Every call to the API is logged: client (when the token named one), request, status, time."""

import time

from .models import ApiCallLog

LOGGED_PREFIX = "/api/v1/"


class ApiCallLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(LOGGED_PREFIX):
            return self.get_response(request)
        started = time.monotonic()
        response = self.get_response(request)
        client = getattr(request, "api_client", None)
        ApiCallLog.objects.create(
            client=client,
            method=request.method[:10],
            path=request.path[:300],
            query=request.META.get("QUERY_STRING", "")[:1000],
            status=response.status_code,
            duration_ms=int((time.monotonic() - started) * 1000),
            ip=request.META.get("REMOTE_ADDR") or None,
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        )
        return response
