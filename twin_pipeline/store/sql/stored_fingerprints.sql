SELECT bucket, fingerprint FROM twin_source_fingerprint WHERE source_table = :t
