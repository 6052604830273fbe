"""What the SAM template must declare: encryption, recovery, no public access, TLS only, and
for each function only the actions it needs on only its own resources. (``make lint`` runs
cfn-lint on it, SAM transform included.)"""

from __future__ import annotations

from typing import Any

import pytest

from tests.aws.template import load_template


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    return dict(load_template()["Resources"])


def _statements(function: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for policy in function["Properties"]["Policies"] for s in policy["Statement"]]


def _actions(function: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for statement in _statements(function):
        actions = statement["Action"]
        found |= {actions} if isinstance(actions, str) else set(actions)
    return found


def test_the_table_is_encrypted_recoverable_and_expires_items(resources: dict[str, Any]) -> None:
    table = resources["Table"]
    properties = table["Properties"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["SSESpecification"]["SSEEnabled"] is True
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
    assert properties["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"
    index = properties["GlobalSecondaryIndexes"][0]
    assert index["IndexName"] == "session", "the layout the DynamoDB stores expect"


def test_the_bucket_is_private_versioned_encrypted_tls_only_with_a_cold_tier_lifecycle(
    resources: dict[str, Any],
) -> None:
    properties = resources["ColdBucket"]["Properties"]
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    encryption = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    rule = properties["LifecycleConfiguration"]["Rules"][0]
    assert rule["Prefix"] == "episodes/", "the cold tier's prefix (MNEMORA_COLD_URL)"
    assert rule["Transitions"][0]["StorageClass"] == "GLACIER_IR", "still read at once"
    deny = resources["ColdBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_database_credentials_come_from_secrets_manager(resources: dict[str, Any]) -> None:
    cluster = resources["Cluster"]["Properties"]
    assert cluster["StorageEncrypted"] is True
    assert cluster["ManageMasterUserPassword"] is True
    assert "MasterUserPassword" not in cluster
    assert resources["ClusterWriter"]["Properties"]["PubliclyAccessible"] is False
    generated = resources["AppDatabaseSecret"]["Properties"]["GenerateSecretString"]
    assert generated["GenerateStringKey"] == "password"
    template = load_template()
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["MNEMORA_POSTGRES_SECRET_ARN"] == {"Ref": "AppDatabaseSecret"}
    assert not any("PASSWORD" in name for name in variables)
    api_variables = resources["ApiFunction"]["Properties"].get("Environment", {})
    assert "MNEMORA_POSTGRES_ADMIN_SECRET_ARN" not in str(api_variables), (
        "only the maintenance function holds the master secret"
    )


def test_each_function_may_do_only_what_it_needs(resources: dict[str, Any]) -> None:
    functions = {
        name: resources[name]
        for name in ("AuthorizerFunction", "ApiFunction", "MaintenanceFunction")
    }
    for name, function in functions.items():
        for statement in _statements(function):
            assert statement["Effect"] == "Allow"
            actions = (
                [statement["Action"]]
                if isinstance(statement["Action"], str)
                else statement["Action"]
            )
            assert all("*" not in action for action in actions), f"{name}: no wildcard actions"
            assert statement["Resource"] != "*", f"{name}: no wildcard resources"
    assert _actions(functions["AuthorizerFunction"]) == {"dynamodb:GetItem", "dynamodb:Query"}
    api = _actions(functions["ApiFunction"])
    assert "secretsmanager:GetSecretValue" in api
    assert "bedrock:InvokeModel" in api
    schema_changes = ("dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:UpdateTable")
    assert not api & set(schema_changes), "the API never changes the table"
    assert not any(action.startswith("s3:PutBucket") for action in api)
    assert "dynamodb:Scan" not in api | _actions(functions["MaintenanceFunction"])
    maintenance = _actions(functions["MaintenanceFunction"])
    assert "s3:PutBucketVersioning" in maintenance, "migrations turn versioning on"


def test_the_api_is_behind_the_key_authorizer_with_a_bounded_cache(
    resources: dict[str, Any],
) -> None:
    auth = resources["Api"]["Properties"]["Auth"]
    assert auth["DefaultAuthorizer"] == "ApiKey"
    authorizer = auth["Authorizers"]["ApiKey"]
    assert authorizer["Identity"]["Headers"] == ["Authorization"]
    assert authorizer["Identity"]["ReauthorizeEvery"] == {"Ref": "AuthorizerCacheSeconds"}
    assert authorizer["AuthorizerPayloadFormatVersion"] == "2.0"
    events = resources["ApiFunction"]["Properties"]["Events"]
    open_routes = [e["Properties"]["Path"] for e in events.values() if "Auth" in e["Properties"]]
    assert open_routes == ["/v1/health"], "only health is reachable without a key"
    handlers = {
        name: resources[name]["Properties"]["Handler"]
        for name in ("AuthorizerFunction", "ApiFunction", "MaintenanceFunction")
    }
    for handler in handlers.values():
        module, _, function = handler.rpartition(".")
        assert callable(getattr(__import__(module, fromlist=[function]), function)), handler


def test_deploys_migrate_and_the_jobs_are_scheduled(resources: dict[str, Any]) -> None:
    migrations = resources["Migrations"]
    assert migrations["Properties"]["ServiceToken"] == {
        "Fn::GetAtt": ["MaintenanceFunction", "Arn"]
    }
    assert "Migrations" in str(resources["ApiFunction"].get("DependsOn"))
    schedules = resources["MaintenanceFunction"]["Properties"]["Events"]
    tasks = sorted(e["Properties"]["Input"] for e in schedules.values())
    assert tasks == ['{"task": "index-tenants"}', '{"task": "tier-episodes"}']
