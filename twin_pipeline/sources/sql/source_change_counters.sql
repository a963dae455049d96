-- Rows inserted, updated and deleted so far in a table and its partitions (statistics the
-- server keeps anyway; readable without any privilege on the table).
SELECT COALESCE(sum(s.n_tup_ins + s.n_tup_upd + s.n_tup_del), 0)::bigint
FROM pg_stat_user_tables s
WHERE s.relid = to_regclass(:table)
   OR s.relid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = to_regclass(:table))
