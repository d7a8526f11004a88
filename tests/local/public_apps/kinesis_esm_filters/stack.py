"""One Kinesis stream, five Python consumers: one unfiltered and four with event filters on the record ``data``."""

from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources

SRC = str(Path(__file__).parent / "src")


class KinesisEsmFiltersStack(cdk.Stack):
    def __init__(self, scope: Any, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.stream = kinesis.Stream(self, "stream-lambda-esm-filter", stream_name="stream-lambda-esm-filter")
        rule = lambda_.FilterRule
        consumers: dict[str, list[dict[str, Any]]] = {
            "LambdaConsumerNoFilter": [],
            "LambdaConsumerFailStatus": [lambda_.FilterCriteria.filter({"data": {"STATUS": rule.is_equal("FAIL")}})],
            "LambdaConsumerNotOkStatus": [lambda_.FilterCriteria.filter({"data": {"STATUS": rule.not_equals("OK")}})],
            "LambdaConsumerWarnValue": [lambda_.FilterCriteria.filter(
                {"data": {"STATUS": rule.is_equal("WARN"), "VALUE": rule.between(0, 80)}})],
            "LambdaConsumerWarnLessValue": [lambda_.FilterCriteria.filter({"data": {"STATUS": ["WARN"]}}),
                                            lambda_.FilterCriteria.filter({"data": {"VALUE": [{"numeric": ["<", 80]}]}})],
        }
        self.consumers: dict[str, lambda_.Function] = {}
        for name, filters in consumers.items():
            function = lambda_.Function(self, name, handler="lambda_function.handler", code=lambda_.Code.from_asset(SRC),
                                        runtime=lambda_.Runtime.PYTHON_3_14, timeout=cdk.Duration.seconds(30))
            self.stream.grant_read(function)
            function.add_event_source(sources.KinesisEventSource(
                self.stream, starting_position=lambda_.StartingPosition.LATEST, batch_size=1, filters=filters or None))
            self.consumers[name] = function
