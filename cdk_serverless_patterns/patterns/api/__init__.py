"""API backend: ``ApiBackend`` with its routes, auth, stage settings and validation.

Import the public names from ``cdk_serverless_patterns``. This ``__init__`` imports
nothing, so the pure-Python modules here stay importable without aws_cdk.
"""
