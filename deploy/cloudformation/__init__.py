"""`python -m deploy infra`: CloudFormation change sets, their inputs and the stack statuses.

cli (the command), change_sets (plan, guard, execute), inputs (template and parameters),
stack_states (every stack status and what to do about it).
"""
