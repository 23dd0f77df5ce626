"""Deterministic sample source data: TICKIT extracts and Synthea patients.

`deploy up --sample-night` lands one night of it on AWS; the local domains
(devkit/domains/) land theirs from it too.
"""
