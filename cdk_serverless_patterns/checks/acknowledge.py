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

Each jsii call costs about a millisecond, so the acknowledgements are kept in
Python and written with as few calls as the tree allows: inside
:func:`acknowledgement_batch` (a construct's ``__init__`` decorated with
:func:`in_one_batch`, as ``ServerlessFunction``'s is) one
``Validations.acknowledge`` per construct and one metadata write per resource
and key when the outermost batch ends; outside a batch, the same before
:func:`acknowledge` returns. The ``cdk_nag`` and ``checkov`` keys are built on
what this module wrote and never read back from the tree.
"""

from __future__ import annotations

import contextlib
import functools
import re
from typing import Any, Callable, Iterable, Iterator, ParamSpec, Sequence, TypeVar

from aws_cdk import Acknowledgment, CfnResource, Validations
from constructs import IConstruct

from cdk_serverless_patterns.errors import child_of, default_child_of, jsii_ref, node_of

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

    Inside :func:`acknowledgement_batch` the acknowledgement is recorded when the
    outermost batch ends; otherwise before this call returns.

    :param rule_id: a full id (``AwsSolutions::AwsSolutions-IAM5[Resource::*]``,
        ``ServerlessPatterns::SP-LAMBDA-ARM64``) or ``COMPLIANCE + "<rule>"``.
    :param reason: why the finding is acceptable here, at least 20 characters.
    """
    _require_reason(rule_id, reason)
    report_ids = expand(rule_id)
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
    with acknowledgement_batch() as batch:
        batch.acknowledge(construct, report_ids, reason)
        for resource in _resources(construct):
            batch.merge_metadata(resource, suppressions, checkov, reason)


def acknowledge_checkov(construct: IConstruct, check_ids: Sequence[str], reason: str) -> None:
    """Record, for checkov, why ``check_ids`` (e.g. ``("CKV_AWS_173",)``) do not apply here.

    For checkov checks that no cdk-nag rule corresponds to; a cdk-nag rule's
    checkov equivalents are written by :func:`acknowledge` already.
    """
    _require_reason(", ".join(check_ids), reason)
    with acknowledgement_batch() as batch:
        for resource in _resources(construct):
            batch.merge_metadata(resource, [], list(check_ids), reason)


def acknowledgements_of(resource: CfnResource) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """(cdk-nag suppressions, checkov skips) written into ``resource``'s metadata."""
    nag = resource.get_metadata("cdk_nag") or {}
    checkov = resource.get_metadata("checkov") or {}
    return list(nag.get("rules_to_suppress", [])), list(checkov.get("skip", []))


def _require_reason(what: str, reason: str) -> None:
    if not reason or len(reason) < MIN_REASON_LENGTH:
        raise ValueError(f"acknowledgement of {what} needs a real reason, got {reason!r}")


#: Per construct (by jsii object id), its ``Validations``.
_VALIDATIONS: dict[str, Validations] = {}


def _validations(construct: IConstruct) -> Validations:
    ref = jsii_ref(construct)
    found = _VALIDATIONS.get(ref)
    if found is None:
        found = _VALIDATIONS[ref] = Validations.of(construct)
    return found


def _resources(construct: IConstruct) -> Iterable[CfnResource]:
    if isinstance(construct, CfnResource):
        return [construct]
    child = default_child_of(construct)
    if isinstance(child, CfnResource):
        return [child]
    return [c for c in node_of(construct).find_all() if isinstance(c, CfnResource)]


#: The ``cdk_nag`` and ``checkov`` metadata this module wrote (or will write when
#: the open batch ends) per resource (by jsii object id), in the order the keys
#: were first written. This module owns those two keys of the resources it
#: acknowledges: it builds on what it wrote and never reads them back from the
#: construct tree (each read is a jsii round trip). Add suppressions through
#: :func:`acknowledge` and :func:`acknowledge_checkov`; a later
#: ``add_metadata("cdk_nag", ...)`` on the same resource replaces the key, as
#: it always has.
_WRITTEN: dict[str, dict[str, Any]] = {}


class _Batch:
    """Acknowledgements recorded in Python until the outermost batch ends.

    Each jsii call costs about a millisecond and a construct collects several
    acknowledgements (a function: its DLQ, VPC, tracing and environment-key
    findings): the batch records them with one ``Validations.acknowledge`` per
    construct and one metadata write per resource and key, whatever the number
    of acknowledgements.
    """

    def __init__(self) -> None:
        # keyed by jsii object id, with the construct to write to
        self._rules: dict[str, tuple[IConstruct, dict[str, str]]] = {}
        self._changed: dict[str, tuple[CfnResource, set[str]]] = {}

    def acknowledge(self, construct: IConstruct, report_ids: Iterable[str], reason: str) -> None:
        rules = self._rules.setdefault(jsii_ref(construct), (construct, {}))[1]
        for report_id in report_ids:
            # the last reason given for a rule on a construct wins, as in CDK's report
            rules.pop(report_id, None)
            rules[report_id] = reason

    def merge_metadata(
        self, resource: CfnResource, suppressions: list[dict[str, Any]], checkov_ids: list[str], reason: str
    ) -> None:
        written = _WRITTEN.setdefault(jsii_ref(resource), {})
        if suppressions:
            nag_rules: list[dict[str, Any]] = written.get("cdk_nag", {}).get("rules_to_suppress", [])
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
                written["cdk_nag"] = {"rules_to_suppress": nag_rules}
                self._mark(resource, "cdk_nag")
        if checkov_ids:
            skips: list[dict[str, str]] = written.get("checkov", {}).get("skip", [])
            known = {s["id"] for s in skips}
            added = [{"id": c, "comment": reason} for c in dict.fromkeys(checkov_ids) if c not in known]
            if added:
                written["checkov"] = {"skip": [*skips, *added]}
                self._mark(resource, "checkov")

    def _mark(self, resource: CfnResource, key: str) -> None:
        self._changed.setdefault(jsii_ref(resource), (resource, set()))[1].add(key)

    def record(self) -> None:
        """Write what the batch collected into the construct tree."""
        for construct, rules in self._rules.values():
            _validations(construct).acknowledge(*(Acknowledgment(id=i, reason=r) for i, r in rules.items()))
        for resource, keys in self._changed.values():
            for key, value in _WRITTEN[jsii_ref(resource)].items():
                if key in keys:
                    resource.add_metadata(key, value)
        self._rules.clear()
        self._changed.clear()


_open_batches: list[_Batch] = []


@contextlib.contextmanager
def acknowledgement_batch() -> Iterator[_Batch]:
    """Collect the acknowledgements made inside, and record them when the outermost batch ends.

    A construct that acknowledges several findings wraps its body in one batch
    (``ServerlessFunction`` does): CDK's validation report and the template
    metadata then get the same acknowledgements as without the batch, in a few
    jsii calls instead of a few per acknowledgement. Until the batch ends, the
    acknowledgements are not in the construct tree yet.
    """
    if _open_batches:
        yield _open_batches[0]
        return
    batch = _Batch()
    _open_batches.append(batch)
    try:
        yield batch
    finally:
        _open_batches.pop()
        batch.record()


_P = ParamSpec("_P")
_R = TypeVar("_R")


def in_one_batch(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``function`` (typically a construct's ``__init__``) inside one :func:`acknowledgement_batch`."""

    @functools.wraps(function)
    def batched(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with acknowledgement_batch():
            return function(*args, **kwargs)

    return batched


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
    default_policy = child_of(role, "DefaultPolicy")
    for policy in (*([default_policy] if default_policy is not None else []), *policies):
        acknowledge(policy, COMPLIANCE + "IAMNoInlinePolicy", INLINE_POLICY_REASON)
