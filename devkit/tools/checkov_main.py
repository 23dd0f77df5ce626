"""checkov's own entry point, run by `.venv-checkov`'s python (see checkov_lint.py),
changed in speed only: each thread builds jsonpath's LALR parser once.

checkov reads each JSONPath with bc_jsonpath_ng, which calls `ply.yacc.yacc()` and so
rebuilds the same grammar's parse table for every expression: two thirds of checkov's
CPU on infra/. The table depends only on the parser class and start symbol, so one
built once parses every expression the same; parsers are kept per thread, as
checkov's graph checks run in threads and a ply parser holds its stacks while parsing.
"""

from __future__ import annotations

import sys
import threading
import warnings


def remembering(build):
    """`build` (ply.yacc.yacc), called once per thread, parser class, start and debug."""
    built = threading.local()

    def yacc_once(*, module, start, debug=False, **options):
        parsers = built.__dict__.setdefault("parsers", {})
        key = (type(module), start, debug)
        if key not in parsers:
            parsers[key] = build(module=module, start=start, debug=debug, **options)
        return parsers[key]

    return yacc_once


def main() -> int:
    import ply.yacc

    ply.yacc.yacc = remembering(ply.yacc.yacc)
    from checkov.main import Checkov

    with warnings.catch_warnings():  # as checkov's own console script
        warnings.simplefilter("ignore", category=SyntaxWarning)
        return Checkov().run()


if __name__ == "__main__":
    sys.exit(main())
