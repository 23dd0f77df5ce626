"""infra/network.yaml: the outputs the pipelines stack takes as parameters."""

from __future__ import annotations

from cfnlint.decode import decode_str

from devkit.iam.infra_policies import INFRA_DIR, Resolver

TEMPLATE = decode_str((INFRA_DIR / "network.yaml").read_text())[0]
RESOURCES = TEMPLATE["Resources"]
RESOLVER = Resolver(TEMPLATE)


def test_the_contract_outputs_exist():
    assert {"VpcId", "PrivateSubnetIds", "SecurityGroupId"} <= set(TEMPLATE["Outputs"])


def test_mwaa_gets_two_private_subnets_in_two_zones_routed_through_nat():
    joined = TEMPLATE["Outputs"]["PrivateSubnetIds"]["Value"]["Fn::Join"][1]
    subnets = [item["Ref"] for item in joined]
    zones = {RESOLVER.resolve(RESOURCES[s]["Properties"]["AvailabilityZone"]) for s in subnets}
    assert len(subnets) == 2 and len(zones) == 2
    routed = {
        r["Properties"]["SubnetId"]["Ref"]: r["Properties"]["RouteTableId"]["Ref"]
        for r in RESOURCES.values()
        if r["Type"] == "AWS::EC2::SubnetRouteTableAssociation"
    }
    default_routes = {
        r["Properties"]["RouteTableId"]["Ref"]: r["Properties"]
        for r in RESOURCES.values()
        if r["Type"] == "AWS::EC2::Route"
    }
    for subnet in subnets:
        assert "NatGatewayId" in default_routes[routed[subnet]], subnet


def test_the_security_group_admits_itself_and_lets_everything_out():
    group = RESOURCES["PipelinesSecurityGroup"]["Properties"]
    assert group["SecurityGroupEgress"][0]["IpProtocol"] == "-1"
    assert group["SecurityGroupEgress"][0]["CidrIp"] == "0.0.0.0/0"
    (ingress,) = [r for r in RESOURCES.values() if r["Type"] == "AWS::EC2::SecurityGroupIngress"]
    properties = ingress["Properties"]
    assert properties["GroupId"] == properties["SourceSecurityGroupId"]
    assert properties["GroupId"] == {"Ref": "PipelinesSecurityGroup"}
