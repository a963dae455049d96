"""Running the twin as services: the four `twin serve` roles, process-tree supervision, the
run launcher that lets Dagster notice dead runs, and the clean-up of in-process ghosts."""
