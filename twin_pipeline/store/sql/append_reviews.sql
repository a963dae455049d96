-- Append reviews, in order (clock_timestamp(): increasing created_at within the run).
INSERT INTO twin_forecast_review
    (person_id, kind, subject, made_on, outcome_on, predicted, actual, error, accuracy_pct, accuracy_reason, created_at)
SELECT CAST(:p AS uuid), r ->> 'kind', r ->> 'subject', CAST(r ->> 'made_on' AS date), CAST(r ->> 'outcome_on' AS date),
       CAST(r ->> 'predicted' AS numeric), CAST(r ->> 'actual' AS numeric), CAST(r ->> 'error' AS numeric),
       CAST(r ->> 'accuracy_pct' AS numeric), r ->> 'accuracy_reason', clock_timestamp()
FROM jsonb_array_elements(CAST(:rows AS jsonb)) WITH ORDINALITY AS t(r, n)
ORDER BY n
