"""Handler-side helpers, imported inside Lambda functions.

Import discipline: nothing here imports aws_cdk, jsii or constructs, and boto3
clients are created lazily (and can be injected), so a cold start pays only for
what a handler uses. Submodules:

* :mod:`.env` — names of the environment variables constructs set and handlers read.
* :mod:`.log` — JSON logging with correlation fields.
* :mod:`.batch` — partial batch failure responses for SQS, Kinesis and DynamoDB streams.
* :mod:`.http` — JSON responses and errors for API Gateway handlers.
* :mod:`.fan_in` — exactly-once fan-in completion (``complete_part``, contract).
* :mod:`.jobs` — start a fan-out job and run one worker's part.
* :mod:`.event_store` — append-only event store with optimistic concurrency (contract).
* :mod:`.projection` — idempotent read-model writes for CQRS projectors.
* :mod:`.saga_steps` — saga actions and compensations that run once per execution and step.
* :mod:`.secrets` — the secrets and parameters a function was given by reference, cached.

Every Python ``ServerlessFunction`` gets this package through a Lambda layer
(:mod:`cdk_serverless_patterns.building_blocks.runtime_layer`).
"""
