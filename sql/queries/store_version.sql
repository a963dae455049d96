-- Changes whenever the pipeline writes a state or a summary for the person (API caches).
SELECT (SELECT max(created_at) FROM digital_twin_updates WHERE entity_id = CAST(:p AS uuid)),
       (SELECT count(*) FROM digital_twin_updates WHERE entity_id = CAST(:p AS uuid)),
       (SELECT max(rendered_at) FROM twin_daily_summary WHERE person_id = CAST(:p AS uuid))
