"""Regions that offer all three services the stack needs, in the versions it pins.

Checked 2026-12-07 against AWS's pages (a region appears only when all three say so):
- MWAA with Apache Airflow 3.2.1: MWAA User Guide, "Apache Airflow versions on Amazon
  MWAA" (https://docs.aws.amazon.com/mwaa/latest/userguide/airflow-versions.html) and
  "Supported Regions" (https://docs.aws.amazon.com/mwaa/latest/userguide/what-is-mwaa.html);
- EMR Serverless with release emr-7.13.0: EMR Serverless endpoints and quotas
  (https://docs.aws.amazon.com/general/latest/gr/emr-serverless.html) and the EMR
  Release Guide (https://docs.aws.amazon.com/emr/latest/ReleaseGuide/emr-7130-release.html);
- Redshift Serverless: "Amazon Redshift Serverless" availability
  (https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-usage-considerations.html)
  and its three-AZ subnet rule (docs/infra.md).
A region AWS adds later is refused until it is added here; `--skip-region-check`
goes ahead at the user's word.
"""

from __future__ import annotations

from deploy.errors import DeployError

# region -> its name, for the refusal's list
SUPPORTED: dict[str, str] = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-2": "US West (Oregon)",
    "ca-central-1": "Canada (Central)",
    "eu-west-1": "Europe (Ireland)",
    "eu-west-2": "Europe (London)",
    "eu-west-3": "Europe (Paris)",
    "eu-central-1": "Europe (Frankfurt)",
    "eu-north-1": "Europe (Stockholm)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-northeast-2": "Asia Pacific (Seoul)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
    "ap-south-1": "Asia Pacific (Mumbai)",
    "sa-east-1": "South America (Sao Paulo)",
}


def check_region(region: str | None) -> str:
    """The region, or a refusal naming the setting and the regions that work."""
    if not region:
        raise DeployError("no AWS region: set AWS_REGION or pass --region")
    if region not in SUPPORTED:
        raise DeployError(
            f"region {region} is not known to offer MWAA 3.2.1, EMR Serverless 7.13 and "
            "Redshift Serverless together (deploy/up/regions.py cites the pages): pass "
            f"--region with one of {', '.join(sorted(SUPPORTED))}, or --skip-region-check "
            "if AWS's pages now list it"
        )
    return region
