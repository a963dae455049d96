"""Statements built around a name (a database, a table, a column) quote it, and values are bound:
a name holding SQL stays one name, so it can neither break a statement nor add one. Each test
names a table or database that pasted into the statement would have run other SQL."""

from __future__ import annotations

import pytest
from psycopg2 import sql
from sqlalchemy import create_engine, text

from twin_pipeline.demo import _non_empty
from twin_pipeline.demo.common import _delete_rows, _insert, _set_serial, _truncate
from twin_pipeline.embedded import MAX_CONNECTIONS

# Pasted as it was, `DELETE FROM {table}` ran two statements, the second emptying `victim`.
ODD_TABLE = "odd; DELETE FROM victim"
# Pasted as it was, `CREATE DATABASE "{name}"` made `names_odd` from template0.
ODD_DATABASE = 'names_odd" TEMPLATE "template0'


@pytest.fixture(scope="module")
def engine(pg_server):
    pg_server.ensure_databases(["sql_names"])
    engine = create_engine(pg_server.url("sql_names"))
    yield engine
    engine.dispose()


@pytest.fixture
def cur(engine):
    """A cursor on fresh tables: the oddly named one (id serial, and a column whose name holds
    parentheses) and `victim`, with a row each."""
    conn = engine.raw_connection()
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql.SQL("DROP TABLE IF EXISTS {}, victim").format(sql.Identifier(ODD_TABLE)))
            cursor.execute(sql.SQL('CREATE TABLE {} (id serial PRIMARY KEY, "count (n)" int)').format(
                sql.Identifier(ODD_TABLE)))
            cursor.execute("CREATE TABLE victim (n int)")
            cursor.execute("INSERT INTO victim VALUES (7)")
            cursor.execute(sql.SQL('INSERT INTO {} ("count (n)") VALUES (1)').format(sql.Identifier(ODD_TABLE)))
            yield cursor
        conn.commit()
    finally:
        conn.close()


def rows(cursor, table: str) -> list[tuple]:
    cursor.execute(sql.SQL("SELECT * FROM {} ORDER BY 1").format(sql.Identifier(table)))
    return cursor.fetchall()


def test_delete_rows_empties_the_named_table_only(cur):
    _delete_rows(cur, ODD_TABLE)
    assert rows(cur, ODD_TABLE) == [] and rows(cur, "victim") == [(7,)]


def test_truncate_empties_the_named_tables_only(cur):
    _truncate(cur, [ODD_TABLE])
    assert rows(cur, ODD_TABLE) == [] and rows(cur, "victim") == [(7,)]


def test_insert_copies_into_the_named_table_and_columns(cur):
    _insert(cur, ODD_TABLE, "id, count (n)", [(5, 50), (6, None)])
    assert rows(cur, ODD_TABLE) == [(1, 1), (5, 50), (6, None)] and rows(cur, "victim") == [(7,)]


def test_set_serial_continues_after_the_named_tables_highest_id(cur):
    _insert(cur, ODD_TABLE, "id, count (n)", [(41, 2)])
    _set_serial(cur, ODD_TABLE, "id")
    cur.execute(sql.SQL('INSERT INTO {} ("count (n)") VALUES (3) RETURNING id').format(sql.Identifier(ODD_TABLE)))
    assert cur.fetchone() == (42,)


def test_non_empty_reads_the_named_table(engine, cur):
    cur.connection.commit()
    assert _non_empty(engine, "pantry", [ODD_TABLE, "victim"]) == [ODD_TABLE, "victim"]
    _delete_rows(cur, ODD_TABLE)
    cur.connection.commit()
    assert _non_empty(engine, "pantry", [ODD_TABLE, "victim"]) == ["victim"]


def test_a_database_is_created_under_its_whole_name(pg_server, engine):
    try:
        pg_server.ensure_databases([ODD_DATABASE])
        pg_server.ensure_databases([ODD_DATABASE])  # there already: left as it is
        with engine.connect() as conn:
            names = set(conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE 'names_odd%'")).scalars())
        assert names == {ODD_DATABASE}
    finally:
        admin = create_engine(pg_server.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn, conn.connection.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(ODD_DATABASE)))
        admin.dispose()


def test_the_connection_slots_were_raised_by_a_bound_value(engine):
    # The server of this session started with PostgreSQL's default of 100; start() raised it.
    with engine.connect() as conn:
        assert int(conn.execute(text("SHOW max_connections")).scalar()) == MAX_CONNECTIONS
