SELECT covered_from FROM twin_source_coverage WHERE source_table = :t
