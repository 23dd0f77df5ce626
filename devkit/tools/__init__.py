"""The gate's and the author's commands: what a change tests (gate_domains), the IAM lint,
`make dag` (new_dag and its templates/)."""
