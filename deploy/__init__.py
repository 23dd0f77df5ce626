"""Content-addressed deploy of this repository to an Amazon MWAA environment.

Why a tool of our own: the system we replace re-uploaded every file on every run
(mtime-based sync from a fresh checkout), never deleted removed DAGs and never
told MWAA about new plugins or requirements. See "Deploying to MWAA" in README.md.
"""

__version__ = "1.0.0"
