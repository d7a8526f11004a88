"""The L3 constructs, one module or sub-package per serverless pattern.

Import them from the top-level package (``from cdk_serverless_patterns import
ApiBackend``); this tree only shows where each one lives.
"""
