"""The local pipelines of this process, whose AWS accesses are checked against their policies.

Each LocalPipeline joins `RUNNING` when it is provisioned: on the emulation (moto's
backends are process-wide), a role's access is allowed by the policies of the pipeline
whose resource it names, so a check asks every pipeline about its own runs. The local
run checks its one pipeline itself; the integration tests check all of them after each
test (tests/dags/conftest.py, through the `running_pipelines` fixture).
"""

from __future__ import annotations


class RunningPipelines:
    """The pipelines provisioned in this process, oldest first."""

    def __init__(self) -> None:
        self._pipelines: list = []

    def add(self, pipeline) -> None:
        self._pipelines.append(pipeline)

    def __iter__(self):
        return iter(list(self._pipelines))

    def check_iam(self):
        """Each pipeline's accesses since its last check, against that pipeline's policies:
        one devkit.iam.check.Report; the caller fails when `report.ok` is false."""
        from devkit.iam.check import Report

        report = Report()
        for pipeline in self:
            report.merge(pipeline.check_iam())
        return report


RUNNING = RunningPipelines()
