"""LocalCloud's policy evaluation against the cases of the IAM User Guide's evaluation-logic pages (pure, no CDK).

Pages: "Policy evaluation logic", "Policy evaluation for requests within a
single account", "How AWS enforcement code logic evaluates requests",
"Condition operators", "Conditions with multiple context keys or values",
"Single-valued vs. multivalued context keys".
"""

from __future__ import annotations

from typing import Any, Optional

import pytest

from cdk_serverless_patterns.local.iam import (
    Arns,
    Principal,
    Request,
    Statement,
    conditions_match,
    evaluate,
    required_permissions,
    statements_of,
)

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/carlos"
SESSION = Principal.role_session(ROLE, "fn")
BUCKET = "arn:aws:s3:::amzn-s3-demo-bucket-carlossalazar-logs"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:orders"
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:events"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234"


def doc(*statements: dict[str, Any]) -> list[Statement]:
    return statements_of({"Statement": list(statements)})


def allow(action: str, resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str, resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def request(action: str, resource: str, principal: Principal = SESSION, **context: Any) -> Request:
    return Request(principal, action, resource, {"aws:SecureTransport": "true", **context})


# -- identity and resource-based policies in one account -------------------------------------------


def test_either_an_identity_or_a_resource_based_allow_suffices_in_the_same_account() -> None:
    put = request("s3:PutObject", f"{BUCKET}/log.txt")
    identity = doc(allow("s3:PutObject", f"{BUCKET}/*"))
    bucket_policy = doc(allow("s3:PutObject", f"{BUCKET}/*", Principal={"AWS": ROLE}))
    assert evaluate(put, identity=identity).allowed
    assert evaluate(put, resource_policy=bucket_policy).allowed
    assert evaluate(put, identity=identity, resource_policy=bucket_policy).allowed
    assert not evaluate(put).allowed  # implicit deny


def test_an_explicit_deny_anywhere_overrides_every_allow() -> None:
    put = request("s3:PutObject", f"{BUCKET}/log.txt")
    identity = doc(allow("s3:*"))
    in_resource = evaluate(put, identity=identity, resource_policy=doc(deny("s3:PutObject", Principal="*")))
    assert not in_resource.allowed and "explicit deny in a resource-based policy" in in_resource.reason
    in_identity = evaluate(put, identity=doc(allow("s3:*"), deny("s3:Put*")))
    assert not in_identity.allowed and "explicit deny in an identity-based policy" in in_identity.reason


def test_a_resource_policy_naming_the_account_delegates_to_iam_and_grants_nothing_itself() -> None:
    send = request("sqs:SendMessage", QUEUE)
    delegating = doc(allow("sqs:SendMessage", QUEUE, Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    assert not evaluate(send, resource_policy=delegating).allowed
    assert evaluate(send, identity=doc(allow("sqs:SendMessage", QUEUE)), resource_policy=delegating).allowed


def test_a_resource_policy_for_another_principal_does_not_apply() -> None:
    other = doc(allow("sqs:SendMessage", QUEUE, Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:role/someone-else"}))
    assert not evaluate(request("sqs:SendMessage", QUEUE), resource_policy=other).allowed


def test_cross_account_needs_both_sides() -> None:
    foreign = Principal.role_session("arn:aws:iam::444455556666:role/partner", "s")
    send = Request(foreign, "sqs:SendMessage", QUEUE, resource_account=ACCOUNT)
    queue_policy = doc(allow("sqs:SendMessage", QUEUE, Principal={"AWS": "arn:aws:iam::444455556666:role/partner"}))
    identity = doc(allow("sqs:SendMessage", QUEUE))
    assert not evaluate(send, identity=identity).allowed
    assert not evaluate(send, resource_policy=queue_policy).allowed
    assert evaluate(send, identity=identity, resource_policy=queue_policy).allowed


# -- permissions boundaries ------------------------------------------------------------------------


def test_a_boundary_caps_identity_permissions() -> None:
    get = request("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:111122223333:table/t")
    identity = doc(allow("dynamodb:*"))
    assert evaluate(get, identity=identity, boundary=doc(allow("dynamodb:GetItem"))).allowed
    capped = evaluate(get, identity=identity, boundary=doc(allow("s3:*")))
    assert not capped.allowed and "permissions boundary" in capped.reason
    assert not evaluate(get, identity=identity, boundary=doc(allow("dynamodb:*"), deny("dynamodb:GetItem"))).allowed


def test_a_resource_policy_naming_the_session_bypasses_the_boundary_but_one_naming_the_role_does_not() -> None:
    send = request("sqs:SendMessage", QUEUE)
    boundary = doc(allow("s3:*"))
    to_session = doc(allow("sqs:SendMessage", QUEUE, Principal={"AWS": SESSION.arn}))
    to_role = doc(allow("sqs:SendMessage", QUEUE, Principal={"AWS": ROLE}))
    assert evaluate(send, resource_policy=to_session, boundary=boundary).allowed
    assert not evaluate(send, resource_policy=to_role, boundary=boundary).allowed
    assert evaluate(send, resource_policy=to_role, boundary=doc(allow("sqs:*"))).allowed


# -- KMS key policies ------------------------------------------------------------------------------


def test_a_key_policy_must_allow_even_when_the_identity_policy_does() -> None:
    decrypt = request("kms:Decrypt", KEY)
    identity = doc(allow("kms:Decrypt", KEY))
    silent = doc(allow("kms:DescribeKey", "*", Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    refused = evaluate(decrypt, identity=identity, resource_policy=silent, key_policy=True)
    assert not refused.allowed and "key policy does not allow" in refused.reason


def test_a_key_policy_delegating_to_the_account_lets_iam_decide() -> None:
    decrypt = request("kms:Decrypt", KEY)
    root = doc(allow("kms:*", "*", Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    assert evaluate(decrypt, identity=doc(allow("kms:Decrypt", KEY)), resource_policy=root, key_policy=True).allowed
    assert not evaluate(decrypt, resource_policy=root, key_policy=True).allowed


def test_a_key_policy_naming_the_role_allows_without_an_identity_policy() -> None:
    decrypt = request("kms:Decrypt", KEY)
    direct = doc(allow("kms:Decrypt", "*", Principal={"AWS": ROLE}))
    assert evaluate(decrypt, resource_policy=direct, key_policy=True).allowed


def test_kms_via_service_and_encryption_context_conditions() -> None:
    root = doc(allow(
        "kms:Decrypt", "*", Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    ))
    identity = doc(allow("kms:Decrypt", KEY, Condition={
        "StringEquals": {"kms:ViaService": "sqs.us-east-1.amazonaws.com", "kms:EncryptionContext:aws:sqs:arn": QUEUE},
    }))
    via_sqs = request("kms:Decrypt", KEY, **{"kms:ViaService": "sqs.us-east-1.amazonaws.com",
                                             "kms:EncryptionContext:aws:sqs:arn": QUEUE})
    direct = request("kms:Decrypt", KEY)
    assert evaluate(via_sqs, identity=identity, resource_policy=root, key_policy=True).allowed
    assert not evaluate(direct, identity=identity, resource_policy=root, key_policy=True).allowed


# -- service principals ----------------------------------------------------------------------------


SNS = Principal.of_service("sns.amazonaws.com", ACCOUNT)
QUEUE_POLICY = doc(allow("sqs:SendMessage", QUEUE, Principal={"Service": "sns.amazonaws.com"},
                         Condition={"ArnEquals": {"aws:SourceArn": TOPIC}}))


def test_a_service_principal_is_allowed_only_by_the_resource_policy_and_its_source_conditions() -> None:
    assert evaluate(request("sqs:SendMessage", QUEUE, SNS, **{"aws:SourceArn": TOPIC}), resource_policy=QUEUE_POLICY).allowed
    other_topic = request("sqs:SendMessage", QUEUE, SNS, **{"aws:SourceArn": TOPIC + "-other"})
    assert not evaluate(other_topic, resource_policy=QUEUE_POLICY).allowed
    missing = evaluate(request("sqs:SendMessage", QUEUE, SNS, **{"aws:SourceArn": TOPIC}), resource_policy=None)
    assert not missing.allowed and "sns.amazonaws.com" in missing.reason
    # identity policies never apply to a service principal
    assert not evaluate(request("sqs:SendMessage", QUEUE, SNS), identity=doc(allow("*"))).allowed


def test_principal_service_name_and_source_account_keys() -> None:
    policy = doc(allow("sqs:SendMessage", QUEUE, Principal="*", Condition={
        "StringEquals": {"aws:PrincipalServiceName": "sns.amazonaws.com", "aws:SourceAccount": ACCOUNT},
    }))
    assert evaluate(request("sqs:SendMessage", QUEUE, SNS, **{"aws:SourceAccount": ACCOUNT}), resource_policy=policy).allowed
    events = Principal.of_service("events.amazonaws.com", ACCOUNT)
    assert not evaluate(request("sqs:SendMessage", QUEUE, events, **{"aws:SourceAccount": ACCOUNT}), resource_policy=policy).allowed


# -- NotAction, NotResource, NotPrincipal ----------------------------------------------------------


def test_not_action_not_resource_and_not_principal() -> None:
    everything_but_iam = doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert evaluate(request("sqs:SendMessage", QUEUE), identity=everything_but_iam).allowed
    assert not evaluate(request("iam:CreateRole", "*"), identity=everything_but_iam).allowed
    all_but_one_queue = doc({"Effect": "Allow", "Action": "sqs:*", "NotResource": QUEUE})
    assert not evaluate(request("sqs:SendMessage", QUEUE), identity=all_but_one_queue).allowed
    assert evaluate(request("sqs:SendMessage", QUEUE + "-2"), identity=all_but_one_queue).allowed
    deny_all_but_role = doc(allow("sqs:*", QUEUE, Principal="*"),
                            {"Effect": "Deny", "Action": "sqs:*", "Resource": QUEUE, "NotPrincipal": {"AWS": ROLE}})
    assert evaluate(request("sqs:SendMessage", QUEUE), resource_policy=deny_all_but_role).allowed
    other = Principal.role_session(f"arn:aws:iam::{ACCOUNT}:role/other", "s")
    assert not evaluate(request("sqs:SendMessage", QUEUE, other), resource_policy=deny_all_but_role).allowed


# -- condition operators ---------------------------------------------------------------------------


def matches(condition: dict[str, Any], warn: Optional[Any] = None, **context: Any) -> bool:
    return conditions_match(condition, {k.lower(): v for k, v in context.items()}, warn)


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        ({"StringEquals": {"aws:SourceAccount": ["1", ACCOUNT]}}, {"aws:SourceAccount": ACCOUNT}, True),  # values: OR
        ({"StringEquals": {"aws:SourceAccount": "1"}}, {"aws:SourceAccount": ACCOUNT}, False),
        ({"StringNotEquals": {"aws:SourceAccount": ["1", "2"]}}, {"aws:SourceAccount": ACCOUNT}, True),  # negated: NOR
        ({"StringNotEquals": {"aws:SourceAccount": ["1", ACCOUNT]}}, {"aws:SourceAccount": ACCOUNT}, False),
        ({"StringEqualsIgnoreCase": {"aws:PrincipalServiceName": "SNS.amazonaws.com"}}, {"aws:PrincipalServiceName": "sns.amazonaws.com"}, True),
        ({"StringLike": {"s3:prefix": ["home/*", "shared/?"]}}, {"s3:prefix": "home/carlos/"}, True),
        ({"StringNotLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "home/x"}, False),
        ({"StringLike": {"s3:prefix": "home/${aws:PrincipalAccount}/*"}}, {"s3:prefix": f"home/{ACCOUNT}/a", "aws:PrincipalAccount": ACCOUNT}, True),
        ({"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": 5}, True),
        ({"NumericGreaterThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": 5}, False),
        ({"NumericLessThan": {"s3:TlsVersion": "1.2"}}, {"s3:TlsVersion": "1.2"}, False),
        ({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}, {"aws:CurrentTime": "2026-12-07T10:00:00Z"}, True),
        ({"DateLessThan": {"aws:EpochTime": "1577836800"}}, {"aws:EpochTime": "1893456000"}, False),
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "true"}, False),
        ({"Bool": {"aws:SecureTransport": False}}, {"aws:SecureTransport": "false"}, True),
        ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.7"}, True),
        ({"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "10.0.0.0/8"]}}, {"aws:SourceIp": "10.1.2.3"}, False),
        ({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:111122223333:*"}}, {"aws:SourceArn": TOPIC}, True),
        ({"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:other"}}, {"aws:SourceArn": TOPIC}, False),
        ({"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*:*:other"}}, {"aws:SourceArn": TOPIC}, True),
        # several operators and several keys: AND
        ({"Bool": {"aws:SecureTransport": "true"}, "StringEquals": {"aws:SourceAccount": "1"}}, {"aws:SecureTransport": "true", "aws:SourceAccount": ACCOUNT}, False),
    ],
)
def test_condition_operator_families(condition: dict[str, Any], context: dict[str, Any], expected: bool) -> None:
    assert matches(condition, **context) is expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"StringEquals": {"aws:SourceArn": TOPIC}}, False),  # a positive operator on an absent key: false
        ({"StringNotEquals": {"aws:SourceArn": TOPIC}}, True),  # a negated one: true
        ({"ArnNotLike": {"aws:SourceArn": TOPIC}}, True),
        ({"StringEqualsIfExists": {"aws:SourceArn": TOPIC}}, True),  # IfExists: absent is true
        ({"ArnLikeIfExists": {"aws:SourceArn": "arn:aws:sns:*"}}, True),
        ({"Null": {"aws:SourceArn": "true"}}, True),  # Null tests absence
        ({"Null": {"aws:SourceArn": "false"}}, False),
        ({"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": "u1"}}, True),  # the empty set satisfies "all"
        ({"ForAnyValue:StringEquals": {"dynamodb:LeadingKeys": "u1"}}, False),
    ],
)
def test_absent_keys_evaluate_as_the_user_guide_says(condition: dict[str, Any], expected: bool) -> None:
    assert matches(condition) is expected


def test_if_exists_still_tests_a_present_key() -> None:
    assert not matches({"StringEqualsIfExists": {"aws:SourceArn": TOPIC}}, **{"aws:SourceArn": "arn:aws:sns:x:1:other"})


def test_set_operators_on_multivalued_keys() -> None:
    keys = {"dynamodb:LeadingKeys": ["u1", "u2"]}
    assert matches({"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["u1", "u2", "u3"]}}, **keys)
    assert not matches({"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["u1"]}}, **keys)
    assert matches({"ForAnyValue:StringEquals": {"dynamodb:LeadingKeys": ["u2"]}}, **keys)
    assert not matches({"ForAnyValue:StringLike": {"dynamodb:LeadingKeys": ["x*"]}}, **keys)


def test_an_unknown_key_is_absent_and_warned_once() -> None:
    told: list[str] = []
    warn = lambda key, message: told.append(key)  # noqa: E731 - a recording stub
    assert not matches({"StringEquals": {"aws:PrincipalOrgID": "o-1"}}, warn)
    assert told == ["condition-key:aws:principalorgid"]
    assert not matches({"StringEquals": {"aws:SourceArn": TOPIC}}, warn)  # known, only absent: no warning
    assert told == ["condition-key:aws:principalorgid"]


def test_condition_key_names_are_case_insensitive() -> None:
    assert matches({"Bool": {"AWS:SECURETRANSPORT": "true"}}, **{"aws:SecureTransport": "true"})


def test_a_deny_unless_secure_transport_bucket_policy_lets_sdk_calls_through() -> None:
    policy = doc(
        allow("s3:GetObject", f"{BUCKET}/*", Principal={"AWS": ROLE}),
        deny("s3:*", f"{BUCKET}/*", Principal="*", Condition={"Bool": {"aws:SecureTransport": "false"}}),
    )
    assert evaluate(request("s3:GetObject", f"{BUCKET}/a"), resource_policy=policy).allowed
    plain_http = Request(SESSION, "s3:GetObject", f"{BUCKET}/a", {"aws:SecureTransport": "false"})
    assert not evaluate(plain_http, resource_policy=policy).allowed


# -- what a call carries ---------------------------------------------------------------------------


def test_leading_keys_and_prefix_come_from_the_call() -> None:
    arns = Arns("us-east-1", ACCOUNT, lambda kind, name: None, lambda table: "pk")
    [get] = required_permissions("dynamodb", "GetItem", {"TableName": "t", "Key": {"pk": {"S": "u1"}}}, arns)
    assert get.context["dynamodb:LeadingKeys"] == ["u1"]
    [query] = required_permissions("dynamodb", "Query", {
        "TableName": "t", "KeyConditionExpression": "#p = :v", "ExpressionAttributeNames": {"#p": "pk"},
        "ExpressionAttributeValues": {":v": {"S": "u2"}},
    }, arns)
    assert query.context["dynamodb:LeadingKeys"] == ["u2"]
    [listing] = required_permissions("s3", "ListObjectsV2", {"Bucket": "b", "Prefix": "home/"}, arns)
    assert (listing.action, listing.resource, listing.context) == ("s3:ListBucket", "arn:aws:s3:::b", {"s3:prefix": "home/"})
    only_own_items = doc(allow("dynamodb:GetItem", "*", Condition={"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": "u1"}}))
    assert evaluate(Request(SESSION, get.action, get.resource, get.context), identity=only_own_items).allowed
    assert not evaluate(Request(SESSION, query.action, query.resource, query.context), identity=only_own_items).allowed


def test_an_encrypted_queue_implies_kms_requests_via_sqs() -> None:
    arns = Arns("us-east-1", ACCOUNT, lambda kind, name: KEY if kind == "sqs" else None)
    needed = required_permissions("sqs", "SendMessage", {"QueueUrl": QUEUE}, arns)
    assert [(p.action, p.resource) for p in needed] == [
        ("sqs:SendMessage", QUEUE), ("kms:GenerateDataKey", KEY), ("kms:Decrypt", KEY),
    ]
    assert needed[1].context["kms:ViaService"] == "sqs.us-east-1.amazonaws.com"
    assert needed[1].context["kms:EncryptionContext:aws:sqs:arn"] == QUEUE
