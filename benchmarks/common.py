"""Data builders shared by the benchmark scripts (imported after django.setup())."""

from collections.abc import Callable

from units.models import Area, Category, Department, Unit
from units.validators import make_credit_code


def bench_units(
    count: int,
    departments: list[Department],
    *,
    name: Callable[[int], str],
    address: Callable[[int], str],
    batch_size: int = 2000,
) -> None:
    """`count` units spread over 12 benchmark streets, every category and `departments`;
    credit codes from 70,000,000 up, clear of the demo's and seed_demo --scale's."""
    areas = [
        Area.objects.get_or_create(name=f"基准街道{i}", defaults={"code": f"B{i}"})[0]
        for i in range(12)
    ]
    categories = list(Category.objects.all())
    Unit.objects.bulk_create(
        [
            Unit(
                name=name(i),
                credit_code=make_credit_code("91210106", f"{i + 70_000_000:08d}"),
                category=categories[i % len(categories)],
                area=areas[i % len(areas)],
                address=address(i),
                legal_rep="张三",
                legal_rep_phone="13800138000",
                lead_department=departments[i % len(departments)],
            )
            for i in range(count)
        ],
        batch_size=batch_size,
    )


def insert_select(model, expressions: dict[str, str], from_sql: str, params: dict) -> int:
    """INSERT INTO model's table SELECT `expressions` (column → SQL) `from_sql`: every other
    column gets the model field's default, so a field added later does not break the seed."""
    from django.db import connection

    columns, values, params = [], [], dict(params)
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.column in expressions:
            values.append(expressions[field.column])
        else:
            key = f"default_{field.column}"
            params[key] = field.get_db_prep_save(field.get_default(), connection)
            values.append(f"%({key})s")
    unknown = set(expressions) - {f.column for f in model._meta.concrete_fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no columns {sorted(unknown)}")
    statement = (
        f"INSERT INTO {model._meta.db_table} ({', '.join(columns)})"
        f" SELECT {', '.join(values)} {from_sql}"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def fill_hazard_scope() -> int:
    """Hazards inserted by SQL get the scope copies the app keeps in Python (inspections/scope.py);
    without them an inspector would see none of them."""
    from django.db import connection

    from inspections.scope import FILL_MISSING_SQL

    with connection.cursor() as cursor:
        cursor.execute(FILL_MISSING_SQL)
        return cursor.rowcount
