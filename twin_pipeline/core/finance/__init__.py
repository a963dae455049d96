"""Finance: month-to-date cashflow and budget alerts (section), where the month is heading (forecast)."""
