"""detect-secrets' pre-commit hook (`detect-secrets-hook`), as the gate runs it over every
tracked file, changed in speed only: the same plugins, filters, baseline and output.

    .venv/bin/python -m devkit.tools.secrets_scan --baseline .secrets.baseline FILE...

Three of detect-secrets' costs on the repository's ~50,000 lines, each replaced by code
that gives the same answer for every input:
- its dependency injection inspects each plugin and filter again on every line (27
  plugins x every line); a callable that already knows its parameters is called directly;
- the indirect-reference filter's regex starts with an unbounded group that may match
  nothing, so `search` retries it from every position of every line (quadratic); the
  same regex without that group matches the same lines;
- the allowlist filter tries 12 comment regexes per line, each needing "pragma" in the
  line or the line before it; lines without it skip them.
"""

from __future__ import annotations

import re
import sys

# The rest of the indirect-reference regex, after its leading `([^\v=!:]*)`: that group
# may match nothing, so a line holds a match of the whole iff it holds one of the rest.
INDIRECT_REFERENCE_REST = re.compile(r"\s*(:=?|[!=]{1,3})\s*([\w.-]+[\[\(][^\v]*[\]\)])")


def direct_call(original):
    """`call_function_with_arguments`: a callable that carries its `injectable_variables`
    gets the keyword arguments it names, as the original gives it; others go through it."""

    def call_function_with_arguments(func, **kwargs):
        names = getattr(func, "injectable_variables", None)
        if names is None:
            return original(func, **kwargs)
        return func(**{name: value for name, value in kwargs.items() if name in names})

    return call_function_with_arguments


def pragma_first(original):
    """`is_line_allowlisted`: every allowlist regex holds "pragma"; search only then."""

    def is_line_allowlisted(filename, line, context):
        if "pragma" not in line and "pragma" not in context.previous_line:
            return False
        return original(filename=filename, line=line, context=context)

    return is_line_allowlisted


def speed_up(set_attribute=setattr) -> None:
    """Before the hook reads its settings (filters are looked up by module attribute);
    a test passes monkeypatch.setattr to undo it."""
    from detect_secrets.core import scan
    from detect_secrets.filters import allowlist, heuristic

    inject = direct_call(scan.call_function_with_arguments)
    set_attribute(scan, "call_function_with_arguments", inject)
    set_attribute(heuristic, "_get_indirect_reference_regex", lambda: INDIRECT_REFERENCE_REST)
    set_attribute(allowlist, "is_line_allowlisted", pragma_first(allowlist.is_line_allowlisted))


def main(argv: list[str] | None = None) -> int:
    speed_up()
    from detect_secrets.pre_commit_hook import main as hook

    return hook(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
