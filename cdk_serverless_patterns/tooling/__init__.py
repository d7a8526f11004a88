"""Tooling that reads a synthesized cloud assembly (``cdk.out``): findings, cost, diagram.

Everything here reads files only — templates, ``manifest.json`` and
``validation-report.json`` — so it never imports aws_cdk or jsii and works on
any CDK app's output, not only this library's. ``python -m
cdk_serverless_patterns`` is its command line (:mod:`.cli`).
"""
