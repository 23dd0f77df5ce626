"""Athena on the emulation: queries run in DuckDB over the Glue catalog; table metadata."""
