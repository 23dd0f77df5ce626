"""What one `deploy up` run knows: its options, clients, and what earlier steps found."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

from deploy.aws import Clients
from deploy.up.preflight import Findings
from deploy.validation import DEFAULT_COMMAND

Say = Callable[[str], None]


@dataclass
class Options:
    """The command line, resolved (deploy/up/cli.py); its flags' defaults are these."""

    repo: Path
    stack: str
    region: str
    parameters: dict[str, str] = field(default_factory=dict)
    template: Path = Path("infra/pipelines.yaml")
    network_stack: str | None = None  # set: create infra/network.yaml as this stack first
    role_arn: str | None = None
    template_bucket: str | None = None
    poll_interval: float = 15.0
    timeout: float = 5400.0  # MWAA alone takes 20-30 minutes to create
    clean_up: bool = False
    skip_region_check: bool = False
    sample_night: bool = False
    sample_dir: Path | None = None
    sample_day: date | None = None
    skip_validation: bool = False
    validate_command: str = DEFAULT_COMMAND
    confirm_timeout: float = 900.0


@dataclass
class Run:
    """Shared by the steps; each step reads what it needs from AWS again, so a rerun
    after a kill needs nothing from the killed run."""

    options: Options
    clients: Clients
    say: Say
    findings: Findings = field(default_factory=Findings)
    outputs: dict[str, str] = field(default_factory=dict)
    stack_parameters: dict[str, str] = field(default_factory=dict)
    validate: Callable | None = None  # the DAG validation (tests inject one)
    usage: Callable | None = None  # discover_usage (tests inject one)

    @property
    def environment(self) -> str:
        return self.outputs["MwaaEnvironmentName"]

    @property
    def datahub_server(self) -> str | None:
        url = self.outputs.get("DatahubGmsUrl", "none")
        return None if url in ("", "none") else url
