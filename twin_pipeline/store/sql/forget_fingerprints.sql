-- A window's stored fingerprints are replaced whole: a bucket absent now is absent there too.
DELETE FROM twin_source_fingerprint WHERE source_table = :t AND bucket BETWEEN :a AND :b
