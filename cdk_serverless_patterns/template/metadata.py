"""Template metadata keys the package writes and reads (a leaf module: it imports nothing).

Constructs write these keys into a resource's ``Metadata``; the checks, the
tooling and LocalCloud read them back from the synthesized template. Keeping
the names here lets writers (``building_blocks``) and readers (``checks``,
``tooling``, ``local``) agree without importing each other.
"""

from __future__ import annotations

#: CDK's construct path of a resource (``Stack/Pattern/Part/Resource``); absent when
#: the app synthesizes with ``aws:cdk:path-metadata`` off.
CDK_PATH = "aws:cdk:path"
#: CDK's path of a file asset (a function's or layer's code) inside the cloud assembly.
ASSET_PATH = "aws:asset:path"
#: A function's idempotency declaration (``building_blocks.idempotency.Idempotency.to_metadata()``),
#: on the ``AWS::Lambda::Function``; the ``SP-IDEMPOTENCY`` rule reads it.
IDEMPOTENCY = "cdk_serverless_patterns:idempotency"
#: The secrets and parameters a function reads by reference (``FunctionSpec(secrets=, parameters=)``),
#: on the ``AWS::Lambda::Function``: ``{"secrets": {ENV: name or ARN}, "parameters": {ENV: name}}``;
#: LocalCloud creates the ones the template does not.
REFERENCES = "cdk_serverless_patterns:references"
