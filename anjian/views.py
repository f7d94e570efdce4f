import redis
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


@require_GET
@login_not_required
def healthz(request):
    """Liveness for docker-compose and load balancers: 503 only when the database is down."""
    checks = {"database": False, "broker": None}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            checks["database"] = True
    except Exception:
        checks["database"] = False
    if settings.REDIS_URL:
        try:
            client = redis.Redis.from_url(
                settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2
            )
            checks["broker"] = bool(client.ping())
        except Exception:
            checks["broker"] = False
    status = 200 if checks["database"] else 503
    return JsonResponse({"status": "ok" if status == 200 else "error", **checks}, status=status)


def csrf_failure(request, reason: str = ""):
    """A form whose CSRF token is stale (the page sat open across a logout) or missing."""
    return render(
        request,
        "403.html",
        {"exception": "页面已过期，或请求不是从本系统的页面发出。请刷新页面后重新提交。"},
        status=403,
    )
