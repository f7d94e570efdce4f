from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "审计"

    def ready(self) -> None:
        from . import context, records

        context.install_command_context()
        records.connect_auth_signals()
