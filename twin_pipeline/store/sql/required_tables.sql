-- Which of the twin's tables the store lacks (:names), so `twin db migrate` can be named.
SELECT name FROM unnest(CAST(:names AS text[])) AS name WHERE to_regclass(name) IS NULL
