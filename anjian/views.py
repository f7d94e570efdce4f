import redis
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from inspections.views.bulletins import home_card as bulletin_home_card
from inspections.views.inspections import inspection_home_card
from inspections.views.ledger import home_card as ledger_home_card
from units.models import Unit


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


def home(request):
    context = {"unit_count": Unit.objects.visible_to(request.user).count(), "home_cards": []}
    ledger_card = ledger_home_card(request.user)
    if ledger_card:
        context["home_cards"].append(ledger_card)
    bulletin_card = bulletin_home_card(request.user)
    if bulletin_card:
        context["home_cards"].append(bulletin_card)
    inspection_card = inspection_home_card(request.user)
    if inspection_card:
        # First: logging an inspection is what an inspector comes for.
        context["home_cards"].insert(0, inspection_card)
    return render(request, "home.html", context)
