"""Numbering under concurrency: two connections circulating at once get 1 and 2, no gap.

Needs PostgreSQL (row locks across connections); SQLite serialises whole-database writes, which
proves nothing, so the test is skipped there.
"""

import threading

import pytest
from django.db import close_old_connections, connection

from inspections import bulletins
from inspections.models import Bulletin, YearSequence

from .conftest import START, TODAY, signed


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_circulations_get_consecutive_numbers(district, office, leader):
    if connection.vendor != "postgresql":
        pytest.skip("row locks across connections need PostgreSQL")
    ready = [
        bulletins.build(bulletins.create_bulletin(actor=office, start=START, end=TODAY).pk)
        for _ in range(2)
    ]
    assert all(b.status == Bulletin.Status.READY for b in ready)
    ready = [signed(b.pk, office, leader) for b in ready]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def circulate(pk: int) -> None:
        try:
            barrier.wait(timeout=30)
            bulletins.circulate(bulletin_id=pk, actor=office, today=TODAY)
        except BaseException as exc:  # reported to the main thread below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=circulate, args=(b.pk,)) for b in ready]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    numbers = sorted(Bulletin.objects.values_list("seq", flat=True))
    assert numbers == [1, 2]
    assert set(Bulletin.objects.values_list("number", flat=True)) == {
        "铁安委办〔2026〕1号",
        "铁安委办〔2026〕2号",
    }
    assert YearSequence.objects.get(name="bulletin", year=2026).last == 2
