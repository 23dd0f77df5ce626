"""Patch of Jinja's compiler, which Airflow runs again for every template string of a task."""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict

from devkit.patches import Patch

# Extensions whose parsing depends on nothing but their class (Airflow adds `do`).
STATELESS_EXTENSIONS = frozenset(
    {"jinja2.ext.ExprStmtExtension", "jinja2.ext.LoopControlExtension"}
)
# Environment methods the optimizer calls while compiling (it folds constants).
FOLDING_METHODS = ("getattr", "getitem", "call", "call_binop", "call_unop", "is_safe_attribute")
KEPT = 512  # compiled template strings kept, the least recently used dropped first


def compile_each_template_string_once() -> None:
    """Compile each template string once per process, not at every task that renders it.

    Airflow builds a new Jinja environment for every task and turns each templated
    field into a template with `from_string`, which parses it, generates Python and
    compiles that (~0.5 ms a field, ~240 fields a TICKIT night). The code object
    depends only on the source and the environment's compile-time settings (lexer
    syntax, extensions, optimizer, finalize, autoescape, async, undefined, filters and
    tests, the environment's class): those are the key. Each `from_string` still
    builds its own template, bound to its own environment and globals. Templates
    loaded from files (with a name), raw and deferred compiles are left alone, as is
    an environment with another extension or its own folding methods.
    """
    from jinja2 import Environment

    original = Environment.compile
    kept: OrderedDict = OrderedDict()
    lock = threading.Lock()

    @functools.wraps(original)
    def compile(self, source, name=None, filename=None, raw=False, defer_init=False):
        key = _compile_key(self, source) if not (name or filename or raw or defer_init) else None
        if key is None:
            return original(self, source, name, filename, raw, defer_init)
        with lock:
            code = kept.get(key)
            if code is not None:
                kept.move_to_end(key)
                return code
        code = original(self, source)
        with lock:
            kept[key] = code
            if len(kept) > KEPT:
                kept.popitem(last=False)
        return code

    compile.kept = kept
    Environment.compile = compile


def _compile_key(env, source) -> tuple | None:
    """What the code compiled from `source` in `env` depends on, or None if unsure."""
    if not isinstance(source, str) or not STATELESS_EXTENSIONS.issuperset(env.extensions):
        return None
    if any(method in vars(env) for method in FOLDING_METHODS):
        return None
    lexer = (
        env.block_start_string,
        env.block_end_string,
        env.variable_start_string,
        env.variable_end_string,
        env.comment_start_string,
        env.comment_end_string,
        env.line_statement_prefix,
        env.line_comment_prefix,
        env.trim_blocks,
        env.lstrip_blocks,
        env.newline_sequence,
        env.keep_trailing_newline,
    )
    settings = (
        type(env),
        env.code_generator_class,
        tuple(sorted(env.extensions)),
        env.optimized,
        env.finalize,
        env.autoescape,
        env.is_async,
        env.undefined,
        getattr(env, "intercepted_binops", None),
        getattr(env, "intercepted_unops", None),
        tuple(env.filters.items()),
        tuple(env.tests.items()),
    )
    key = (source, lexer, settings)
    try:
        hash(key)
    except TypeError:  # e.g. an unhashable finalize: compiled every time, as before
        return None
    return key


PATCHES = (
    Patch(
        "compile_each_template_string_once", {"jinja2": "3.1.6"}, compile_each_template_string_once
    ),
)
