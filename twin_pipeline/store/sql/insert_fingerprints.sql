INSERT INTO twin_source_fingerprint (source_table, bucket, fingerprint)
SELECT :t, key, value FROM jsonb_each_text(CAST(:values AS jsonb))
