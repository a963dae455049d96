-- Where the server's transactions stand (xmin:xmax:in-progress). Transaction ids are the
-- whole server's, so any commit anywhere on it changes this text, at once and exactly
-- (pg_stat counters reach other sessions only when the writer flushes them, up to 10 s
-- later); readable in a read-only session without any privilege.
SELECT pg_current_snapshot()::text
