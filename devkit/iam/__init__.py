"""IAM on the emulation: every AWS access recorded as (role, action, resource) and checked.

`evaluate` decides one request against identity policies, `actions` turns API operations
into the IAM actions and ARNs AWS authorizes, `recorder` collects what the moto server and
the in-process emulations (COPY/UNLOAD, crawlers, Spark jobs, Athena) do as which role,
`check` evaluates the records against the roles' policies (`policies`). See docs/iam_check.md.
"""
