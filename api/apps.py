from django.apps import AppConfig


class ApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "api"
    verbose_name = "数据接口"

    def ready(self) -> None:
        # drf-spectacular finds the token scheme through this module's extension class.
        from . import authentication  # noqa: F401
