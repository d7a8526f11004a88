"""Handler-side helpers, imported inside Lambda functions.

Import discipline: nothing here imports aws_cdk, jsii or constructs, and boto3
clients are created lazily (and can be injected), so a cold start pays only for
what a handler uses. Submodules:

* :mod:`.env` — names of the environment variables constructs set and handlers read.
* :mod:`.log` — JSON logging with correlation fields.
* :mod:`.batch` — partial batch failure responses for SQS, Kinesis and DynamoDB streams.
"""
