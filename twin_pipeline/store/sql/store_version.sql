-- Changes whenever the pipeline writes a state, a summary, an entity or a forecast review
-- (API caches; the review's key is indexed, its max is one index probe).
SELECT (SELECT max(created_at) FROM digital_twin_updates WHERE entity_id = CAST(:p AS uuid)),
       (SELECT count(*) FROM digital_twin_updates WHERE entity_id = CAST(:p AS uuid)),
       (SELECT max(rendered_at) FROM twin_daily_summary WHERE person_id = CAST(:p AS uuid)),
       (SELECT max(last_updated) FROM person),
       (SELECT max(last_updated) FROM goal),
       (SELECT count(*) FROM goal),
       (SELECT max(last_updated) FROM home),
       (SELECT max(review_id) FROM twin_forecast_review)
