"""Rules about Lambda function URLs."""

from __future__ import annotations

from typing import Iterable

from cdk_serverless_patterns.checks.base import ERROR, Finding, Rule
from cdk_serverless_patterns.checks.graph import TemplateGraph


def public_function_url(graph: TemplateGraph) -> Iterable[Finding]:
    """Function URLs require IAM auth unless a reviewer accepted a public one."""
    for lid, props in graph.of_type("AWS::Lambda::Url"):
        if props.get("AuthType") == "NONE":
            yield Finding(lid, "Properties/AuthType", "AuthType NONE: anyone on the internet can invoke the function")


RULES: list[Rule] = [
    Rule(
        "SP-LAMBDA-PUBLIC-URL",
        ERROR,
        "Lambda function URL without authentication (AuthType NONE): anyone who finds the URL invokes "
        "the function, and pays nothing while you pay per request (cdk-nag's AwsSolutions and Serverless "
        "packs do not check function URLs).",
        "Use AuthType AWS_IAM (FunctionUrlEndpoint's default) and SigV4-sign requests; for callers that "
        "cannot sign (third-party webhooks) verify every request in the handler (signature header) and "
        "acknowledge with that reason (FunctionUrlOptions(auth=FunctionUrlAuth.NONE, reason=...) does so).",
        public_function_url,
    ),
]
