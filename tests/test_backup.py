"""make backup / make restore: a dump restored into a scratch database matches its manifest,
table by table and file by file; a damaged backup or a non-empty target is refused."""

import json
import shutil

import psycopg2
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from audit import backup as backups
from tests import factories

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump backs up PostgreSQL"),
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="needs postgresql-client"),
    # pg_dump sees committed rows only.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _url(name: str) -> str:
    return backups.url_of({**connection.settings_dict, "NAME": name})


@pytest.fixture
def scratch_db():
    name = connection.settings_dict["NAME"] + "_restore"
    admin = psycopg2.connect(
        **{
            k: v
            for k, v in {
                "host": connection.settings_dict["HOST"] or "localhost",
                "port": connection.settings_dict["PORT"] or 5432,
                "user": connection.settings_dict["USER"],
                "password": connection.settings_dict["PASSWORD"] or None,
                "dbname": "postgres",
            }.items()
            if v is not None
        }
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield _url(name)
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture
def media(settings, tmp_path):
    root = tmp_path / "media"
    (root / "photos" / "2026").mkdir(parents=True)
    (root / "photos" / "2026" / "a.jpg").write_bytes(b"\xff\xd8 photo bytes")
    (root / "bulletins").mkdir()
    (root / "bulletins" / "通报.pdf").write_bytes(b"%PDF-1.4 bulletin")
    settings.MEDIA_ROOT = root
    return root


def test_a_backup_restores_into_a_scratch_database_with_equal_counts_and_files(
    media, scratch_db, tmp_path, inspector_a, unit_of_a
):
    factories.registered_hazard(unit_of_a, inspector_a)
    call_command("backup", dest=str(tmp_path / "backups"))
    (made,) = (tmp_path / "backups").iterdir()
    manifest = json.loads((made / "manifest.json").read_text("utf-8"))
    assert manifest["tables"]["units_unit"] == 1 and manifest["tables"]["inspections_hazard"] == 1
    assert manifest["tables"]["audit_unithistory"] >= 1  # the trail is backed up too
    assert set(manifest["media"]) == {"photos/2026/a.jpg", "bulletins/通报.pdf"}

    restored_media = tmp_path / "restored-media"
    call_command("restore", str(made), database_url=scratch_db, media_root=str(restored_media))

    # Compared here independently of the command's own check.
    target = backups.Target(scratch_db).connect()
    with target.cursor() as cursor:
        restored = backups.row_counts(cursor)
    target.close()
    with connection.cursor() as cursor:
        live = backups.row_counts(cursor.cursor)
    assert restored == live == manifest["tables"]
    assert backups.media_hashes(restored_media) == backups.media_hashes(media)


def test_restore_refuses_a_database_that_is_not_empty_and_a_damaged_dump(
    media, scratch_db, tmp_path
):
    call_command("backup", dest=str(tmp_path / "backups"))
    (made,) = (tmp_path / "backups").iterdir()
    with pytest.raises(CommandError, match="不是空库"):
        call_command(
            "restore",
            str(made),
            database_url=_url(connection.settings_dict["NAME"]),
            media_root=str(tmp_path / "m1"),
        )
    with open(made / "db.dump", "ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(CommandError, match="哈希不一致"):
        call_command("restore", str(made), database_url=scratch_db, media_root=str(tmp_path / "m2"))


def test_with_media_in_a_bucket_the_backup_holds_the_database_and_says_so(
    media, scratch_db, tmp_path, settings, capsys
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "tests.test_stateless_media.BucketStorage"},
    }
    settings.AWS_STORAGE_BUCKET_NAME = "anjian-media"
    call_command("backup", dest=str(tmp_path / "backups"))
    (made,) = (tmp_path / "backups").iterdir()
    manifest = json.loads((made / "manifest.json").read_text("utf-8"))
    # MEDIA_ROOT on this host is not where the media are: nothing of it is archived.
    assert manifest["media"] == {} and manifest["media_storage"] == "bucket"
    assert "对象存储桶（anjian-media）" in capsys.readouterr().err
    restored_media = tmp_path / "restored-media"
    call_command("restore", str(made), database_url=scratch_db, media_root=str(restored_media))
