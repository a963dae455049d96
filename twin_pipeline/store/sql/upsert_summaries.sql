-- Each day's text and the state rows it was rendered from; a day is touched only when they changed.
INSERT INTO twin_daily_summary (person_id, as_of, summary_text, state_row_ids)
SELECT CAST(:p AS uuid), u.as_of, u.summary_text, CAST(string_to_array(u.ids, ',') AS uuid[])
FROM unnest(CAST(:days AS date[]), CAST(:texts AS text[]), CAST(:ids AS text[]))
     AS u(as_of, summary_text, ids)
ON CONFLICT (person_id, as_of) DO UPDATE
SET summary_text = excluded.summary_text, state_row_ids = excluded.state_row_ids,
    rendered_at = now()
WHERE twin_daily_summary.summary_text IS DISTINCT FROM excluded.summary_text
   OR twin_daily_summary.state_row_ids IS DISTINCT FROM excluded.state_row_ids
