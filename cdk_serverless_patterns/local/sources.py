"""Lambda event source mappings: SQS queues, Kinesis streams and DynamoDB streams, polled as Lambda polls.

SQS: batches of up to ``BatchSize`` messages; with ``ReportBatchItemFailures``
only the reported messages return to the queue, otherwise a failed invocation
returns the whole batch; returned messages become visible at once (virtual
time), and SQS's own redrive moves a message to the DLQ when it is received
again after ``maxReceiveCount`` receives. Messages a ``FilterCriteria`` does not
match are deleted, as Lambda does.

Filter criteria are EventBridge patterns (:func:`~.eventbridge.pattern_matches`)
on the record as AWS documents it (:func:`filter_view`): an SQS ``body`` that is
JSON is matched as an object (a plain-text body matches only plain-string
patterns, so a pattern on body fields drops it); Kinesis filters on ``data``,
base64-decoded and parsed when it is JSON; DynamoDB stream records on
``dynamodb.NewImage``/``OldImage``/``Keys`` as they are (typed: ``{"S": [...]}``).

Streams: records in order per shard; a failed batch is retried (split in two
first when ``BisectBatchOnFunctionError``), from the first reported failure with
``ReportBatchItemFailures``, up to ``MaximumRetryAttempts``; then a record of
the batch goes to the ``OnFailure`` destination and the shard moves on.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import uuid
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional

from .arns import queue_url
from .eventbridge import pattern_matches
from .functions import HandlerError
from .template import Resource

if TYPE_CHECKING:
    from .context import CloudContext

#: Lambda's default for MaximumRetryAttempts on streams is -1 (until the record expires); locally: bounded.
_INFINITE_RETRIES = 10


def _parsed(text: Any) -> Any:
    """``text`` as JSON when it is a JSON object or array, else unchanged."""
    if isinstance(text, str) and text.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def decoded_data(data: Any) -> Any:
    """A Kinesis record's base64 ``data``, decoded and parsed when it is JSON; else unchanged."""
    if not isinstance(data, str):
        return data
    try:
        text = base64.b64decode(data, validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return data
    parsed = _parsed(text)
    return parsed if parsed is not text else data


def filter_view(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record as a filter pattern sees it (SQS body / Kinesis data parsed; DynamoDB records as they are)."""
    if isinstance(record.get("kinesis"), Mapping):  # a Lambda Kinesis record: filters see its ``kinesis`` object
        view = dict(record["kinesis"])
    else:
        view = dict(record)
    if "data" in view and (view.get("kinesisSchemaVersion") or record.get("eventSource") == "aws:kinesis"):
        view["data"] = decoded_data(view["data"])
    if "body" in view and record.get("eventSource") == "aws:sqs":
        view["body"] = _parsed(view["body"])
    return view


def filters_match(filters: list[Mapping[str, Any]], record: Mapping[str, Any]) -> bool:
    """Does ``record`` pass a ``FilterCriteria.Filters`` list (any pattern matches; no filters: all pass)?"""
    if not filters:
        return True
    view = filter_view(record)
    return any(pattern_matches(f.get("Pattern"), view) for f in filters)


def _failed_ids(result: Any) -> Optional[list[str]]:
    """``batchItemFailures`` ids, [] for none, None for a malformed response (= whole batch failed)."""
    if result is None or result == {} or not isinstance(result, Mapping) or "batchItemFailures" not in result:
        return []
    failures = result.get("batchItemFailures")
    if failures is None:
        return []
    if not isinstance(failures, list):
        return None
    ids = []
    for failure in failures:
        if not isinstance(failure, Mapping) or not failure.get("itemIdentifier"):
            return None
        ids.append(str(failure["itemIdentifier"]))
    return ids


class SqsPoller:
    """Polls one queue as Lambda and Pipes do: a batch, filtered, delivered; failures return to the queue.

    :param deliver: runs a batch of records; returns the ``messageId`` s that
        failed ([] for none, None for the whole batch).
    """

    def __init__(self, ctx: "CloudContext", queue_arn: str, *, batch_size: int, filters: list[Mapping[str, Any]],
                 deliver: Callable[[list[dict[str, Any]]], Optional[list[str]]], enabled: bool = True) -> None:
        self.ctx = ctx
        self.queue_arn = queue_arn
        self.batch_size = batch_size
        self.filters = filters
        self.deliver = deliver
        self.enabled = enabled
        self.delivered: set[str] = set()

    def poll(self) -> bool:
        if not self.enabled:
            return False
        sqs = self.ctx.client("sqs")
        url = queue_url(self.queue_arn)
        messages: list[dict[str, Any]] = []
        while len(messages) < self.batch_size:
            got = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=min(10, self.batch_size - len(messages)),
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
                WaitTimeSeconds=0,
            ).get("Messages", [])
            if not got:
                break
            messages.extend(got)
        if not messages:
            return False
        records = [self._record(m) for m in messages]
        keep = [(m, r) for m, r in zip(messages, records) if filters_match(self.filters, r)]
        for message, record in zip(messages, records):
            if all(message is not k[0] for k in keep):
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if not keep:
            return True
        failed = self.deliver([r for _, r in keep])
        for message, record in keep:
            message_failed = failed is None or record["messageId"] in failed
            if not message_failed and self.ctx.copies > 1 and record["messageId"] not in self.delivered:
                self.delivered.add(record["messageId"])
                message_failed = True  # duplicate delivery: let SQS deliver it once more
            if message_failed:
                sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
            else:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return True

    def _record(self, message: Mapping[str, Any]) -> dict[str, Any]:
        attributes = dict(message.get("Attributes") or {})
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": attributes,
            "messageAttributes": {
                name: {
                    "stringValue": value.get("StringValue"),
                    "binaryValue": base64.b64encode(value["BinaryValue"]).decode() if value.get("BinaryValue") else None,
                    "stringListValues": [],
                    "binaryListValues": [],
                    "dataType": value.get("DataType", "String"),
                }
                for name, value in (message.get("MessageAttributes") or {}).items()
            },
            "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.ctx.template.region,
        }


class SqsMapping(SqsPoller):
    """A Lambda event source mapping on a queue (``ReportBatchItemFailures`` honoured)."""

    def __init__(self, ctx: "CloudContext", mapping: Resource) -> None:
        props = ctx.template.resolve(mapping.properties)
        self.mapping = mapping
        self.function, _ = ctx.functions.function_for_arn(str(props["FunctionName"]))
        self.invoked_arn = ctx.functions.function_arn_of(str(props["FunctionName"]))
        self.report_failures = "ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or [])
        super().__init__(
            ctx,
            str(props["EventSourceArn"]),
            batch_size=int(props.get("BatchSize", 10)),
            filters=list((props.get("FilterCriteria") or {}).get("Filters") or []),
            deliver=self._invoke,
            enabled=str(props.get("Enabled", True)).lower() != "false",
        )

    def _invoke(self, records: list[dict[str, Any]]) -> Optional[list[str]]:
        try:
            result = self.ctx.functions.run(self.function, {"Records": records}, invoked_arn=self.invoked_arn)
        except HandlerError:
            return None
        return _failed_ids(result) if self.report_failures else []


class StreamSource:
    """Reads one stream (Kinesis or DynamoDB) shard by shard, from where LocalCloud started."""

    def __init__(self, ctx: "CloudContext", stream_arn: str) -> None:
        self.ctx = ctx
        self.stream_arn = stream_arn
        self.kind = "kinesis" if ":kinesis:" in stream_arn else "dynamodb"
        self.iterators: dict[str, Optional[str]] = {}
        self.buffers: dict[str, list[dict[str, Any]]] = {}

    def fetch(self) -> None:
        if self.kind == "kinesis":
            self._fetch_kinesis()
        else:
            self._fetch_dynamodb()

    def _fetch_kinesis(self) -> None:
        client = self.ctx.client("kinesis")
        if not self.iterators:
            # moto 5.2 loses the stream of an iterator asked for by StreamARN; the name works.
            name = self.stream_arn.rsplit("/", 1)[-1]
            shards = client.describe_stream(StreamName=name)["StreamDescription"]["Shards"]
            for shard in shards:
                shard_id = shard["ShardId"]
                self.iterators[shard_id] = client.get_shard_iterator(
                    StreamName=name, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
                self.buffers[shard_id] = []
        for shard_id, iterator in list(self.iterators.items()):
            if iterator is None:
                continue
            response = client.get_records(ShardIterator=iterator)
            self.buffers[shard_id].extend(response.get("Records", []))
            self.iterators[shard_id] = response.get("NextShardIterator")

    def _fetch_dynamodb(self) -> None:
        # moto 5.2's DynamoDB Streams API answers DescribeStream with "Not yet implemented";
        # its table keeps the stream records, so read them there (same content and order).
        from moto.dynamodb.models import dynamodb_backends

        table_name = self.stream_arn.split(":", 5)[5].split("/")[1]
        table = dynamodb_backends[self.ctx.template.account][self.ctx.template.region].get_table(table_name)
        shard = table.stream_shard
        if shard is None:
            return
        buffer = self.buffers.setdefault(shard.id, [])
        for record in shard.items[len(buffer) :]:
            buffer.append(json.loads(json.dumps(record.record, default=_json_default)))


class StreamMapping:
    """An event source mapping (or a pipe's source) on a stream: ordered, retried, bisected."""

    def __init__(
        self,
        ctx: "CloudContext",
        source: StreamSource,
        *,
        deliver: Callable[[list[dict[str, Any]]], Optional[list[str]]],
        to_record: Callable[[dict[str, Any], str], dict[str, Any]],
        item_id: Callable[[dict[str, Any]], str],
        batch_size: int,
        max_retries: int,
        bisect: bool,
        on_failure: Optional[str],
        filters: list[Mapping[str, Any]],
        failure_context: Callable[[], dict[str, Any]],
    ) -> None:
        self.ctx = ctx
        self.source = source
        self.deliver = deliver
        self.to_record = to_record
        self.item_id = item_id
        self.batch_size = batch_size
        self.max_retries = _INFINITE_RETRIES if max_retries < 0 else max_retries
        self.bisect = bisect
        self.on_failure = on_failure
        self.filters = filters
        self.failure_context = failure_context
        self.positions: dict[str, int] = {}

    def poll(self) -> bool:
        self.source.fetch()
        worked = False
        for shard_id, buffer in self.source.buffers.items():
            position = self.positions.get(shard_id, 0)
            while position < len(buffer):
                raw = buffer[position : position + self.batch_size]
                records = [self.to_record(r, shard_id) for r in raw]
                records = [r for r in records if filters_match(self.filters, r)]
                if records:
                    for _ in range(self.ctx.copies):
                        self._process(shard_id, records)
                position += len(raw)
                worked = True
            self.positions[shard_id] = position
        return worked

    def _process(self, shard_id: str, records: list[dict[str, Any]]) -> None:
        attempts = 0
        pending = [records]
        while pending:
            batch = pending.pop(0)
            failed = self.deliver(batch)
            if failed is not None and not failed:
                attempts = 0
                continue
            if failed:  # ReportBatchItemFailures: retry from the first reported record
                ids = [self.item_id(r) for r in batch]
                first = min((ids.index(i) for i in failed if i in ids), default=0)
                batch = batch[first:]
            if attempts >= self.max_retries:
                self._give_up(shard_id, batch)
                attempts = 0
                continue
            attempts += 1
            if failed is None and self.bisect and len(batch) > 1:
                half = len(batch) // 2
                pending[:0] = [batch[:half], batch[half:]]
            else:
                pending.insert(0, batch)

    def _give_up(self, shard_id: str, batch: list[dict[str, Any]]) -> None:
        self.ctx.record_delivery_failure(
            f"stream {self.source.stream_arn}", f"{len(batch)} record(s) failed after {self.max_retries} retries"
        )
        if not self.on_failure:
            return
        ids = [self.item_id(r) for r in batch]
        info_key = "KinesisBatchInfo" if self.source.kind == "kinesis" else "DDBStreamBatchInfo"
        now = datetime.datetime.now(datetime.timezone.utc).isoformat()
        self.ctx.send(
            self.on_failure,
            {
                "requestContext": {
                    "requestId": str(uuid.uuid4()),
                    "condition": "RetryAttemptsExhausted",
                    "approximateInvokeCount": self.max_retries + 1,
                    **self.failure_context(),
                },
                "responseContext": {"statusCode": 200, "executedVersion": "1", "functionError": "Unhandled"},
                "version": "1.0",
                "timestamp": now,
                info_key: {
                    "shardId": shard_id,
                    "startSequenceNumber": ids[0],
                    "endSequenceNumber": ids[-1],
                    "batchSize": len(batch),
                    "streamArn": self.source.stream_arn,
                },
            },
        )


def kinesis_record(ctx: "CloudContext", stream_arn: str, role_arn: str) -> Callable[[dict[str, Any], str], dict[str, Any]]:
    def convert(raw: dict[str, Any], shard_id: str) -> dict[str, Any]:
        arrival = raw.get("ApproximateArrivalTimestamp")
        return {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": raw["PartitionKey"],
                "sequenceNumber": raw["SequenceNumber"],
                "data": base64.b64encode(raw["Data"]).decode(),
                "approximateArrivalTimestamp": arrival.timestamp() if isinstance(arrival, datetime.datetime) else arrival,
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{shard_id}:{raw['SequenceNumber']}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": role_arn,
            "awsRegion": ctx.template.region,
            "eventSourceARN": stream_arn,
        }

    return convert


def dynamodb_record(ctx: "CloudContext", stream_arn: str) -> Callable[[dict[str, Any], str], dict[str, Any]]:
    def convert(raw: dict[str, Any], shard_id: str) -> dict[str, Any]:
        record: dict[str, Any] = json.loads(json.dumps(raw, default=_json_default))
        record.setdefault("eventSource", "aws:dynamodb")
        record.setdefault("awsRegion", ctx.template.region)
        record["eventSourceARN"] = stream_arn
        return record

    return convert


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode()
    if isinstance(value, set):
        return sorted(value)
    return str(value)


def lambda_stream_mapping(ctx: "CloudContext", mapping: Resource, source: StreamSource) -> StreamMapping:
    props = ctx.template.resolve(mapping.properties)
    function, _ = ctx.functions.function_for_arn(str(props["FunctionName"]))
    invoked_arn = ctx.functions.function_arn_of(str(props["FunctionName"]))
    report = "ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or [])
    role_arn = function.role.role_arn if function.role else ""
    kinesis = source.kind == "kinesis"

    def deliver(batch: list[dict[str, Any]]) -> Optional[list[str]]:
        try:
            result = ctx.functions.run(function, {"Records": batch}, invoked_arn=invoked_arn)
        except HandlerError:
            return None
        return _failed_ids(result) if report else []

    def item_id(record: dict[str, Any]) -> str:
        return str(record["kinesis"]["sequenceNumber"] if kinesis else record["dynamodb"]["SequenceNumber"])

    on_failure = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    return StreamMapping(
        ctx,
        source,
        deliver=deliver,
        to_record=kinesis_record(ctx, source.stream_arn, role_arn) if kinesis else dynamodb_record(ctx, source.stream_arn),
        item_id=item_id,
        batch_size=int(props.get("BatchSize", 100)),
        max_retries=int(props.get("MaximumRetryAttempts", -1)),
        bisect=str(props.get("BisectBatchOnFunctionError", False)).lower() == "true",
        on_failure=str(on_failure) if on_failure else None,
        filters=list((props.get("FilterCriteria") or {}).get("Filters") or []),
        failure_context=lambda: {"functionArn": invoked_arn},
    )
