"""Deterministic sample source data the domains land: TICKIT extracts and Synthea patients."""
