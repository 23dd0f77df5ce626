"""Errors raised by the emulated services; messages mimic the real service's wording."""


class RedshiftError(Exception):
    """A Redshift statement failed; the message is what the Data API Error field says."""
