"""The optional read replica (DATABASE_REPLICA_URL): the dashboard's and the bulletins'
aggregates read there; a user's own actions, every write and every read inside a transaction
stay on default.

The integration tests give the test database a second name, `replica`, as Django's TEST MIRROR
does: a second connection to the same database, so the queries each connection ran show where
the router sent them. They commit (transaction=True) because a second connection cannot see
the uncommitted rows of the usual per-test transaction.
"""

import copy
import datetime

import pytest
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from anjian.db_routers import REPLICA, ReplicaRouter, read_alias, replica_reads
from inspections import bulletins, workflow
from inspections.models import Bulletin, Hazard
from tests import factories
from tests.test_health_and_settings import production_env, run

ROUTER = "anjian.db_routers.ReplicaRouter"
HAZARD_TABLE = f'"{Hazard._meta.db_table}"'
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a second connection to the test database needs PostgreSQL (SQLite's is in memory)",
)
committing = pytest.mark.django_db(
    transaction=True, serialized_rollback=True, databases=[DEFAULT_DB_ALIAS, REPLICA]
)


@pytest.fixture(scope="module", autouse=True)
def replica_alias(django_db_setup):
    """`replica` in the connection settings, as DATABASE_REPLICA_URL puts it there (the
    router is the `replica` fixture's). Module-scoped so that it exists before pytest-django
    checks a test's `databases` against the configured aliases."""
    if REPLICA in connections.settings:  # DATABASE_REPLICA_URL set: the settings' own mirror
        yield
        return
    mirror = copy.deepcopy(connections[DEFAULT_DB_ALIAS].settings_dict)
    mirror["TEST"] = {**mirror["TEST"], "MIRROR": DEFAULT_DB_ALIAS}
    connections.settings[REPLICA] = mirror
    yield
    connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]


@pytest.fixture
def replica(settings):
    settings.DATABASE_ROUTERS = [ROUTER]
    settings.DASHBOARD_CACHE_SECONDS = 0  # every request computes its figures
    cache.clear()
    return connections[REPLICA]


class Captured:
    """The SQL each connection ran inside the block."""

    def __init__(self):
        self.default = CaptureQueriesContext(connections[DEFAULT_DB_ALIAS])
        self.replica = CaptureQueriesContext(connections[REPLICA])

    def __enter__(self):
        self.default.__enter__()
        self.replica.__enter__()
        return self

    def __exit__(self, *exc):
        self.replica.__exit__(*exc)
        self.default.__exit__(*exc)

    @staticmethod
    def sql(context) -> list[str]:
        return [query["sql"] for query in context.captured_queries]

    def on_default(self, table: str = HAZARD_TABLE) -> list[str]:
        return [sql for sql in self.sql(self.default) if table in sql]

    def on_replica(self, table: str = HAZARD_TABLE) -> list[str]:
        return [sql for sql in self.sql(self.replica) if table in sql]


# --- the router and replica_reads() --------------------------------------------------------


def test_reads_stay_on_default_unless_marked():
    assert read_alias() == DEFAULT_DB_ALIAS
    with replica_reads():
        assert read_alias() == REPLICA
        assert ReplicaRouter().db_for_read(Hazard) == REPLICA
    assert read_alias() == DEFAULT_DB_ALIAS


def test_replica_reads_as_decorator_and_restored_after_an_exception():
    @replica_reads()
    def inside() -> str:
        return read_alias()

    assert inside() == REPLICA
    with pytest.raises(RuntimeError), replica_reads():
        raise RuntimeError("the block failed")
    assert read_alias() == DEFAULT_DB_ALIAS


def test_without_a_replica_marked_reads_go_to_default(monkeypatch):
    monkeypatch.delitem(connections.settings, REPLICA)
    with replica_reads():
        assert read_alias() == DEFAULT_DB_ALIAS


def test_writes_and_migrations_only_on_default():
    router = ReplicaRouter()
    with replica_reads():
        assert router.db_for_write(Hazard) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "inspections") is True
    assert router.allow_migrate(REPLICA, "inspections") is False
    on_replica, on_default = Hazard(), Hazard()
    on_replica._state.db, on_default._state.db = REPLICA, DEFAULT_DB_ALIAS
    assert router.allow_relation(on_replica, on_default) is True
    elsewhere = Hazard()
    elsewhere._state.db = "archive"
    assert router.allow_relation(on_replica, elsewhere) is None


@postgres_only
@committing
def test_marked_reads_inside_a_transaction_on_default_stay_there():
    with replica_reads():
        assert read_alias() == REPLICA
        with transaction.atomic():
            assert read_alias() == DEFAULT_DB_ALIAS
        assert read_alias() == REPLICA


# --- settings -------------------------------------------------------------------------------

PRINT_DATABASES = (
    "import anjian.settings as s; "
    "r = s.DATABASES.get('replica'); "
    "print(sorted(s.DATABASES), getattr(s, 'DATABASE_ROUTERS', []), "
    "r and (r['NAME'], r['HOST'], r['CONN_MAX_AGE'], r['TEST']))"
)


def test_replica_url_adds_the_alias_and_the_router():
    env = production_env(
        DATABASE_URL="postgres://anjian@primary:5432/anjian",
        DATABASE_REPLICA_URL="postgresql://reader@standby:5432/anjian",
    )
    result = run(["-c", PRINT_DATABASES], **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"['default', 'replica'] ['{ROUTER}'] ('anjian', 'standby', 60, {{'MIRROR': 'default'}})"
    )


def test_without_replica_url_no_alias_and_no_router():
    env = production_env(DATABASE_URL="postgres://anjian@primary:5432/anjian")
    result = run(["-c", PRINT_DATABASES], **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['default'] [] None"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"DATABASE_URL": "postgres://db/anjian", "DATABASE_REPLICA_URL": "mysql://db/anjian"},
            "DATABASE_REPLICA_URL must be a postgres:// URL",
        ),
        (
            {"DATABASE_REPLICA_URL": "postgres://standby/anjian"},
            "DATABASE_REPLICA_URL is set but DATABASE_URL is not",
        ),
    ],
)
def test_bad_replica_url_stops_the_process(env, message):
    result = run(["-c", "import anjian.settings"], **production_env(**env))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_check_deploy_passes_with_a_replica():
    env = production_env(
        DATABASE_URL="postgres://anjian@primary:5432/anjian",
        DATABASE_REPLICA_URL="postgres://reader@standby:5432/anjian",
    )
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **env)
    assert result.returncode == 0, result.stdout + result.stderr


# --- what goes where ------------------------------------------------------------------------


@pytest.fixture
def hazards(unit_of_a, unit_of_b, inspector_a, inspector_b):
    today = timezone.localdate()
    return [
        factories.hazard(unit_of_a, inspector_a),
        factories.hazard(unit_of_a, inspector_a, deadline=today - datetime.timedelta(days=3)),
        factories.hazard(unit_of_b, inspector_b, level=Hazard.Level.MAJOR),
    ]


@postgres_only
@committing
@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard/export.xlsx"])
def test_dashboard_figures_are_read_from_the_replica(replica, login, office, hazards, path):
    client = login(office)
    with Captured() as captured:
        response = client.get(path)
    assert response.status_code == 200
    assert len(captured.on_replica()) >= 5, captured.sql(captured.replica)
    assert captured.on_default() == []
    # The session and the signed-in user are the request's own: default.
    assert captured.on_default('"django_session"')
    assert captured.on_replica('"django_session"') == []


@postgres_only
@committing
def test_dashboard_reads_default_without_the_router(settings, login, office, hazards):
    settings.DATABASE_ROUTERS = []
    settings.DASHBOARD_CACHE_SECONDS = 0
    cache.clear()
    client = login(office)
    with Captured() as captured:
        assert client.get("/dashboard/").status_code == 200
    assert captured.sql(captured.replica) == []
    assert captured.on_default()


@postgres_only
@committing
def test_a_transition_reads_and_writes_default(replica, login, inspector_a, hazards):
    hazard = hazards[0]
    client = login(inspector_a)
    url = reverse("hazard_act", kwargs={"pk": hazard.pk, "action": "start"})
    with Captured() as captured:
        response = client.post(url, {"version": hazard.version, "plan": "更换灭火器"})
        detail = client.get(response["Location"])
    assert response.status_code == 302
    assert "更换灭火器" in detail.content.decode()  # the user's own write, read back at once
    assert captured.sql(captured.replica) == []
    # pghistory puts its context in front of the statement: "SELECT set_config(…); UPDATE …"
    assert any(f"UPDATE {HAZARD_TABLE}" in sql for sql in captured.on_default())


@postgres_only
@committing
def test_workflow_inside_replica_reads_still_locks_and_reads_on_default(
    replica, inspector_a, hazards
):
    hazard = hazards[0]
    with Captured() as captured, replica_reads():
        workflow.start_rectifying(hazard_id=hazard.pk, actor=inspector_a, version=hazard.version)
    assert captured.sql(captured.replica) == []
    assert any("FOR UPDATE" in sql for sql in captured.on_default())
    hazard.refresh_from_db()
    assert hazard.status == Hazard.Status.RECTIFYING


@postgres_only
@committing
def test_bulletin_figures_and_annex_from_the_replica_saved_on_default(replica, office, hazards):
    today = timezone.localdate()
    draft = bulletins.create_bulletin(
        actor=office, start=today - datetime.timedelta(days=30), end=today
    )
    saved_on = []

    def record(sender, instance, using, **kwargs):
        saved_on.append(using)

    post_save.connect(record, sender=Bulletin)
    try:
        with Captured() as captured:
            built = bulletins.build(draft.pk)
    finally:
        post_save.disconnect(record, sender=Bulletin)
    assert built.status == Bulletin.Status.READY, built.error
    assert built.stats["summary"]["found"]["value"] == len(hazards)
    assert len(captured.on_replica()) >= 5
    # The annex streams its lists through a server-side cursor on the replica.
    assert any(sql.startswith("DECLARE") for sql in captured.on_replica())
    # Nothing of the hazards from default: neither the figures nor the annex's lists.
    assert captured.on_default() == []
    assert saved_on == [DEFAULT_DB_ALIAS]
    locks = [sql for sql in captured.on_default('"inspections_bulletin"') if "FOR UPDATE" in sql]
    assert len(locks) == 1
    assert captured.on_replica('"inspections_bulletin"') == []
