"""The Dagster shell: sources -> twin_state -> daily_summary, plus the schedule."""
