"""`python -m deploy review --base REF`: what a change does, before it merges, as Markdown.

One module per section (DAGs, SQL, settings, IAM, infrastructure, deploy), each
comparing the base commit with the working tree and saying nothing when nothing
in it changed; `report` puts them under a one-line verdict. Offline: git, the
templates, the DAGs parsed locally; no AWS, no secrets (docs/review.md).
"""
