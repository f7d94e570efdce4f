from django.apps import AppConfig


class PortalConfig(AppConfig):
    """单位门户: a unit's own pages (/portal/) and the office's unit-account pages
    (/unit-accounts/). No models of its own: accounts and codes live in units, hazards in
    inspections."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "portal"
    verbose_name = "单位门户"
