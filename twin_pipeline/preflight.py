"""What the doors (the CLI's runs, `twin api`) check before any work: the twin store is current."""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError

from twin_pipeline.database import Database
from twin_pipeline.store.schema import check_store


def require_current_store(store: Database) -> None:
    """Stop before any work, with one line, when the twin store lacks a table or a
    migration (read-only, so the pipeline's and the API's own logins can ask). A store that
    cannot be reached is left to the run, which names it (and `twin snapshot` still shows the day)."""
    try:
        with store.engine().connect() as conn:
            check_store(conn, store.location)
    except SQLAlchemyError:
        return
