"""SQL lives in .sql files beside the code that runs it, shipped as package data; this
loads them by name (importlib.resources, so an installed wheel has them too)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from sqlalchemy import TextClause, text


@cache
def sql_text(package: str, name: str) -> str:
    """The text of <package>/sql/<name>.sql (name may hold a subfolder: checks/quality)."""
    resource = files(package).joinpath("sql", *f"{name}.sql".split("/"))
    if not resource.is_file():
        raise FileNotFoundError(f"no SQL statement {name!r} in {package}: expected {resource}")
    return resource.read_text(encoding="utf-8")


@cache
def load(package: str, name: str) -> TextClause:
    """That statement, ready for bound parameters."""
    return text(sql_text(package, name))
