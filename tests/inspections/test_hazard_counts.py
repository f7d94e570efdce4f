"""HazardCount (inspections/models/counts.py): the counts the database keeps per scope key and
status equal the hazards' real counts after any mix of writes — workflow transitions, imports
(bulk_create), bulk updates, moves of a unit, deletes, a rolled-back transaction, raw SQL — and
the ledger and home page read them with a pinned number of queries."""

import datetime
import random
import threading

import pytest
from django.db import connection, connections, transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from inspections import workflow
from inspections.models import Hazard, HazardCount, HazardMonthCount
from inspections.models.counts import KEY_COLUMNS, compact_counts
from inspections.views import ledger
from tests import factories

pytestmark = pytest.mark.django_db

KEY = [c.removesuffix("_id") for c in KEY_COLUMNS]


def real_counts() -> dict[tuple, int]:
    rows = Hazard.objects.order_by().values_list(*KEY_COLUMNS).annotate(n=Count("id"))
    return {row[:-1]: row[-1] for row in rows}


def kept_counts() -> dict[tuple, int]:
    rows = HazardCount.objects.order_by().values_list(*KEY_COLUMNS).annotate(total=Sum("n"))
    return {row[:-1]: row[-1] for row in rows if row[-1]}


def real_by_status(user) -> dict[str, int]:
    rows = (
        Hazard.objects.visible_to(user, drafts=False)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    return dict(rows)


@pytest.fixture
def world():
    fire = factories.department("消防")
    safety = factories.department("应急管理局")
    north, south = factories.area("北街道"), factories.area("南街道")
    people = {
        "fire": factories.user("hc_fire", "inspector", fire),
        "safety": factories.user("hc_safety", "inspector", safety),
        "north": factories.user("hc_north", "inspector", factories.street_office(north)),
        "office": factories.user("hc_office", "office", factories.department("安委办")),
    }
    units = [
        factories.unit(lead_department=fire, area=north),
        factories.unit(lead_department=safety, area=south),
        factories.unit(lead_department=safety, area=north),
    ]
    return {"d_fire": fire, "d_safety": safety, "areas": (north, south), "units": units, **people}


def real_month_counts() -> dict[tuple, int]:
    """What HazardMonthCount must hold: the same keys, the source and the months of the found
    date, the local 销号 day and the time limit (Django's TruncMonth is in local time)."""
    rows = (
        Hazard.objects.order_by()
        .annotate(f=TruncMonth("found_on"), c=TruncMonth("closed_at"), d=TruncMonth("deadline"))
        .values_list(*KEY_COLUMNS, "source", "f", "c", "d")
        .annotate(n=Count("id"))
    )
    return {
        (*row[:-4], row[-4], row[-3] and timezone.localtime(row[-3]).date(), row[-2]): row[-1]
        for row in rows
    }


def kept_month_counts() -> dict[tuple, int]:
    rows = (
        HazardMonthCount.objects.order_by()
        .values_list(*KEY_COLUMNS, "source", "found_month", "closed_month", "deadline_month")
        .annotate(total=Sum("n"))
    )
    return {row[:-1]: row[-1] for row in rows if row[-1]}


def assert_exact(world) -> None:
    assert kept_counts() == real_counts()
    assert kept_month_counts() == real_month_counts()
    for key in ("fire", "safety", "north", "office"):
        user = world[key]
        assert HazardCount.objects.visible_to(user).by_status() == real_by_status(user), key


def test_counts_follow_a_random_series_of_writes(world):
    rng = random.Random(12)
    office, fire, safety = world["office"], world["d_fire"], world["d_safety"]
    inspectors = [world["fire"], world["safety"], world["north"]]
    today = timezone.localdate()
    assert kept_counts() == {}
    for step in range(60):
        unit = rng.choice(world["units"])
        by = rng.choice(inspectors)
        move = rng.randrange(9)
        hazards = list(Hazard.objects.exclude(status=Hazard.Status.DRAFT).order_by("id"))
        if move == 0 or not hazards:
            factories.registered_hazard(unit, by, level=rng.choice(list(Hazard.Level)))
        elif move == 1:
            # A ledger import writes many at once.
            inspection = factories.inspection(unit, by)
            Hazard.objects.bulk_create(
                Hazard(
                    number=f"YH-HC-{step:03d}-{i}",
                    year=today.year,
                    inspection=inspection,
                    unit=unit,
                    found_on=today - datetime.timedelta(days=30),
                    description="批量导入隐患：灭火器过期",
                    hazard_type=Hazard.Type.FIRE,
                    level=Hazard.Level.GENERAL,
                    lead_department=unit.lead_department,
                    status=Hazard.Status.ASSIGNED,
                    deadline=today + datetime.timedelta(days=rng.randrange(-20, 20)),
                )
                for i in range(rng.randrange(1, 5))
            )
        elif move == 2:
            registered = [h for h in hazards if h.status == Hazard.Status.REGISTERED]
            if registered:
                h = rng.choice(registered)
                workflow.assign(
                    hazard_id=h.pk,
                    actor=office,
                    version=h.version,
                    lead_department=rng.choice([fire, safety]),
                    responsible_person="李四",
                    deadline=today + datetime.timedelta(days=10),
                )
        elif move == 3:
            registered = [h for h in hazards if h.status == Hazard.Status.REGISTERED]
            if registered:
                h = rng.choice(registered)
                workflow.reject(hazard_id=h.pk, actor=office, version=h.version, reason="重复上报")
        elif move == 4:
            # A bulk update no Python per-row code sees.
            ids = [h.pk for h in rng.sample(hazards, min(len(hazards), 3))]
            Hazard.objects.filter(pk__in=ids).update(
                status=rng.choice([Hazard.Status.RECTIFYING, Hazard.Status.CLOSED]),
                level=rng.choice(list(Hazard.Level)),
                # 16:30 UTC on the last of a month is 00:30 on the 1st in Beijing: the month
                # counts' 销号 month is the local one, as the ledger's closed_from/closed_to.
                closed_at=rng.choice(
                    [None, datetime.datetime(2026, 4, 30, 16, 30, tzinfo=datetime.UTC)]
                ),
                source=rng.choice(list(Hazard.Source)),
            )
        elif move == 5:
            # A unit changes its 牵头部门: its hazards' scope copies move (inspections/scope.py).
            moved = rng.choice(world["units"])
            moved.lead_department = rng.choice([fire, safety])
            moved.area = rng.choice(world["areas"])
            moved.save()
        elif move == 6:
            # Only a draft may be deleted (audit/tracking.py); its row leaves the counts.
            drafts = list(Hazard.objects.filter(status=Hazard.Status.DRAFT))
            if drafts and rng.random() < 0.5:
                Hazard.objects.filter(pk=drafts[0].pk).delete()
            else:
                factories.hazard(unit, by, status=Hazard.Status.DRAFT)
        elif move == 7:
            # A transition that fails halfway leaves the counts as they were.
            h = rng.choice(hazards)
            with pytest.raises(RuntimeError), transaction.atomic():
                Hazard.objects.filter(pk=h.pk).update(status=Hazard.Status.VOID)
                raise RuntimeError
        else:
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE inspections_hazard SET handling_department_id = %s WHERE id = %s",
                    [rng.choice([fire.pk, safety.pk, None]), rng.choice(hazards).pk],
                )
        assert kept_counts() == real_counts(), (step, move)
    assert Hazard.objects.count() > 20
    assert len({status for status, *_ in real_counts()}) >= 4
    assert_exact(world)


def test_compaction_folds_the_deltas_into_one_row_per_key(world):
    unit, fire = world["units"][0], world["fire"]
    for _ in range(4):
        factories.registered_hazard(unit, fire)
    Hazard.objects.filter(status=Hazard.Status.REGISTERED).update(level=Hazard.Level.MAJOR)
    assert HazardCount.objects.count() > len(real_counts())  # deltas appended per statement
    assert compact_counts()
    assert HazardCount.objects.count() == len(real_counts())
    assert HazardMonthCount.objects.count() == len(real_month_counts())
    assert_exact(world)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_writers_of_the_same_key_never_wait_for_each_other(world):
    """A long transaction writing hazards (an import) must not hold up an inspector's hazard of
    the same department and status, and a compaction meanwhile keeps the open delta."""
    unit, fire = world["units"][0], world["fire"]
    factories.hazard(unit, fire)
    written, release, done = threading.Event(), threading.Event(), threading.Event()

    def long_import():
        try:
            with transaction.atomic():
                factories.hazard(unit, fire)
                written.set()
                release.wait(timeout=20)
        finally:
            connections.close_all()
            done.set()

    thread = threading.Thread(target=long_import)
    thread.start()
    try:
        assert written.wait(timeout=20)
        with transaction.atomic(), connection.cursor() as cursor:
            # Waiting for the other transaction's lock would fail here instead of hanging.
            cursor.execute("SET LOCAL lock_timeout = '2s'")
            factories.hazard(unit, fire)
            assert compact_counts()
    finally:
        release.set()
        assert done.wait(timeout=20)
        thread.join()
    assert Hazard.objects.count() == 3
    assert_exact(world)
    assert compact_counts()
    assert_exact(world)


def test_truncate_empties_the_counts(world):
    factories.registered_hazard(world["units"][0], world["fire"])
    assert kept_counts()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred FK checks pending
        cursor.execute("TRUNCATE inspections_hazard CASCADE")
    assert kept_counts() == {} == real_counts()
    assert kept_month_counts() == {}


def test_ledger_chips_and_total_come_from_the_counts(world, client, django_assert_max_num_queries):
    for i, unit in enumerate(world["units"]):
        for _ in range(i + 1):
            factories.hazard(unit, world["fire"], level=Hazard.Level.MAJOR if i else "general")
    factories.hazard(world["units"][1], world["safety"], status=Hazard.Status.CLOSED)
    # Make the maintained figures differ from a recount, to see which one the page shows.
    assert compact_counts()
    HazardCount.objects.filter(status=Hazard.Status.CLOSED).update(n=40)
    client.force_login(world["office"])
    with django_assert_max_num_queries(12):
        response = client.get("/hazards/?level=major")
    chips = {item["value"]: item["count"] for item in response.context["status_counts"]}
    assert chips["assigned"] == 5
    assert response.context["paginator"].count == 5
    response = client.get("/hazards/")
    chips = {item["value"]: item["count"] for item in response.context["status_counts"]}
    assert (chips["closed"], chips["overdue"]) == (40, 0)
    assert response.context["paginator"].count == 46
    assert not response.context["count_capped"]


def test_a_large_filtered_ledger_is_counted_up_to_the_cap(
    world, client, monkeypatch, django_assert_max_num_queries
):
    for _ in range(4):
        factories.hazard(world["units"][0], world["fire"], description="电梯维保记录缺失")
    factories.hazard(world["units"][0], world["fire"], description="配电箱未接地")
    client.force_login(world["fire"])
    response = client.get("/hazards/?q=电梯")
    assert not response.context["count_capped"]
    chips = {item["value"]: item["count"] for item in response.context["status_counts"]}
    assert chips["assigned"] == 4 and response.context["paginator"].count == 4

    monkeypatch.setattr(ledger, "COUNT_CAP", 3)
    with django_assert_max_num_queries(12):
        response = client.get("/hazards/?q=电梯&page_size=2")
    assert response.context["count_capped"]
    assert all(item["count"] is None for item in response.context["status_counts"])
    html = response.content.decode()
    assert "超过 3 条" in html and "各状态数量不逐条统计" in html
    assert len(response.context["object_list"]) == 2


def test_a_counted_search_gives_its_first_page_from_the_counted_rows(
    world, client, monkeypatch, django_assert_max_num_queries
):
    """The first page of a keyword search comes out of the counts' own statement: the same
    rows, in the same order, as the ledger's query for them, whatever the page size; capped,
    sorted otherwise, filtered by status or on page 2, the page is its own query."""
    today = timezone.localdate()
    unit, fire = world["units"][0], world["fire"]
    for i in range(7):
        # Two on each day: the id breaks the tie, as in the ledger's order.
        factories.hazard(
            unit,
            fire,
            description=f"电梯维保记录缺失{i}",
            found_on=today - datetime.timedelta(days=i // 2),
            status=Hazard.Status.CLOSED if i % 3 == 0 else Hazard.Status.ASSIGNED,
        )
    factories.hazard(unit, fire, description="配电箱未接地")
    client.force_login(fire)
    expected = list(
        Hazard.objects.visible_to(fire, drafts=False)
        .filter(description__contains="电梯")
        .order_by("-found_on", "-id")
        .values_list("pk", flat=True)
    )

    def page_ids(query: str) -> list[int]:
        response = client.get(f"/hazards/?{query}")
        assert response.status_code == 200
        return [h.pk for h in response.context["object_list"]]

    with django_assert_max_num_queries(11):
        assert page_ids("q=电梯") == expected
    assert page_ids("q=电梯&page_size=3") == expected[:3]
    assert page_ids("q=电梯&page_size=3&page=2") == expected[3:6]
    assert page_ids("q=电梯&sort=found_on") == expected[::-1]
    assert page_ids("q=电梯&status=closed") == [
        pk for pk in expected if Hazard.objects.get(pk=pk).status == Hazard.Status.CLOSED
    ]
    # Capped, the counted rows are any 4 of the 7, not the newest: the page is its own query
    # (and, as for any capped count, pages reach only as far as the cap).
    monkeypatch.setattr(ledger, "COUNT_CAP", 3)
    assert page_ids("q=电梯&page_size=3") == expected[:3]


def test_rebuild_counts_checks_and_repairs_both_tables(world):
    from django.core.management import CommandError, call_command

    for unit in world["units"]:
        factories.registered_hazard(unit, world["fire"])
    call_command("rebuild_counts", "--check")  # kept by the triggers: nothing to repair
    # Rows written with the triggers off (a bulk load, a partial restore) are not counted.
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            Hazard.objects.filter(pk=Hazard.objects.first().pk).update(
                level=Hazard.Level.MAJOR, found_on=datetime.date(2025, 3, 3)
            )
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")
    with pytest.raises(CommandError, match="rebuild_counts"):
        call_command("rebuild_counts", "--check")
    call_command("rebuild_counts")
    call_command("rebuild_counts", "--check")
    assert_exact(world)
