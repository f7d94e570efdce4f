"""A hazard's copies of what its visibility depends on (`Hazard.scope_*`), kept in step.

`Hazard.objects.visible_to()` needs the inspection's 填报人 and 检查部门 and the unit's 牵头部门
and 属地. Joined at query time they made every ledger, home and dashboard query a join and an
OR across tables that no index serves (a million-row scan per request); copied onto the hazard
they are plain indexed columns. The copies change only here, whenever a source does:
- a hazard is created or moved to another inspection or unit: `Hazard.save()`, the queryset's
  `bulk_create()` and `update(unit=…)` call `fill_hazard_scope` / `scope_of_*`;
- an inspection's 填报人 or 检查部门, or a unit's 牵头部门 or 属地, is saved with another value:
  the receivers below rewrite that inspection's or unit's hazards in the same transaction.
`Department` is not copied (a street office's area is applied at query time), nor is the
status: drafts are told apart by `status` itself, in partial indexes.
"""

from django.db.models.signals import post_init, post_save

from units.models import Unit

from .models import Hazard, Inspection

# For hazards written by raw SQL (the benchmarks' generators), which no Python path sees.
FILL_MISSING_SQL = """
UPDATE inspections_hazard h
   SET scope_owner_id = i.created_by_id,
       scope_inspection_department_id = i.department_id,
       scope_unit_department_id = u.lead_department_id,
       scope_unit_area_id = u.area_id
  FROM inspections_inspection i, units_unit u
 WHERE i.id = h.inspection_id AND u.id = h.unit_id AND h.scope_owner_id IS NULL
"""

INSPECTION_SOURCES = ("created_by_id", "department_id")
UNIT_SOURCES = ("lead_department_id", "area_id")


def scope_of_inspection(inspection) -> dict:
    if not isinstance(inspection, Inspection):
        inspection = Inspection.objects.only(*INSPECTION_SOURCES).get(pk=inspection)
    return {
        "scope_owner_id": inspection.created_by_id,
        "scope_inspection_department_id": inspection.department_id,
    }


def scope_of_unit(unit) -> dict:
    if not isinstance(unit, Unit):
        unit = Unit.objects.only(*UNIT_SOURCES).get(pk=unit)
    return {"scope_unit_department_id": unit.lead_department_id, "scope_unit_area_id": unit.area_id}


def fill_hazard_scope(hazard: Hazard) -> None:
    """Copy the scope from the hazard's inspection and unit (the cached objects when the caller
    holds them, as every creating path does; one query each otherwise)."""
    for field, values in (
        ("inspection", scope_of_inspection),
        ("unit", scope_of_unit),
    ):
        descriptor = getattr(Hazard, field)
        source = getattr(hazard, field) if descriptor.is_cached(hazard) else None
        if source is None or source.pk != getattr(hazard, f"{field}_id"):
            source = getattr(hazard, f"{field}_id")
        if source is None:
            continue  # no inspection/unit yet: saving fails on NOT NULL anyway
        for attname, value in values(source).items():
            setattr(hazard, attname, value)


def _loaded(instance, names) -> tuple:
    # __dict__, not getattr: a deferred field must not cost a query on every instance.
    return tuple(instance.__dict__.get(name) for name in names)


def _remember_inspection(sender, instance, **kwargs):
    instance._scope_loaded = _loaded(instance, INSPECTION_SOURCES)


def _remember_unit(sender, instance, **kwargs):
    instance._scope_loaded = _loaded(instance, UNIT_SOURCES)


def _inspection_saved(sender, instance, created, raw=False, **kwargs):
    now = _loaded(instance, INSPECTION_SOURCES)
    if not created and not raw and now != instance._scope_loaded:
        Hazard.objects.filter(inspection_id=instance.pk).update(**scope_of_inspection(instance))
    instance._scope_loaded = now


def _unit_saved(sender, instance, created, raw=False, **kwargs):
    now = _loaded(instance, UNIT_SOURCES)
    if not created and not raw and now != instance._scope_loaded:
        Hazard.objects.filter(unit_id=instance.pk).update(**scope_of_unit(instance))
    instance._scope_loaded = now


def connect() -> None:
    """Called from InspectionsConfig.ready() (`units` must not import this app)."""
    post_init.connect(_remember_inspection, sender=Inspection, dispatch_uid="scope_inspection")
    post_init.connect(_remember_unit, sender=Unit, dispatch_uid="scope_unit")
    post_save.connect(_inspection_saved, sender=Inspection, dispatch_uid="scope_inspection")
    post_save.connect(_unit_saved, sender=Unit, dispatch_uid="scope_unit")
