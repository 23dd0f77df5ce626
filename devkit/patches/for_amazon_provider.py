"""Patches of the amazon provider's AWS hook set-up, paid several times per task."""

from __future__ import annotations

import sys
import threading

from devkit.patches import Patch

AMAZON = {"apache-airflow-providers-amazon": "9.25.0"}


def find_aws_hook_callers_cheaply() -> None:
    """Find the operator behind an AWS hook by walking frames, not `inspect.stack()`.

    The amazon provider names the calling operator in its user agent. It does so
    with `inspect.stack()`, which reads source context for every frame and scans
    sys.modules for each: under dag.test() that was a quarter of a local run's
    CPU. Walking the frames finds the same class. (The executor name it also adds
    is left out: the user agent is the only thing it changes.)
    """
    from airflow.providers.amazon.aws.hooks.base_aws import AwsGenericHook

    def find_operator_class_name(target_function_name: str) -> str | None:
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_name == target_function_name and "self" in frame.f_locals:
                return type(frame.f_locals["self"]).__name__
            frame = frame.f_back
        return None

    AwsGenericHook._find_operator_class_name = staticmethod(find_operator_class_name)
    AwsGenericHook._find_executor_class_name = staticmethod(lambda: None)


def share_boto3_sessions_per_thread() -> None:
    """One boto3 session per thread and set of session arguments.

    Every AWS hook builds a new boto3 session (~15 ms: botocore registers some
    hundred event handlers each time), several per task. A session carries no
    per-hook state once built (clients are created from it, each with its own
    copy of the handlers), so hooks on one thread with the same credentials and
    region can share it. Per thread, because botocore sessions are not
    thread-safe.
    """
    from airflow.providers.amazon.aws.hooks.base_aws import BaseSessionFactory

    original = BaseSessionFactory._create_basic_session
    sessions: dict[tuple, object] = {}

    def create_basic_session(self, session_kwargs):
        try:
            key = (threading.get_ident(), frozenset(session_kwargs.items()))
        except TypeError:  # an unhashable argument: build one as the provider does
            return original(self, session_kwargs)
        if key not in sessions:
            sessions[key] = original(self, session_kwargs)
        return sessions[key]

    BaseSessionFactory._create_basic_session = create_basic_session


PATCHES = (
    Patch("find_aws_hook_callers_cheaply", AMAZON, find_aws_hook_callers_cheaply),
    Patch(
        "share_boto3_sessions_per_thread",
        {**AMAZON, "boto3": "1.42.84"},
        share_boto3_sessions_per_thread,
    ),
)
