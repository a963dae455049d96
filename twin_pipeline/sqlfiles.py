"""SQL lives in .sql files under sql/; this loads them by name."""

from __future__ import annotations

from functools import cache

from sqlalchemy import TextClause, text

from twin_pipeline.settings import SQL_DIR


@cache
def _load(folder: str, name: str) -> TextClause:
    path = SQL_DIR / folder / f"{name}.sql"
    if not path.exists():
        raise FileNotFoundError(f"no {folder} statement {name!r}: expected {path}")
    return text(path.read_text())


def query(name: str) -> TextClause:
    """The statement in sql/queries/<name>.sql, ready for bound parameters."""
    return _load("queries", name)


def fingerprint_query(source_table: str) -> TextClause:
    """The statement in sql/fingerprints/<source_table>.sql (e.g. finance.transactions)."""
    return _load("fingerprints", source_table)


def checks_query(name: str) -> TextClause:
    """The statement in sql/checks/<name>.sql (data-quality and reconciliation checks)."""
    return _load("checks", name)
