"""Pre-flight: read-only checks before anything is created, each refusal with its fix.

Why before: the stack's first create spends 20-30 minutes on MWAA before a bad
Redshift subnet list rolls it all back, and a rolled-back create keeps its
buckets. Everything here is a Describe/List/Get call; nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from deploy.cloudformation.stack_states import Next, state_of
from deploy.errors import DeployError

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
MWAA_SUBNETS = 2  # exactly two, in two AZs (MWAA's rule)
REDSHIFT_AZS = 3  # Redshift Serverless: subnets in at least three AZs


@dataclass
class Findings:
    """What pre-flight learnt: who we are, parameters it decided, what the stack needs."""

    account: str = ""
    parameters: dict[str, str] = field(default_factory=dict)
    stack_status: str | None = None
    retained_buckets: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def identity(sts) -> tuple[str, str]:
    """(account, caller ARN): the credentials work and say whose account this is."""
    who = sts.get_caller_identity()
    return who["Account"], who["Arn"]


def _split(value: str | None) -> list[str]:
    return [s.strip() for s in (value or "").split(",") if s.strip()]


def _zones(ec2, ids: list[str], parameter: str) -> dict[str, str]:
    """subnet id -> AZ; a subnet that does not exist is named with the parameter."""
    from botocore.exceptions import ClientError

    try:
        subnets = ec2.describe_subnets(SubnetIds=ids)["Subnets"]
    except ClientError as exc:
        raise DeployError(
            f"parameter {parameter}: {exc.response['Error'].get('Message', exc)}: pass subnet "
            "ids of this account and region (aws ec2 describe-subnets), or --network"
        ) from None
    return {s["SubnetId"]: s["AvailabilityZone"] for s in subnets}


def check_subnets(ec2, parameters: dict[str, str]) -> list[str]:
    """Two MWAA subnets in two AZs; Redshift subnets in three AZs. Notes on success."""
    mwaa = _split(parameters.get("PrivateSubnetIds"))
    if len(mwaa) != MWAA_SUBNETS:
        raise DeployError(
            f"parameter PrivateSubnetIds has {len(mwaa)} subnet(s); MWAA needs exactly two "
            "private subnets in two Availability Zones: pass --parameter "
            "PrivateSubnetIds=subnet-a,subnet-b, or --network to create them"
        )
    zones = _zones(ec2, mwaa, "PrivateSubnetIds")
    if len(set(zones.values())) < MWAA_SUBNETS:
        raise DeployError(
            f"parameter PrivateSubnetIds: {', '.join(mwaa)} are all in "
            f"{', '.join(sorted(set(zones.values())))}; MWAA needs two Availability Zones: "
            "pick subnets in two AZs"
        )
    redshift = _split(parameters.get("RedshiftSubnetIds"))
    redshift_zones = set(_zones(ec2, redshift, "RedshiftSubnetIds").values()) if redshift else set()
    if len(redshift_zones) < REDSHIFT_AZS:
        raise DeployError(
            f"parameter RedshiftSubnetIds has {len(redshift)} subnet(s) in {len(redshift_zones)} "
            "Availability Zone(s); Redshift Serverless needs subnets in three AZs: pass "
            "--parameter RedshiftSubnetIds=subnet-a,subnet-b,subnet-c (the network stack's "
            "output RedshiftSubnetIds), or --network"
        )
    return [
        f"MWAA subnets in {', '.join(sorted(set(zones.values())))}; Redshift subnets in "
        f"{', '.join(sorted(redshift_zones))}"
    ]


def oidc_parameter(iam) -> dict[str, str]:
    """CreateGitHubOidcProvider=false when the account already has GitHub's provider
    (one per account and URL: creating a second fails the whole stack)."""
    providers = iam.list_open_id_connect_providers().get("OpenIDConnectProviderList", [])
    exists = any(p["Arn"].endswith(f"/{GITHUB_OIDC_HOST}") for p in providers)
    return {"CreateGitHubOidcProvider": "false" if exists else "true"}


def retained_buckets(cfn, stack: str) -> list[str]:
    """Buckets a failed create kept (DeletionPolicy Retain): they block the next create."""
    resources = cfn.describe_stack_resources(StackName=stack).get("StackResources", [])
    return sorted(
        r["PhysicalResourceId"]
        for r in resources
        if r["ResourceType"] == "AWS::S3::Bucket"
        and r.get("PhysicalResourceId")
        and r["ResourceStatus"] in ("DELETE_SKIPPED", "CREATE_COMPLETE", "DELETE_FAILED")
    )


def check_stack(cfn, stack: str, status: str | None, clean_up: bool) -> list[str]:
    """The stack's state allows going on; a failed create is refused unless --clean-up."""
    state = state_of(status)
    if state.next is Next.WAIT:
        raise DeployError(f"stack {stack} is {status} ({state.meaning}): {state.advice}")
    if state.next is Next.BY_HAND:
        raise DeployError(f"stack {stack} is {status} ({state.meaning}): {state.advice}")
    if state.next is not Next.DELETE_FIRST or clean_up:
        return []
    buckets = retained_buckets(cfn, stack)
    kept = (
        f" It kept the bucket(s) {', '.join(buckets)} (DeletionPolicy Retain), whose fixed "
        "names make the next create fail with 'already exists'."
        if buckets
        else ""
    )
    by_hand = "".join(f" aws s3 rb s3://{b} --force;" for b in buckets)
    raise DeployError(
        f"stack {stack} is {status} ({state.meaning}).{kept} Either rerun with --clean-up "
        f"(empties and deletes those buckets, deletes the stack, creates it again), or by "
        f"hand:{by_hand} aws cloudformation delete-stack --stack-name {stack}; then rerun"
    )


def check_zones(ec2) -> str:
    """--network before the network stack exists: the region needs three AZs for it."""
    zones = [
        z["ZoneName"]
        for z in ec2.describe_availability_zones(
            Filters=[{"Name": "state", "Values": ["available"]}]
        )["AvailabilityZones"]
    ]
    if len(zones) < REDSHIFT_AZS:
        raise DeployError(
            f"--network: this region has {len(zones)} available Availability Zone(s); the "
            "network stack puts Redshift Serverless in three: pick a region with three AZs"
        )
    return f"the network stack will use {', '.join(zones[:REDSHIFT_AZS])}"
