"""Patch of FastAPI's dependency analysis, which the in-process Execution API repeats."""

from __future__ import annotations

import dataclasses
import functools

from devkit.patches import Patch


def analyse_overridden_dependencies_once() -> None:
    """Analyse each FastAPI dependency once, not at every request of the in-process API.

    The in-process Execution API overrides its four auth dependencies. While an
    app has any override, FastAPI's `solve_dependencies` re-analyses every
    sub-dependency of every request (signature, pydantic fields): about a tenth
    of a no-op task's time. The analysis depends only on its arguments, so it is
    kept (not for other arguments). Each call gets its own copy of its top level:
    APIRoute extends it with the route's dependencies, and routes of one endpoint
    (Cadwyn's versions) must not share that list.
    """
    from fastapi.dependencies import utils

    analyse = utils.get_dependant

    @functools.cache
    def analysed(path, call, name, scopes, scope):
        scopes = list(scopes)
        return analyse(path=path, call=call, name=name, parent_oauth_scopes=scopes, scope=scope)

    @functools.wraps(analyse)
    def get_dependant(*, path, call, name=None, parent_oauth_scopes=None, scope=None, **other):
        if not other:
            try:
                kept = analysed(path, call, name, tuple(parent_oauth_scopes or ()), scope)
                return dataclasses.replace(kept, dependencies=list(kept.dependencies))
            except TypeError:  # an unhashable dependency: analysed every time, as before
                pass
        return analyse(
            path=path,
            call=call,
            name=name,
            parent_oauth_scopes=parent_oauth_scopes,
            scope=scope,
            **other,
        )

    get_dependant.analysed = analysed
    utils.get_dependant = get_dependant


PATCHES = (
    Patch(
        "analyse_overridden_dependencies_once",
        {"fastapi": "0.136.0"},
        analyse_overridden_dependencies_once,
    ),
)
