"""Glue on the emulation: crawlers catalog the Parquet and CSV they crawl."""
