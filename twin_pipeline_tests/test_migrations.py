"""Migrations: idempotent, recorded, append-only, and the sources untouched unless asked."""

import shutil
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from twin_pipeline import migrations
from twin_pipeline.migrations import MigrationError, available, migrate, pending


def database(pg_server, name: str) -> Iterator[Engine]:
    pg_server.ensure_databases([name])
    engine = create_engine(pg_server.url(name))
    yield engine
    engine.dispose()


@pytest.fixture
def blank(pg_server) -> Iterator[Engine]:
    """An empty database of this test alone."""
    yield from database(pg_server, f"migrations_blank_{uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="module")
def migrated(pg_server) -> Iterator[Engine]:
    """A database the twin's migrations were applied to."""
    for engine in database(pg_server, "migrations_migrated"):
        migrate(engine, "twin")
        yield engine


def test_twin_migrations_apply_once_and_are_recorded(blank):
    ran = migrate(blank, "twin")
    assert [m.version for m in ran] == [m.version for m in available("twin")]
    assert migrate(blank, "twin") == []
    with blank.connect() as conn:
        recorded = conn.execute(text("SELECT version FROM twin_schema_migrations WHERE target = 'twin' ORDER BY 1")).scalars().all()
        assert recorded == [m.version for m in available("twin")]
        assert conn.execute(text("SELECT to_regclass('digital_twin_updates')")).scalar() is not None
        # migrating the twin store created no source table
        assert conn.execute(text("SELECT to_regclass('transactions')")).scalar() is None
    assert pending(blank, "finance") == [m for m in available("finance")]


def test_the_twin_store_table_has_the_contract_shape(migrated):
    with migrated.connect() as conn:
        columns = conn.execute(
            text(
                "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                "WHERE table_name = 'digital_twin_updates' ORDER BY ordinal_position"
            )
        ).all()
    assert columns == [
        ("id", "uuid", "NO"),
        ("entity_type", "character varying", "NO"),
        ("entity_id", "uuid", "NO"),
        ("update_data", "jsonb", "NO"),
        ("source_system", "character varying", "NO"),
        ("update_type", "character varying", "NO"),
        ("created_at", "timestamp with time zone", "YES"),
        ("processed_at", "timestamp with time zone", "YES"),
    ]


def test_an_applied_migration_that_changed_is_an_error(migrated, tmp_path, monkeypatch):
    copy = tmp_path / "migrations"
    shutil.copytree(str(migrations.FOLDERS["twin"][1]), copy)
    first = sorted(copy.glob("*.sql"))[0]
    first.write_text(first.read_text() + "\n-- edited after release\n")
    monkeypatch.setitem(migrations.FOLDERS, "twin", ("twin", copy))
    with pytest.raises(MigrationError, match="was changed after it was applied"):
        migrate(migrated, "twin")


def test_the_source_schemas_are_partitioned_like_the_persons(sources):
    with sources.finance.connect() as conn:
        kinds = dict(conn.execute(text(
            "SELECT c.relname, c.relkind FROM pg_class c WHERE c.relname IN ('transactions', 'budgets')"
        )).all())
        assert kinds == {"transactions": "p", "budgets": "r"}
    with sources.training.connect() as conn:
        kinds = dict(conn.execute(text(
            "SELECT c.relname, c.relkind FROM pg_class c WHERE c.relname IN ('workouts', 'workout_sets', 'v_body_composition')"
        )).all())
        assert kinds == {"workouts": "p", "workout_sets": "p", "v_body_composition": "v"}
