"""ARN helpers every service uses: which service an ARN belongs to, a queue's URL."""

from __future__ import annotations


def arn_service(arn: str) -> str:
    """The service field of an ARN (``sqs``, ``lambda``, ...); "" for anything else."""
    return arn.split(":")[2] if arn.startswith("arn:") else ""


def queue_url(arn_or_url: str) -> str:
    """The URL of the queue an SQS ARN (or URL) names."""
    if arn_or_url.startswith("https://"):
        return arn_or_url
    parts = arn_or_url.split(":")
    return f"https://sqs.{parts[3]}.amazonaws.com/{parts[4]}/{parts[5]}"


#: The IAM action a service's role (a pipe's, a schedule's) needs to deliver to a target of each service.
TARGET_ACTIONS = {
    "events": "events:PutEvents",
    "sqs": "sqs:SendMessage",
    "lambda": "lambda:InvokeFunction",
    "states": "states:StartExecution",
    "sns": "sns:Publish",
    "kinesis": "kinesis:PutRecord",
    "logs": "logs:PutLogEvents",
}
