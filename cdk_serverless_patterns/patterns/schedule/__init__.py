"""Scheduled job: ``ScheduledJob`` and the schedule-expression parser it validates with.

Import the public names from ``cdk_serverless_patterns``. This ``__init__`` imports
nothing, so the pure-Python modules here stay importable without aws_cdk.
"""
