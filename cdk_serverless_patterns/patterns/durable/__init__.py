"""DurableSaga: a saga orchestrated by a Lambda durable function.

Import the public names from ``cdk_serverless_patterns``.
"""
