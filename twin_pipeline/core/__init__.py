"""The functional core: rows in, state documents and status text out. No database, no Dagster."""
