"""Kinesis: data streams created in moto (with their shard count), and the sender that puts a record on one.

Their records are read by :class:`~..sources.StreamSource` for event source
mappings and pipes. As a target (a pipe's, a schedule's, a rule's) a stream
gets one ``PutRecord`` per event with the partition key the target names (a
fresh one when it names none).
"""

from __future__ import annotations

import uuid
from typing import Any, Mapping, Optional

from ..context import CloudContext, body_of
from ..service import Service


class Kinesis(Service):
    handles = ("AWS::Kinesis::Stream",)

    def __init__(self, ctx: CloudContext) -> None:
        super().__init__(ctx)
        ctx.register_keyed_sender("kinesis", self.send)

    def provision(self) -> None:
        template = self.ctx.template
        for stream in template.of_type("AWS::Kinesis::Stream"):
            shards = int(template.resolve(stream.properties.get("ShardCount", 1)))
            self.ctx.client("kinesis").create_stream(StreamName=stream.name, ShardCount=shards)

    def send(self, arn: str, payload: Any, *, attributes: Optional[Mapping[str, str]] = None,
             group_id: Optional[str] = None, partition_key: Optional[str] = None) -> None:
        """``PutRecord`` of ``payload`` (JSON unless a string) on the stream ``arn``."""
        self.ctx.client("kinesis").put_record(
            StreamName=arn.rsplit("/", 1)[-1], Data=body_of(payload).encode(), PartitionKey=partition_key or uuid.uuid4().hex
        )
