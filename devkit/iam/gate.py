"""Deny at call time: a call the caller's role may not make fails, as on AWS.

While a local pipeline runs its DAGs (`enforcing(policies)`), every access the
recorder maps (moto-server calls and the in-process emulations) is decided against
that pipeline's policies. A denied one is still recorded (the run's summary lists it
with the template resource to change) and then answered the way AWS answers it: an
AccessDenied error in the service's protocol for API calls, `recorder.Denied` inside
an emulation (a COPY, a Spark job, a crawl, an Athena query fails with it). The task
then fails, retries and fires its failure callback as on MWAA.

`DEVKIT_IAM_RECORD_ONLY=1` records without denying: for drafting a policy, where one
run should list every missing grant rather than stop at the first.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator, Sequence

from devkit.iam import recorder
from devkit.iam.check import PolicySet, decide, frozen_context
from devkit.iam.evaluate import Request

RECORD_ONLY = "DEVKIT_IAM_RECORD_ONLY"


class Gate:
    """The per-call decision, cached: one evaluation per (role, action, resource, keys)."""

    def __init__(self, policies: PolicySet):
        self.policies = policies
        self._allowed: dict[tuple, bool] = {}

    def __call__(self, principal: str, requests: Sequence[Request]) -> Request | None:
        """The first request `principal` may not make, or None."""
        for request in requests:
            key = (principal, request.action, request.resource, frozen_context(request.context))
            allowed = self._allowed.get(key)
            if allowed is None:
                allowed = self._allowed[key] = decide(principal, request, self.policies)[0]
            if not allowed:
                return request
        return None


def record_only() -> bool:
    return os.environ.get(RECORD_ONLY, "").strip().lower() in ("1", "true", "yes")


@contextmanager
def enforcing(policies: PolicySet) -> Iterator[None]:
    """Deny calls these policies do not allow, for the block (unless DEVKIT_IAM_RECORD_ONLY)."""
    saved = recorder.GATE
    recorder.GATE = None if record_only() else Gate(policies)
    try:
        yield
    finally:
        recorder.GATE = saved
