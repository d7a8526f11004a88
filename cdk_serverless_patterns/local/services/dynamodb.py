"""DynamoDB: tables with their indexes and streams, created in moto.

A table's stream is read by :class:`~..sources.StreamSource` (for event source
mappings and pipes); its ARN is known once the table exists.
"""

from __future__ import annotations

from typing import Any

from ..service import Service
from ..template import Resource


class DynamoDb(Service):
    handles = ("AWS::DynamoDB::Table",)

    def provision(self) -> None:
        for table in self.ctx.template.of_type("AWS::DynamoDB::Table"):
            self._create_table(table)

    def _create_table(self, table: Resource) -> None:
        props = self.ctx.template.resolve(table.properties)
        kwargs: dict[str, Any] = {
            "TableName": table.name,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": "PAY_PER_REQUEST",
        }
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if props.get(key):
                kwargs[key] = [
                    {k: v for k, v in index.items() if k in ("IndexName", "KeySchema", "Projection")}
                    for index in props[key]
                ]
        stream = props.get("StreamSpecification")
        if stream:
            kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
        dynamodb = self.ctx.client("dynamodb")
        dynamodb.create_table(**kwargs)
        if stream:
            # Known only once the table exists; nothing that references it is resolved before.
            table.attributes["StreamArn"] = str(dynamodb.describe_table(TableName=table.name)["Table"]["LatestStreamArn"])
