"""Finding ids for resource-level acknowledgements.

cdk-nag names an IAM5 finding after the statement's resource, flattened from
its CloudFormation form: ``{"Fn::GetAtt": ["Bucket12345", "Arn"]}`` becomes
``<Bucket12345.Arn>``, ``Fn::Join`` concatenates, ``Ref`` becomes ``<Id>``
(cdk-nag ``src/utils/flatten-cfn-reference.ts``). Building the id from the same
token the grant used means an acknowledgement covers exactly that resource,
never a wildcard the code did not write.
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Stack
from constructs import IConstruct


def flatten_reference(node: Any) -> str:
    """A resolved CloudFormation value flattened the way cdk-nag does it."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict):
        if "Fn::Join" in node:
            delimiter, items = node["Fn::Join"]
            return str(delimiter).join(flatten_reference(i) for i in items)
        if "Fn::Sub" in node:
            return flatten_reference(node["Fn::Sub"])
        if "Fn::GetAtt" in node:
            resource, attribute = node["Fn::GetAtt"]
            return f"<{flatten_reference(resource)}.{flatten_reference(attribute)}>"
        if "Fn::ImportValue" in node:
            return flatten_reference(node["Fn::ImportValue"])
        if "Ref" in node:
            return f"<{flatten_reference(node['Ref'])}>"
    return json.dumps(node, separators=(",", ":"))


def resource_finding(scope: IConstruct, resource: str) -> str:
    """``Resource::<...>`` for ``resource`` (an ARN string or token) in ``scope``'s stack."""
    return f"Resource::{flatten_reference(Stack.of(scope).resolve(resource))}"
