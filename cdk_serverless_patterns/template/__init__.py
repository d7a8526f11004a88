"""Reading a synthesized CloudFormation template: one reader for the whole package.

``cdk synth`` writes the one truth that ``cdk deploy``, the rule pack and the
tooling share. This package reads it once, in one way:

* :mod:`.reader` — :class:`TemplateReader`: resources (by id, by type, construct
  path), references (``Ref``/``Fn::GetAtt``/``Fn::Sub``/``Fn::Join`` to logical ids;
  ARNs, aliases and versions to the function and qualifier they invoke), triggers
  (:class:`Trigger`: event source mappings, SNS subscriptions, EventBridge rule
  targets, Scheduler schedules, Pipes, S3 notifications) and IAM policies
  (:class:`PolicyStatement` per role, the role each function or state machine runs as);
* :mod:`.catalogue` — the resource types the package knows (a leaf: imports nothing);
* :mod:`.metadata` — the template metadata keys constructs write and readers read (a leaf).

Who uses it: ``checks.graph.TemplateGraph`` (the rule pack's view) is a
:class:`TemplateReader` plus the facts only rules need; ``tooling.graph.build_graph``
(diagram, cost, traffic) draws its edges from :attr:`TemplateReader.triggers`,
:meth:`TemplateReader.references` and :attr:`TemplateReader.policy_statements`.

What ``local/`` would use when it adopts this reader: ``local/template.py``'s
``StackTemplate`` keeps what only a local run needs — a physical name and ARN per
resource and the *evaluation* of intrinsics to those names — and takes the rest
from here: the resource table and ``of_type`` (``TemplateReader.resources`` /
``of_type`` / ``path``), the ``aws:cdk:path`` and ``aws:asset:path`` keys
(:mod:`.metadata`), which event source mappings, subscriptions, rule targets, pipes,
schedules and bucket notifications exist and what they connect
(:attr:`TemplateReader.triggers`, instead of each of ``local/sources.py``,
``eventbridge.py``, ``pipes.py`` and ``cloud.py`` walking properties itself), the role a
function runs as and its policy statements (:meth:`TemplateReader.role_of`,
:attr:`TemplateReader.statements_by_role`, for ``local/iam.py``), and the
resolution order its identities need (an alias or version after its function:
:meth:`TemplateReader.references`).

Nothing here imports aws_cdk, jsii or any other sub-package of
``cdk_serverless_patterns``.
"""

from __future__ import annotations

from .reader import (
    ANY_QUALIFIER,
    UNQUALIFIED,
    PolicyStatement,
    Target,
    Template,
    TemplateReader,
    Trigger,
    TriggerKind,
    as_list,
    number,
    referenced,
)

__all__ = [
    "ANY_QUALIFIER",
    "UNQUALIFIED",
    "PolicyStatement",
    "Target",
    "Template",
    "TemplateReader",
    "Trigger",
    "TriggerKind",
    "as_list",
    "number",
    "referenced",
]
