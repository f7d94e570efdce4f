"""Per-client rate limit: each ApiClient has its own requests-per-minute figure."""

from rest_framework.throttling import SimpleRateThrottle

from .models import ApiClient


class ClientRateThrottle(SimpleRateThrottle):
    """A sliding one-minute window in the cache (Redis in production, so shared by every
    gunicorn worker). Requests without a client are refused before throttling."""

    scope = "api_client"

    def __init__(self):
        # The rate is the client's, known only per request (see allow_request).
        pass

    def allow_request(self, request, view) -> bool:
        client = request.auth
        if not isinstance(client, ApiClient):
            return True
        self.rate = f"{client.rate_per_minute}/min"
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str:
        # The token prefix too: ids restart with a fresh database, the cache may not.
        client = request.auth
        return f"api-throttle:{client.pk}:{client.token_prefix}"
