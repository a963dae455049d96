-- Whether the optional expense calendar is there and this login may read it (a table created
-- after sql/roles/twin_reader.sql ran, by another owner, has no grant for it).
SELECT to_regclass('expense_calendar') IS NOT NULL                                   AS present,
       COALESCE(has_table_privilege(to_regclass('expense_calendar'), 'SELECT'), false) AS readable
