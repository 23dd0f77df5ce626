"""`python -m deploy up`: from an empty AWS account to a first night, one command.

Each step reads where things stand, does only what is missing and prints what it
did and what is left, so a rerun after any failure (or a kill) carries on from
there and a second run in a row changes nothing (docs/deploy.md, "deploy up").
The steps, in order, live in deploy/up/steps.py; one module per kind of work.
"""
