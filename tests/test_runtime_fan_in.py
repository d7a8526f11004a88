"""runtime.fan_in / runtime.jobs against moto: exactly one completion per job.

moto evaluates each request in plain Python without a lock, so two threads
could interleave *inside* one moto request, which real DynamoDB never does
(each request on an item is atomic). :class:`SerializedClient` therefore holds
a lock around each single request and releases it between requests: the
interleavings between a worker's read and its conditional transaction, which
is what the fan-in protocol must survive, stay fully concurrent.
"""

from __future__ import annotations

import importlib
import json
import random
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from cdk_serverless_patterns.runtime import env, fan_in, jobs
from cdk_serverless_patterns.runtime.batch import BatchProcessingError
from tests.support import create_moto_table

REGION = "eu-west-1"
TABLE = "fan-in-state"


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        create_moto_table(dynamodb, TABLE, fan_in.PARTITION_KEY, fan_in.SORT_KEY)
        sqs = boto3.client("sqs", region_name=REGION)
        queue_url = sqs.create_queue(QueueName="aggregator")["QueueUrl"]
        monkeypatch.setenv(env.FAN_IN_TABLE, TABLE)
        monkeypatch.setenv(env.AGGREGATOR_QUEUE_URL, queue_url)
        fan_in.set_clients(dynamodb=StrictExpressionsClient(dynamodb), sqs=sqs)
        yield {"dynamodb": dynamodb, "sqs": sqs, "queue_url": queue_url}
        fan_in.set_clients()


class SerializedClient:
    """A DynamoDB client proxy: one request at a time, optional hooks around calls.

    ``after_get(thread_name)`` runs after each GetItem outside the lock (to widen
    or force interleavings), ``before_call(name)`` before each request, in flight but
    outside the lock; counters record what the protocol went through.
    """

    def __init__(self, client, after_get=None, before_transact=None, before_call=None):
        self._client = client
        self._before_call = before_call
        self._lock = threading.Lock()
        self._after_get = after_get
        self._before_transact = before_transact
        self.exceptions = client.exceptions
        self.cancelled = 0
        self.transactions = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._count_lock = threading.Lock()

    def __getattr__(self, name):
        method = getattr(self._client, name)

        def call(**kwargs):
            with self._count_lock:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                if self._before_call:
                    self._before_call(name)
                if name == "transact_write_items" and self._before_transact:
                    self._before_transact(kwargs)
                try:
                    with self._lock:
                        if name == "transact_write_items":
                            self.transactions += 1
                        return method(**kwargs)
                except self._client.exceptions.TransactionCanceledException:
                    with self._count_lock:
                        self.cancelled += 1
                    raise
                finally:
                    if name == "get_item" and self._after_get:
                        self._after_get(threading.current_thread().name)
            finally:
                with self._count_lock:
                    self.in_flight -= 1

        return call


class StrictExpressionsClient:
    """A DynamoDB client proxy that rejects unused expression attributes, as DynamoDB does.

    DynamoDB fails a request (in a transaction: the whole transaction) whose
    ``ExpressionAttributeValues``/``Names`` hold a key none of its expressions
    uses ("Value provided in ExpressionAttributeValues unused in expressions");
    moto does not check this inside ``TransactWriteItems``.
    """

    _EXPRESSIONS = ("UpdateExpression", "ConditionExpression", "ProjectionExpression", "KeyConditionExpression",
                    "FilterExpression")

    def __init__(self, client):
        self._client = client
        self.exceptions = client.exceptions

    @classmethod
    def check(cls, request, operation):
        text = " ".join(request.get(e, "") for e in cls._EXPRESSIONS)
        for kind in ("Values", "Names"):
            for key in request.get(f"ExpressionAttribute{kind}") or {}:
                if not re.search(re.escape(key) + r"(?![A-Za-z0-9_])", text):
                    raise ClientError(
                        {"Error": {"Code": "ValidationException",
                                   "Message": f"Value provided in ExpressionAttribute{kind} unused in expressions: "
                                              f"keys: {{{key}}}"}},
                        operation,
                    )

    def __getattr__(self, name):
        method = getattr(self._client, name)

        def call(**kwargs):
            if name == "transact_write_items":
                for action in kwargs["TransactItems"]:
                    for request in action.values():
                        self.check(request, "TransactWriteItems")
            elif name in ("update_item", "put_item", "delete_item", "query", "get_item"):
                self.check(kwargs, name)
            return method(**kwargs)

        return call


def job_items(dynamodb, job_id):
    items = dynamodb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :j",
        ExpressionAttributeValues={":j": {"S": job_id}},
        ConsistentRead=True,
    )["Items"]
    return sorted(items, key=lambda i: i["sk"]["S"])


def aggregator_messages(aws):
    messages = []
    while True:
        got = aws["sqs"].receive_message(QueueUrl=aws["queue_url"], MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return messages
        messages.extend(json.loads(m["Body"]) for m in got)
        for m in got:
            aws["sqs"].delete_message(QueueUrl=aws["queue_url"], ReceiptHandle=m["ReceiptHandle"])


# --- complete_part: sequential semantics ------------------------------------------


def test_last_missing_part_completes_the_job_once(aws):
    assert fan_in.complete_part("job-1", "a", expected=3, result={"n": 1}) is False
    assert fan_in.complete_part("job-1", "b", expected=3, result={"n": 2}) is False
    assert fan_in.complete_part("job-1", "c", expected=3, result={"n": 3}) is True
    job = fan_in.load_job("job-1")
    assert job.complete and job.completed_by == "c" and job.expected == 3
    assert job.results == {"a": {"n": 1}, "b": {"n": 2}, "c": {"n": 3}}


def test_every_request_uses_all_its_expression_attributes(aws):
    # DynamoDB rejects unused ExpressionAttributeValues: the first part of a
    # multi-part job once carried an unused ':part' and failed on every delivery.
    strict = StrictExpressionsClient(aws["dynamodb"])
    assert [fan_in.complete_part("strict", p, expected=3, client=strict) for p in ("a", "b", "c")] == [False, False, True]
    assert fan_in.complete_part("strict", "a", expected=3, client=strict) is False
    fan_in.notify_aggregator("strict", dynamodb_client=strict)
    assert fan_in.load_job("strict", client=strict).complete


def test_single_part_job_completes_on_its_only_part(aws):
    assert fan_in.complete_part("solo", "only", expected=1, result="done") is True
    assert fan_in.complete_part("solo", "only", expected=1, result="again") is False
    assert fan_in.load_job("solo").results == {"only": "done"}


def test_duplicates_do_not_double_count_or_change_anything(aws):
    dynamodb = aws["dynamodb"]
    assert fan_in.complete_part("dup", "a", expected=2, result={"v": "first"}) is False
    before = job_items(dynamodb, "dup")
    # The same part delivered again (even with a different result) counts once and writes nothing.
    for _ in range(3):
        assert fan_in.complete_part("dup", "a", expected=2, result={"v": "second"}) is False
    assert job_items(dynamodb, "dup") == before
    assert fan_in.load_job("dup").complete is False
    assert fan_in.complete_part("dup", "b", expected=2) is True


def test_out_of_order_parts_complete_whichever_arrives_last(aws):
    for order in (["x", "y", "z"], ["z", "x", "y"], ["y", "z", "x"]):
        job_id = "order-" + "".join(order)
        answers = [fan_in.complete_part(job_id, p, expected=3, result=p.upper()) for p in order]
        assert answers == [False, False, True]
        job = fan_in.load_job(job_id)
        assert job.completed_by == order[-1]
        assert job.results == {"x": "X", "y": "Y", "z": "Z"}


def test_calls_after_completion_return_false_and_write_nothing(aws):
    dynamodb = aws["dynamodb"]
    fan_in.complete_part("done", "a", expected=2)
    assert fan_in.complete_part("done", "b", expected=2) is True
    before = job_items(dynamodb, "done")
    assert fan_in.complete_part("done", "a", expected=2, result="retry") is False
    assert fan_in.complete_part("done", "b", expected=2, result="retry") is False
    assert fan_in.complete_part("done", "c", expected=2, result="stray") is False  # an unknown extra part
    assert job_items(dynamodb, "done") == before


def test_mismatched_expected_count_is_an_error_not_a_silent_recount(aws):
    fan_in.complete_part("mismatch", "a", expected=2)
    with pytest.raises(ValueError, match="expects 2 parts, this call says 3"):
        fan_in.complete_part("mismatch", "b", expected=3)
    assert fan_in.complete_part("mismatch", "b", expected=2) is True


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"job_id": "", "part": "a", "expected": 1}, "job_id must be a non-empty string"),
        ({"job_id": "j", "part": "", "expected": 1}, "part must be a non-empty string"),
        ({"job_id": "j", "part": "a", "expected": 0}, "expected must be an integer 1-1000"),
        ({"job_id": "j", "part": "a", "expected": True}, "expected must be an integer 1-1000"),
        ({"job_id": "j", "part": "a", "expected": 1, "result": object()}, "result must be JSON-serializable"),
        ({"job_id": "j", "part": "a", "expected": 1, "result": "x" * 400_000}, "Store large results in S3"),
    ],
)
def test_invalid_arguments_raise_before_writing(aws, kwargs, message):
    with pytest.raises(ValueError, match=message):
        fan_in.complete_part(**kwargs)
    assert job_items(aws["dynamodb"], kwargs["job_id"] or "j") == []


def test_table_name_comes_from_the_environment_or_the_argument(aws, monkeypatch):
    monkeypatch.delenv(env.FAN_IN_TABLE)
    with pytest.raises(RuntimeError, match="FAN_IN_TABLE_NAME is not set"):
        fan_in.complete_part("j", "a", expected=1)
    assert fan_in.complete_part("j", "a", expected=1, table_name=TABLE) is True


def test_items_carry_ttl_from_the_construct_setting(aws, monkeypatch):
    monkeypatch.setenv(env.FAN_IN_RETENTION, "3600")
    start = int(time.time())
    fan_in.complete_part("ttl", "a", expected=1)
    for item in job_items(aws["dynamodb"], "ttl"):
        assert start + 3600 <= int(item[fan_in.TTL_ATTRIBUTE]["N"]) <= int(time.time()) + 3600


def test_default_retention_outlives_sqs_message_retention():
    from cdk_serverless_patterns import defaults

    assert fan_in.DEFAULT_RETENTION_S == defaults.FAN_IN_JOB_RETENTION.to_seconds()
    assert fan_in.DEFAULT_RETENTION_S > 14 * 24 * 3600


# --- complete_part: concurrency ----------------------------------------------------


def test_stale_read_is_retried_deterministically(aws):
    """Two workers read the empty job at the same moment; both parts must still count."""
    barrier = threading.Barrier(2)
    first_reads: set[str] = set()
    lock = threading.Lock()

    def after_get(thread_name):
        with lock:
            first = thread_name not in first_reads
            first_reads.add(thread_name)
        if first:
            barrier.wait(timeout=10)  # both have read "no parts yet" before either writes

    client = SerializedClient(aws["dynamodb"], after_get=after_get)
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda p: fan_in.complete_part("stale", p, expected=2, client=client), ["a", "b"]))
    assert sorted(answers) == [False, True]
    assert client.cancelled == 1  # the loser's transaction failed its size condition and re-read
    assert fan_in.load_job("stale").results == {"a": None, "b": None}


def test_racing_last_part_and_its_duplicate_have_one_winner(aws):
    fan_in.complete_part("final-race", "a", expected=2)
    barrier = threading.Barrier(2)
    client = SerializedClient(aws["dynamodb"], after_get=lambda _name: barrier.wait(timeout=10))
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda r: fan_in.complete_part("final-race", "b", expected=2, result=r, client=client), [1, 2]))
    assert sorted(answers) == [False, True]
    assert client.cancelled == 1
    assert fan_in.load_job("final-race").results["b"] in (1, 2)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_many_threads_with_duplicates_yield_exactly_one_true(aws, seed):
    """8 threads, 6 parts each delivered 4 times, in random order with random pauses."""
    rng = random.Random(seed)
    parts = [f"part-{i}" for i in range(6)]
    deliveries = [p for p in parts for _ in range(4)]
    rng.shuffle(deliveries)
    pauses = {i: rng.uniform(0, 0.004) for i in range(len(deliveries))}
    client = SerializedClient(aws["dynamodb"], after_get=lambda _name: time.sleep(rng.uniform(0, 0.003)))
    start = threading.Barrier(8)

    def deliver(index_and_part):
        index, part = index_and_part
        if index < 8:
            start.wait(timeout=10)
        time.sleep(pauses[index])
        return part, fan_in.complete_part(f"race-{seed}", part, expected=len(parts), result={"p": part}, client=client)

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(deliver, enumerate(deliveries)))
    winners = [part for part, won in outcomes if won]
    assert len(winners) == 1
    job = fan_in.load_job(f"race-{seed}")
    assert job.complete and job.completed_by == winners[0]
    assert job.results == {p: {"p": p} for p in parts}
    # The race really happened: several calls were in flight at once and some
    # transactions lost a condition check to a concurrent writer.
    assert client.max_in_flight >= 2
    assert client.cancelled >= 1
    assert client.transactions == len(parts) + client.cancelled


def test_transaction_conflicts_are_retried(aws, monkeypatch):
    monkeypatch.setattr(fan_in.time, "sleep", lambda _s: None)
    conflicts = {"left": 2}

    def before_transact(_kwargs):
        if conflicts["left"]:
            conflicts["left"] -= 1
            raise aws["dynamodb"].exceptions.TransactionCanceledException(
                {
                    "Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                    "CancellationReasons": [{"Code": "None"}, {"Code": "TransactionConflict"}],
                },
                "TransactWriteItems",
            )

    client = SerializedClient(aws["dynamodb"], before_transact=before_transact)
    assert fan_in.complete_part("conflict", "a", expected=1, client=client) is True
    assert conflicts["left"] == 0


def test_persistent_conflicts_raise_so_the_message_is_retried(aws, monkeypatch):
    monkeypatch.setattr(fan_in.time, "sleep", lambda _s: None)

    def always_conflict(_kwargs):
        raise aws["dynamodb"].exceptions.TransactionCanceledException(
            {
                "Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                "CancellationReasons": [{"Code": "TransactionConflict"}, {"Code": "None"}],
            },
            "TransactWriteItems",
        )

    client = SerializedClient(aws["dynamodb"], before_transact=always_conflict)
    with pytest.raises(fan_in.FanInError, match="transaction conflicts"):
        fan_in.complete_part("stuck", "a", expected=1, client=client)
    assert job_items(aws["dynamodb"], "stuck") == []


# --- submit_part: triggering the aggregator ---------------------------------------


def test_submit_part_sends_one_aggregator_message(aws):
    assert fan_in.submit_part("s1", "a", expected=2, result=1) is False
    assert aggregator_messages(aws) == []
    assert fan_in.submit_part("s1", "b", expected=2, result=2) is True
    assert fan_in.submit_part("s1", "b", expected=2, result=2) is False  # duplicate of the winner
    assert fan_in.submit_part("s1", "a", expected=2, result=1) is False
    assert aggregator_messages(aws) == [{"job_id": "s1"}]
    assert "notified_at" in job_items(aws["dynamodb"], "s1")[0]


class FailingSqs:
    def __init__(self):
        self.calls = 0

    def send_message(self, **_kwargs):
        self.calls += 1
        raise ClientError({"Error": {"Code": "InternalError", "Message": "boom"}}, "SendMessage")


def test_winner_whose_send_failed_resends_on_redelivery(aws):
    fan_in.submit_part("s2", "a", expected=2)
    failing = FailingSqs()
    with pytest.raises(ClientError):
        fan_in.submit_part("s2", "b", expected=2, sqs_client=failing)
    assert failing.calls == 1 and aggregator_messages(aws) == []
    # Another part's duplicate does not send: only the winner's redelivery does.
    assert fan_in.submit_part("s2", "a", expected=2) is False
    assert aggregator_messages(aws) == []
    assert fan_in.submit_part("s2", "b", expected=2) is False
    assert aggregator_messages(aws) == [{"job_id": "s2"}]
    assert fan_in.submit_part("s2", "b", expected=2) is False
    assert aggregator_messages(aws) == []


def test_aggregator_job_id_parses_and_rejects(aws):
    assert fan_in.aggregator_job_id({"body": '{"job_id": "j-9"}'}) == "j-9"
    for body in ("not json", "[]", '{"job": 1}', '{"job_id": ""}'):
        with pytest.raises(ValueError):
            fan_in.aggregator_job_id({"body": body})


def test_load_job_of_unknown_job_raises(aws):
    with pytest.raises(LookupError, match="not found"):
        fan_in.load_job("never-started")


# --- jobs: start a job, run a part ------------------------------------------------


def test_start_job_publishes_the_documented_shape_through_sns_to_sqs(aws, monkeypatch):
    sns = boto3.client("sns", region_name=REGION)
    topic = sns.create_topic(Name="jobs")["TopicArn"]
    worker_queue = aws["sqs"].create_queue(QueueName="worker")["QueueUrl"]
    worker_arn = aws["sqs"].get_queue_attributes(QueueUrl=worker_queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=worker_arn, Attributes={"RawMessageDelivery": "true"})
    monkeypatch.setenv(env.FAN_OUT_TOPIC_ARN, topic)

    job_id = jobs.start_job({"key": "cat.jpg"}, parts=["thumbnail", "metadata"], attributes={"kind": "image"}, client=sns)
    body = aws["sqs"].receive_message(QueueUrl=worker_queue, MessageAttributeNames=["All"])["Messages"][0]["Body"]
    assert json.loads(body) == {"job_id": job_id, "parts": ["thumbnail", "metadata"], "payload": {"key": "cat.jpg"}}

    monkeypatch.setenv(env.FAN_OUT_WORKER, "thumbnail")
    assert jobs.run_part({"body": body}, lambda job: {"w": job.payload["key"]}) is False
    assert jobs.run_part({"body": body}, lambda job: {"m": 1}, part="metadata") is True
    assert fan_in.load_job(job_id).results == {"thumbnail": {"w": "cat.jpg"}, "metadata": {"m": 1}}
    assert aggregator_messages(aws) == [{"job_id": job_id}]


def test_run_part_skips_jobs_that_do_not_include_the_worker(aws):
    body = jobs.new_job_message({}, parts=["metadata"], job_id="skip").to_json()
    called = []
    assert jobs.run_part({"body": body}, called.append, part="thumbnail") is False
    assert called == [] and job_items(aws["dynamodb"], "skip") == []


@pytest.mark.parametrize(
    "body, message",
    [
        ("nope", "not JSON"),
        ('{"job_id": "j", "parts": "a"}', "must list its parts"),
        ('{"job_id": "j", "parts": []}', "at least one worker"),
        ('{"job_id": "j", "parts": ["a", "a"]}', "unique"),
        ('{"job_id": "j", "parts": ["a/b"]}', "worker names"),
        ('{"job_id": "", "parts": ["a"]}', "job_id must be"),
        ('{"job_id": "j", "parts": ["a"], "payload": 3}', "payload must be an object"),
    ],
)
def test_malformed_job_messages_are_rejected(body, message):
    with pytest.raises(ValueError, match=message):
        jobs.parse_job_message(body)


def test_start_job_rejects_oversized_messages(aws, monkeypatch):
    monkeypatch.setenv(env.FAN_OUT_TOPIC_ARN, "arn:aws:sns:eu-west-1:123456789012:jobs")
    with pytest.raises(ValueError, match="SNS accepts at most"):
        jobs.start_job({"blob": "x" * 300_000}, parts=["a"])


def test_runtime_does_not_import_cdk():
    import subprocess
    import sys

    code = (
        "import sys; import cdk_serverless_patterns.runtime.fan_in, cdk_serverless_patterns.runtime.jobs; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('aws_cdk', 'jsii', 'constructs', 'boto3')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# --- the image_jobs example's handlers, end to end ---------------------------------

EXAMPLE_HANDLERS = Path(__file__).parent.parent / "examples" / "image_jobs" / "handler"
IMAGE = {
    "image_id": "img-42",
    "bucket": "photos",
    "key": "2026/cat.JPG",
    "width": 4032,
    "height": 3024,
    "size_bytes": 2_480_000,
    "content_type": "image/jpeg",
}


@pytest.fixture
def image_handlers(monkeypatch):
    """The example's handler modules, imported the way Lambda does (handler dir on sys.path)."""
    names = ("imaging", "submit", "thumbnail", "metadata", "aggregate")
    saved = {n: sys.modules.pop(n) for n in names if n in sys.modules}
    monkeypatch.syspath_prepend(str(EXAMPLE_HANDLERS))
    modules = {n: importlib.import_module(n) for n in names}
    yield modules
    for n in names:
        sys.modules.pop(n, None)
    sys.modules.update(saved)


def _sqs_event(messages):
    return {"Records": [{"messageId": m["MessageId"], "body": m["Body"]} for m in messages]}


def test_image_job_example_runs_end_to_end(aws, image_handlers, monkeypatch):
    sqs, dynamodb = aws["sqs"], aws["dynamodb"]
    sns = boto3.client("sns", region_name=REGION)
    topic = sns.create_topic(Name="image-jobs")["TopicArn"]
    worker_queues = {}
    for name in ("thumbnail", "metadata"):
        url = sqs.create_queue(QueueName=f"{name}-jobs")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=arn,
            Attributes={"RawMessageDelivery": "true", "FilterPolicy": json.dumps({"content_type": ["image/jpeg", "image/png"]})},
        )
        worker_queues[name] = url
    create_moto_table(dynamodb, "image-records", "pk")
    monkeypatch.setenv(env.FAN_OUT_TOPIC_ARN, topic)
    monkeypatch.setenv("IMAGE_JOB_PARTS", "thumbnail,metadata")
    monkeypatch.setenv("IMAGE_RESULTS_TABLE_NAME", "image-records")

    with pytest.raises(ValueError, match="width must be an integer"):
        image_handlers["submit"].handler({**IMAGE, "width": 0}, None, sns_client=sns)
    job_id = image_handlers["submit"].handler(IMAGE, None, sns_client=sns)["job_id"]
    assert job_id == "image-img-42"

    deliveries = {n: sqs.receive_message(QueueUrl=u, MaxNumberOfMessages=10)["Messages"] for n, u in worker_queues.items()}
    assert all(len(m) == 1 for m in deliveries.values())
    monkeypatch.setenv(env.FAN_OUT_WORKER, "thumbnail")
    assert image_handlers["thumbnail"].handler(_sqs_event(deliveries["thumbnail"]), None) == {"batchItemFailures": []}
    assert aggregator_messages(aws) == []
    monkeypatch.setenv(env.FAN_OUT_WORKER, "metadata")
    # The metadata job is delivered twice (SQS at-least-once): it counts once.
    twice = deliveries["metadata"] * 2
    assert image_handlers["metadata"].handler(_sqs_event(twice), None) == {"batchItemFailures": []}
    trigger = aggregator_messages(aws)
    assert trigger == [{"job_id": job_id}]

    record = {"messageId": "m-1", "body": json.dumps(trigger[0])}
    assert image_handlers["aggregate"].handler({"Records": [record, record]}, None) == {"batchItemFailures": []}
    items = dynamodb.scan(TableName="image-records")["Items"]
    assert len(items) == 1
    combined = json.loads(items[0]["record"]["S"])
    assert combined["source"] == "s3://photos/2026/cat.JPG"
    assert combined["thumbnails"]["128"] == {"key": "thumbnails/img-42/128.jpeg", "width": 128, "height": 96}
    assert combined["thumbnails"]["1024"]["width"] == 1024 and combined["thumbnails"]["1024"]["height"] == 768
    assert combined["metadata"]["aspect_ratio"] == "4:3"
    assert combined["metadata"]["orientation"] == "landscape"
    assert combined["metadata"]["extension_matches_type"] is True
    assert combined["metadata"]["megapixels"] == 12.19


def test_image_workers_report_invalid_jobs_as_batch_item_failures(aws, image_handlers, monkeypatch):
    monkeypatch.setenv(env.FAN_OUT_WORKER, "thumbnail")
    bad = jobs.new_job_message({**IMAGE, "content_type": "text/plain"}, parts=["thumbnail", "metadata"], job_id="bad")
    good = jobs.new_job_message(IMAGE, parts=["thumbnail", "metadata"], job_id="good")
    event = {"Records": [{"messageId": "bad-1", "body": bad.to_json()}, {"messageId": "good-1", "body": good.to_json()}]}
    assert image_handlers["thumbnail"].handler(event, None) == {"batchItemFailures": [{"itemIdentifier": "bad-1"}]}
    assert job_items(aws["dynamodb"], "bad") == []
    assert set(fan_in.load_job("good").results) == {"thumbnail"}


def test_image_aggregator_refuses_incomplete_jobs(aws, image_handlers):
    fan_in.complete_part("half", "thumbnail", expected=2, result={"source": "s3://b/k", "thumbnails": []})
    # the only record failed: the whole invocation fails (Errors alarm), Lambda retries it
    with pytest.raises(BatchProcessingError, match="all 1 records") as failed:
        image_handlers["aggregate"].handler({"Records": [{"messageId": "h", "body": '{"job_id": "half"}'}]}, None)
    assert failed.value.failures == [{"itemIdentifier": "h"}]
