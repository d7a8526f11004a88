"""IAM in LocalCloud: policy evaluation as AWS documents it, and the record of what each role used.

* :mod:`.policy` — statements, principals, wildcard matching;
* :mod:`.conditions` — the Condition element (operators, ``IfExists``, set operators, ``Null``);
* :mod:`.evaluate` — the decision for one request (explicit deny, identity and
  resource-based policies, permissions boundaries, KMS key policies, same and cross account);
* :mod:`.resource_policies` — the template's resource-based policies by protected ARN;
* :mod:`.roles` — a role's identity policies and boundary;
* :mod:`.requirements` — what an API call needs (actions, resources, condition keys, implied KMS requests);
* :mod:`.usage` — observed least privilege, the unused-grant report;
* :mod:`.authorizer` — :class:`Iam`, the one object the cloud checks calls and deliveries with.
"""

from __future__ import annotations

from .authorizer import ANY_RESOURCE_ACTIONS, Iam
from .conditions import conditions_match
from .evaluate import Decision, Request, evaluate
from .policy import Principal, Statement, statements_of, wildcard_match
from .requirements import Arns, Permission, kms_key_lookup, partition_key_lookup, required_permissions, secret_arn_lookup
from .resource_policies import ResourcePolicies
from .roles import RolePolicies, access_denied_message

__all__ = [
    "ANY_RESOURCE_ACTIONS",
    "Arns",
    "Decision",
    "Iam",
    "Permission",
    "Principal",
    "Request",
    "ResourcePolicies",
    "RolePolicies",
    "Statement",
    "access_denied_message",
    "conditions_match",
    "evaluate",
    "kms_key_lookup",
    "partition_key_lookup",
    "required_permissions",
    "statements_of",
    "wildcard_match",
]
