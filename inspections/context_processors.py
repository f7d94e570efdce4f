from django.utils.functional import SimpleLazyObject

from .forms_inspections import may_log_inspections
from .models import Notification


def _unread_count(user) -> int:
    # Served by the partial index notification_unread_idx (user WHERE read_at IS NULL).
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def navigation(request):
    """Flags the base layout uses to show only what the role may use."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}}
    return {
        "nav": {
            "units": True,
            "manage_units": user.can_manage_units,
            "office": user.is_office,
            "duty": user.sees_everything,
            "admin": user.is_superuser or user.role == user.Role.ADMIN,
            # Lazy: one query, only on pages that render the navigation.
            "unread_notifications": SimpleLazyObject(lambda: _unread_count(user)),
            "log_inspections": may_log_inspections(user),
            # The 一票否决台账 is the office's and the leaders' page (others see their own
            # department's entries if they open it).
            "vetoes": user.sees_everything,
        }
    }
