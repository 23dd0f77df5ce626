"""The DataHub ingestion task's operator: the stock ECS RunTask, plus the CLI's summary.

A module of its own (not the DAG file): Airflow re-executes a DAG file's top level at
every parse, and building an operator class there costs more than the DAG's tasks.
"""

from __future__ import annotations

from airflow.providers.amazon.aws.operators.ecs import EcsRunTaskOperator


class DataHubIngestionOperator(EcsRunTaskOperator):
    """EcsRunTaskOperator that prints the CLI's ingestion summary into the task log.

    Deferred, the stock operator forwards CloudWatch lines only from the
    triggerer while the task runs and keeps just the last line afterwards; the
    summary (events produced, warnings, failures per source and sink) is what a
    reader of the task log needs, so it is read back once the task stopped.
    """

    def execute_complete(self, context, event=None):
        try:
            return super().execute_complete(context, event)
        finally:
            self._print_summary(event or {})

    def _print_summary(self, event: dict) -> None:
        from airflow.providers.amazon.aws.hooks.logs import AwsLogsHook

        if not self.awslogs_group or not event.get("task_arn"):
            return
        self.arn = event["task_arn"]
        try:
            events = AwsLogsHook(
                aws_conn_id=self.aws_conn_id, region_name=self.region_name
            ).get_log_events(
                log_group=self.awslogs_group, log_stream_name=self._get_logs_stream_name()
            )
            lines = [e["message"] for e in events]
        except Exception as err:  # the summary is a courtesy: never mask the task's outcome
            print(f"DataHub ingestion summary unavailable: {err}")
            return
        start = next(
            (
                n
                for n, line in enumerate(lines)
                if line.startswith(("Source (", "[local emulation]"))
            ),
            max(len(lines) - 40, 0),
        )
        print("DataHub ingestion summary (from CloudWatch):\n" + "\n".join(lines[start:][-300:]))
