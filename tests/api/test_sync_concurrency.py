"""The change feed under concurrent writers, on real separate PostgreSQL connections: a
platform paging while others commit misses nothing and gets nothing twice.

The trap it guards against: ids and timestamps are taken when a transaction writes, not when it
commits. A transaction that began first and commits last lands *behind* rows already read."""

import random
import threading

import pytest
from django.db import connection, connections, transaction

from inspections import workflow
from inspections.models import Hazard
from tests import factories
from units.changes import change_horizon

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL transactions"),
]


def settle(hazard_ids: list[int], timeout: float = 30.0) -> None:
    """Wait until the change horizon has passed these rows: a thread's connection may still be
    finishing its commit when the thread has signalled."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT max(change_seq) FROM inspections_hazard WHERE id = ANY(%s)", [hazard_ids]
        )
        (latest,) = cursor.fetchone()
        for _ in range(int(timeout / 0.05)):
            if change_horizon().below > latest:
                return
            cursor.execute("SELECT pg_sleep(0.05)")
    raise AssertionError("a transaction of this database stayed open for 30 s")


class Feed:
    """A platform's sync loop: keeps its cursor, collects every row it is handed."""

    def __init__(self, client, token):
        self.client, self.headers, self.cursor = (
            client,
            {"HTTP_AUTHORIZATION": f"Bearer {token}"},
            None,
        )
        self.seen: list[int] = []

    def pull(self, page_size: int = 7) -> None:
        while True:
            params = {"page_size": page_size, **({"cursor": self.cursor} if self.cursor else {})}
            body = self.client.get("/api/v1/hazards/", params, **self.headers).json()
            self.seen += [row["id"] for row in body["results"]]
            self.cursor = body["cursor"]
            if not body["has_more"]:
                return


def test_a_row_committed_late_is_not_missed(client, district_api, unit_of_a, inspector_a):
    feed = Feed(client, district_api[1])
    written, release, done = threading.Event(), threading.Event(), threading.Event()
    late: list[int] = []

    def slow_writer():
        try:
            with transaction.atomic():
                late.append(factories.hazard(unit_of_a, inspector_a).pk)
                written.set()
                release.wait(timeout=20)
        finally:
            connections.close_all()
            done.set()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert written.wait(timeout=20)
    quick = [factories.hazard(unit_of_a, inspector_a).pk for _ in range(3)]
    feed.pull()
    # The quick rows wait behind the open transaction rather than jump ahead of it.
    assert feed.seen == []
    release.set()
    assert done.wait(timeout=20)
    thread.join()
    settle(late + quick)
    feed.pull()
    assert feed.seen == late + quick
    # Ordered by id or by the time they were written, the late row would sort first and be
    # skipped by a reader already past the quick ones.
    assert late[0] < min(quick)


def test_a_changed_row_comes_again_once(client, district_api, unit_of_a, inspector_a, office):
    feed = Feed(client, district_api[1])
    hazards = [factories.registered_hazard(unit_of_a, inspector_a) for _ in range(3)]
    settle([h.pk for h in hazards])
    feed.pull()
    assert sorted(feed.seen) == sorted(h.pk for h in hazards)
    workflow.reject(
        hazard_id=hazards[1].pk, actor=office, version=hazards[1].version, reason="重复"
    )
    settle([hazards[1].pk])
    feed.seen.clear()
    feed.pull()
    assert feed.seen == [hazards[1].pk]
    feed.seen.clear()
    feed.pull()
    assert feed.seen == []


def test_concurrent_writers_and_a_paging_reader_miss_and_repeat_nothing(
    client, district_api, unit_of_a, inspector_a
):
    feed = Feed(client, district_api[1])
    rng = random.Random(15)
    plans = [[rng.randint(1, 3) for _ in range(8)] for _ in range(4)]  # 4 writers, 8 commits
    created: list[int] = []
    lock = threading.Lock()
    writers_done = threading.Event()
    errors: list[BaseException] = []

    def writer(plan, seed):
        local = random.Random(seed)
        try:
            for size in plan:
                with transaction.atomic():
                    ids = [factories.hazard(unit_of_a, inspector_a).pk for _ in range(size)]
                    # Hold the transaction open a little so commits overtake each other.
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT pg_sleep(%s)", [local.uniform(0, 0.03)])
                with lock:
                    created.extend(ids)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            connections.close_all()

    def reader():
        try:
            while not writers_done.is_set():
                feed.pull(page_size=5)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(plan, i)) for i, plan in enumerate(plans)]
    reading = threading.Thread(target=reader)
    reading.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    writers_done.set()
    reading.join(timeout=60)
    assert not errors, errors
    settle(created)
    feed.pull()
    assert len(created) == sum(map(sum, plans))
    assert len(feed.seen) == len(set(feed.seen)), "a row was handed out twice"
    assert sorted(feed.seen) == sorted(created)
    assert Hazard.objects.count() == len(created)
