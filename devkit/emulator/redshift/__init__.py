"""Redshift on the emulation: the Data API, Serverless and its SQL, run on PostgreSQL."""
