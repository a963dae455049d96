"""Pantry: stock and expiry (section), how fast each category is used and runs low (forecast)."""
