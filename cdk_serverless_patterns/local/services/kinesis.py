"""Kinesis: data streams created in moto (with their shard count).

Their records are read by :class:`~..sources.StreamSource` for event source
mappings and pipes.
"""

from __future__ import annotations

from ..service import Service


class Kinesis(Service):
    handles = ("AWS::Kinesis::Stream",)

    def provision(self) -> None:
        template = self.ctx.template
        for stream in template.of_type("AWS::Kinesis::Stream"):
            shards = int(template.resolve(stream.properties.get("ShardCount", 1)))
            self.ctx.client("kinesis").create_stream(StreamName=stream.name, ShardCount=shards)
