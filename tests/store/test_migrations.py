import subprocess
import sys

from sqlalchemy import inspect

from console import store
from console.store import migrate


def test_it_migrates_to_head_at_start(app):
    engine = store.get_engine(app)
    assert migrate.current_revision(engine) == migrate.head()
    assert {"users", "api_tokens", "audit_log"} <= set(inspect(engine).get_table_names())


def test_it_is_a_no_op_to_upgrade_twice(app, db):
    from console import auth

    auth.create_user(db, name="alice", password="alice-password", role="admin")
    engine = store.get_engine(app)
    migrate.upgrade(engine)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head()
    assert [u.name for u in auth.list_users(db)] == ["alice"]


def test_it_migrates_once_when_workers_start_together(database_url):
    # what gunicorn does: several processes build the app at the same moment on an empty database
    code = ("import sys; from console.store import create_store_engine, migrate; "
            "e = create_store_engine(sys.argv[1]); migrate.upgrade(e); print(migrate.current_revision(e))")
    workers = [subprocess.Popen([sys.executable, "-c", code, database_url], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outcomes = [worker.communicate(timeout=120) for worker in workers]
    assert [w.returncode for w in workers] == [0, 0, 0], [err for _, err in outcomes]
    assert {out.strip() for out, _ in outcomes} == {migrate.head()}


def test_it_keeps_each_stored_policy_as_its_first_version(database_url):
    from alembic import command
    from sqlalchemy import text

    from console.store import create_store_engine

    engine = create_store_engine(database_url)
    try:
        with engine.begin() as connection:
            command.upgrade(migrate.alembic_config(connection), "0005")
            connection.execute(text(
                "INSERT INTO scaling_policies (name, target, version, document, updated_at, updated_by) "
                "VALUES ('gateway', 'gateway', 3, '{\"kind\": \"ScalingPolicy\"}', '2025-01-06 12:00:00', 'alice')"))
        migrate.upgrade(engine)
        with engine.connect() as connection:
            kept = connection.execute(text("SELECT version, actor, document FROM scaling_policy_versions")).all()
        assert [(v, actor) for v, actor, _ in kept] == [(3, "alice")]
        assert "ScalingPolicy" in str(kept[0][2])
    finally:
        engine.dispose()


def test_it_rewrites_the_older_audit_words_to_the_apis(database_url):
    from alembic import command
    from sqlalchemy import text

    from console.store import create_store_engine

    engine = create_store_engine(database_url)
    try:
        with engine.begin() as connection:
            command.upgrade(migrate.alembic_config(connection), "0009")
            for action, result in (("login", "success"), ("login", "failure"), ("token.create", "success"),
                                   ("user.create", "success"), ("rules.import", "ok"), ("rules.delete", "not_found")):
                connection.execute(text("INSERT INTO audit_log (at, actor, action, target, result) "
                                        "VALUES ('2026-12-01 12:00:00', 'alice', :action, 't', :result)"),
                                   {"action": action, "result": result})
        migrate.upgrade(engine)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT action, result FROM audit_log ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [("login", "ok"), ("login", "failed"), ("tokens.create", "ok"),
                                            ("users.create", "ok"), ("rules.import", "ok"),
                                            ("rules.delete", "not_found")]
    finally:
        engine.dispose()


def test_its_migrations_build_the_tables_and_indexes_the_models_declare(database_url):
    from sqlalchemy import inspect

    # every module that declares tables, so that the metadata holds them all
    from console.alerts import models as alerts  # noqa: F401
    from console.rules import models as rules  # noqa: F401
    from console.scaling import models as scaling  # noqa: F401
    from console.store import Base, create_store_engine

    engine = create_store_engine(database_url)
    try:
        migrate.upgrade(engine)
        found = inspect(engine)
        assert {"incidents", "incident_alerts", "alert_rules", "scale_events"} <= set(Base.metadata.tables)
        for table in Base.metadata.sorted_tables:
            declared = {i.name for i in table.indexes}
            assert declared <= {i["name"] for i in found.get_indexes(table.name)}, table.name
    finally:
        engine.dispose()
