-- Whether a table exists in this database and this login may read it (the pantry history
-- capture is opt-in; the expense calendar is optional and may lack the reader's grant).
SELECT to_regclass(:table) IS NOT NULL
   AND COALESCE(has_table_privilege(to_regclass(:table), 'SELECT'), false)
