"""The Dagster shell: sources -> twin_state -> daily_summary, plus the schedule."""

import warnings

from dagster import BetaWarning, PreviewWarning

# BackfillPolicy (single-run backfills) is marked beta in Dagster 1.13; relying on it is a
# deliberate design choice, so its warning would only be noise at every CLI call and UI load.
warnings.filterwarnings("ignore", category=BetaWarning)
warnings.filterwarnings("ignore", category=PreviewWarning)
