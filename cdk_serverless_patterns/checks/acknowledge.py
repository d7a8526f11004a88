"""Scoped acknowledgements of check findings, visible to every scanner.

The library never silences a rule globally: each acknowledgement names one
construct (it covers that construct and its children) and carries a reason a
security reviewer can accept. All of the library's own acknowledgements go
through :func:`acknowledge` (or :func:`acknowledge_checkov` for a checkov check
no cdk-nag rule corresponds to), so they are easy to audit with one grep.

One call does three things with the same reason:

1. ``Validations.of(construct).acknowledge(...)`` — what CDK's validation report
   (cdk-nag 3, ServerlessPatterns) honours;
2. writes ``Metadata.cdk_nag.rules_to_suppress`` (cdk-nag's template form:
   ``id``, ``reason``, ``applies_to`` for a finding-level IAM5) on the
   construct's resource, so the justification travels with the template;
3. writes ``Metadata.checkov.skip`` (``id`` + ``comment``) for the checkov
   checks that test the same thing (:data:`CHECKOV_EQUIVALENTS`), so a team's
   checkov run sees the same justification.

A rule of the NIST 800-53 R5, HIPAA Security and PCI DSS 3.2.1 packs is
acknowledged in each pack that has it with ``COMPLIANCE + "<rule>"``.
``SERVERLESS + "LambdaDLQ"`` also covers those packs' ``LambdaDLQ``: they test
the same ``DeadLetterConfig``.

"The construct's resource" is the construct itself when it is a CloudFormation
resource, else its default child, else every CloudFormation resource below it
at the time of the call.
"""

from __future__ import annotations

import re
import weakref
from typing import Any, Iterable, Sequence

from aws_cdk import Acknowledgment, CfnResource, Validations
from constructs import IConstruct

#: cdk-nag 3 reports rule ids as ``<pack>::<pack>-<rule>``.
AWS_SOLUTIONS = "AwsSolutions::AwsSolutions-"
SERVERLESS = "Serverless::Serverless-"
NIST_800_53_R5 = "NIST.800.53.R5::NIST.800.53.R5-"
HIPAA_SECURITY = "HIPAA.Security::HIPAA.Security-"
PCI_DSS_321 = "PCI.DSS.321::PCI.DSS.321-"
#: ``COMPLIANCE + "LambdaInsideVPC"`` acknowledges the rule in all three compliance packs.
COMPLIANCE = "Compliance::"
COMPLIANCE_PREFIXES = (NIST_800_53_R5, HIPAA_SECURITY, PCI_DSS_321)

#: Rules a compliance pack does not have (cdk-nag 3's pci-dss-321 pack), so that
#: neither the report nor the template metadata names a rule that cannot fire.
_NOT_IN_PACK: dict[str, frozenset[str]] = {
    PCI_DSS_321: frozenset({"LambdaDLQ", "LambdaConcurrency", "DynamoDBInBackupPlan"}),
}


def _in_packs(rule: str) -> list[str]:
    return [p + rule for p in COMPLIANCE_PREFIXES if rule not in _NOT_IN_PACK.get(p, frozenset())]


#: Findings the compliance packs report for the same property a Serverless/AwsSolutions
#: rule already checks: acknowledging the latter acknowledges these too.
_SAME_CHECK: dict[str, tuple[str, ...]] = {
    SERVERLESS + "LambdaDLQ": tuple(_in_packs("LambdaDLQ")),
}

#: cdk-nag rule (the part after ``<pack>-``, without a ``[finding]``) → the
#: checkov checks that test the same property of the same resource.
CHECKOV_EQUIVALENTS: dict[str, tuple[str, ...]] = {
    "LambdaDLQ": ("CKV_AWS_116",),
    "LambdaInsideVPC": ("CKV_AWS_117",),
    "LambdaConcurrency": ("CKV_AWS_115",),
    "CloudWatchLogGroupEncrypted": ("CKV_AWS_158",),
    "DynamoDBInBackupPlan": (),
    "S3DefaultEncryptionKMS": (),
    "S3BucketVersioningEnabled": ("CKV_AWS_21",),
    "S3BucketLoggingEnabled": ("CKV_AWS_18",),
    "S1": ("CKV_AWS_18",),
    "APIGWCacheEnabledAndEncrypted": ("CKV_AWS_120",),
    "APIG4": ("CKV_AWS_59",),
    "CFR4": ("CKV_AWS_174",),
    "SQS3": (),
    # checkov judges a whole policy document (CKV_AWS_111 passes for X-Ray's "*"); a policy-level
    # skip would also hide a later "*" grant in the same policy, so IAM5 maps to none.
    "IAM5": (),
}

#: ``kind`` of a finding-level id: ``...-IAM5[Resource::*]`` → rule ``IAM5``, finding ``Resource::*``.
_FINDING = re.compile(r"^(?P<rule>[^\[]+)(?:\[(?P<finding>.*)\])?$")

MIN_REASON_LENGTH = 20


def expand(rule_id: str) -> list[str]:
    """Every validation-report id one acknowledgement of ``rule_id`` covers."""
    if rule_id.startswith(COMPLIANCE):
        return _in_packs(rule_id[len(COMPLIANCE) :])
    return [rule_id, *_SAME_CHECK.get(rule_id, ())]


def acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge ``rule_id`` on ``construct`` with ``reason``, for every scanner.

    :param rule_id: a full id (``AwsSolutions::AwsSolutions-IAM5[Resource::*]``,
        ``ServerlessPatterns::SP-LAMBDA-ARM64``) or ``COMPLIANCE + "<rule>"``.
    :param reason: why the finding is acceptable here, at least 20 characters.
    """
    _require_reason(rule_id, reason)
    report_ids = expand(rule_id)
    # One jsii call for all ids (``acknowledge`` is variadic): round trips are what synth time is made of.
    _validations(construct).acknowledge(*(Acknowledgment(id=report_id, reason=reason) for report_id in report_ids))
    suppressions = []
    checkov: list[str] = []
    for report_id in report_ids:
        name = report_id.split("::", 1)[-1]
        match = _FINDING.match(name)
        assert match is not None  # the pattern matches any string
        entry: dict[str, Any] = {"id": match["rule"], "reason": reason}
        if match["finding"]:
            entry["applies_to"] = [match["finding"]]
        suppressions.append(entry)
        checkov.extend(CHECKOV_EQUIVALENTS.get(match["rule"].rsplit("-", 1)[-1], ()))
    for resource in _resources(construct):
        _merge_metadata(resource, suppressions, checkov, reason)


def acknowledge_checkov(construct: IConstruct, check_ids: Sequence[str], reason: str) -> None:
    """Record, for checkov, why ``check_ids`` (e.g. ``("CKV_AWS_173",)``) do not apply here.

    For checkov checks that no cdk-nag rule corresponds to; a cdk-nag rule's
    checkov equivalents are written by :func:`acknowledge` already.
    """
    _require_reason(", ".join(check_ids), reason)
    for resource in _resources(construct):
        _merge_metadata(resource, [], list(check_ids), reason)


def acknowledgements_of(resource: CfnResource) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """(cdk-nag suppressions, checkov skips) written into ``resource``'s metadata."""
    nag = resource.get_metadata("cdk_nag") or {}
    checkov = resource.get_metadata("checkov") or {}
    return list(nag.get("rules_to_suppress", [])), list(checkov.get("skip", []))


def _require_reason(what: str, reason: str) -> None:
    if not reason or len(reason) < MIN_REASON_LENGTH:
        raise ValueError(f"acknowledgement of {what} needs a real reason, got {reason!r}")


#: Per construct, what repeated acknowledgements of it would otherwise ask jsii
#: for again: its ``Validations`` and its default CloudFormation resource (a
#: default child, once there, stays). Weak keys, as for ``_WRITTEN``.
_VALIDATIONS: "weakref.WeakKeyDictionary[IConstruct, Validations]" = weakref.WeakKeyDictionary()
_DEFAULT_RESOURCE: "weakref.WeakKeyDictionary[IConstruct, CfnResource]" = weakref.WeakKeyDictionary()


def _validations(construct: IConstruct) -> Validations:
    found = _VALIDATIONS.get(construct)
    if found is None:
        found = _VALIDATIONS[construct] = Validations.of(construct)
    return found


def _resources(construct: IConstruct) -> Iterable[CfnResource]:
    if isinstance(construct, CfnResource):
        return [construct]
    default = _DEFAULT_RESOURCE.get(construct)
    if default is not None:
        return [default]
    node = construct.node
    child = node.default_child
    if isinstance(child, CfnResource):
        _DEFAULT_RESOURCE[construct] = child
        return [child]
    return [c for c in node.find_all() if isinstance(c, CfnResource)]


#: The metadata this module last wrote per resource and key. Each metadata read
#: is a jsii round trip, and a resource collects many acknowledgements: read a
#: key from the resource once (it may hold entries written by others before
#: the first acknowledgement), then build on what was written. Weak keys: a
#: proxy jsii drops is read afresh next time.
_WRITTEN: "weakref.WeakKeyDictionary[CfnResource, dict[str, Any]]" = weakref.WeakKeyDictionary()


def _metadata(resource: CfnResource, key: str) -> Any:
    written = _WRITTEN.get(resource)
    if written is not None and key in written:
        return written[key]
    return resource.get_metadata(key)


def _write_metadata(resource: CfnResource, key: str, value: Any) -> None:
    resource.add_metadata(key, value)
    _WRITTEN.setdefault(resource, {})[key] = value


def _merge_metadata(resource: CfnResource, suppressions: list[dict[str, Any]], checkov_ids: list[str], reason: str) -> None:
    # Each metadata read and write is a jsii round trip: read only the keys this
    # acknowledgement adds to, write only what changed.
    if suppressions:
        nag_rules = [dict(e) for e in (_metadata(resource, "cdk_nag") or {}).get("rules_to_suppress", [])]
        changed = False
        for entry in suppressions:
            same = next((e for e in nag_rules if e["id"] == entry["id"] and e["reason"] == entry["reason"]), None)
            if same is None:
                nag_rules.append(dict(entry))
                changed = True
            elif "applies_to" in entry:
                merged = sorted({*same.get("applies_to", []), *entry["applies_to"]})
                changed = changed or merged != same.get("applies_to")
                same["applies_to"] = merged
        if changed:
            _write_metadata(resource, "cdk_nag", {"rules_to_suppress": nag_rules})
    if checkov_ids:
        skips = list((_metadata(resource, "checkov") or {}).get("skip", []))
        known = {s["id"] for s in skips}
        added = [{"id": c, "comment": reason} for c in dict.fromkeys(checkov_ids) if c not in known]
        if added:
            _write_metadata(resource, "checkov", {"skip": [*skips, *added]})


#: Why the library keeps its roles' permissions in inline policies (docs/checks.md).
INLINE_POLICY_REASON = (
    "Inline policy of a role the library creates for exactly one resource: it cannot be attached to any "
    "other principal, is created, changed and deleted with that role in this template, and holds only "
    "grants computed for that resource. A customer managed policy would be a second, separately "
    "attachable object per role with nothing to reuse (and would count toward the managed-policies-per-"
    "role quota); the synthesized template is where it is reviewed and versioned."
)


def acknowledge_inline_policies(role: IConstruct, *policies: IConstruct) -> None:
    """Acknowledge the compliance packs' ``IAMNoInlinePolicy`` for ``role``'s own policies.

    The acknowledgement on ``role`` covers its ``DefaultPolicy`` (also one CDK
    creates later, when a grant adds the first statement); ``policies`` are
    further ``iam.Policy`` objects attached to it that live elsewhere in the tree.
    """
    acknowledge(role, COMPLIANCE + "IAMNoInlinePolicy", INLINE_POLICY_REASON)
    default_policy = role.node.try_find_child("DefaultPolicy")
    for policy in (*([default_policy] if default_policy is not None else []), *policies):
        acknowledge(policy, COMPLIANCE + "IAMNoInlinePolicy", INLINE_POLICY_REASON)
