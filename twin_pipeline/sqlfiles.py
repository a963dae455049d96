"""SQL lives in .sql files under sql/; this loads them by name."""

from __future__ import annotations

from functools import cache

from sqlalchemy import TextClause, text

from twin_pipeline.settings import SQL_DIR


@cache
def query(name: str) -> TextClause:
    """The statement in sql/queries/<name>.sql, ready for bound parameters."""
    path = SQL_DIR / "queries" / f"{name}.sql"
    if not path.exists():
        raise FileNotFoundError(f"no query {name!r}: expected {path}")
    return text(path.read_text())
