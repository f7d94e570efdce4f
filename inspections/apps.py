from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "inspections"
    verbose_name = "检查与隐患"

    def ready(self) -> None:
        # `units` must not import this app, so the unit page learns of our sections here.
        from units import sections

        from .documents.views import unit_documents_section
        from .views.unit_sections import unit_sections

        sections.register(unit_sections)
        sections.register(unit_documents_section)

        from . import scope

        scope.connect()
