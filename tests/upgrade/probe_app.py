"""Upgrade probe: one stack that sets the non-default options of every pattern that
keeps state (tables, buckets, queues, streams, keys, user pools, log groups, buses,
archives), so the upgrade test sees the resources a default example does not make.

The same file is synthesized against each release when its templates are stored
(``scripts/release_templates.py``) and against today's code by the test, so each
probe stack uses only options of the release that introduced them: :func:`build`
those of 0.1.0 (stored with 0.1.0), :func:`build_0_2_0` those added in 0.2.0 (the
HTTP API, FIFO fan-out, Express and durable sagas, hardened stacks: guarded once
0.2.0's templates are stored). :data:`PROBES` maps each release to its probe.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Optional

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_lambda as lambda_

from cdk_serverless_patterns import (
    ApiAuth,
    ApiBackend,
    Cqrs,
    CqrsProjection,
    EdgeSite,
    EventProcessing,
    FanOutFanIn,
    FunctionSpec,
    Saga,
    SagaApproval,
    SagaStep,
    ScheduledJob,
    StreamProcessing,
)

HANDLER_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "handler"
STACK_NAME = "UpgradeProbe"
STACK_NAME_0_2_0 = "UpgradeProbe020"


def _spec(**options: object) -> FunctionSpec:
    return FunctionSpec(code=str(HANDLER_DIR), handler="app.handler", **options)  # type: ignore[arg-type]


def _saga_steps() -> list[SagaStep]:
    return [SagaStep("reserve", action=_spec(), compensation=_spec()), SagaStep("charge", action=_spec())]


def build(app: cdk.App) -> cdk.Stack:
    """The probe stack, in us-east-1 (where EdgeSite's Lambda@Edge functions must live)."""
    stack = cdk.Stack(app, STACK_NAME, env=cdk.Environment(account="111111111111", region="us-east-1"))
    destroy = cdk.RemovalPolicy.DESTROY
    year = logs.RetentionDays.ONE_YEAR

    api = ApiBackend(
        stack,
        "Api",
        routes={"GET /items/{id}": _spec(), "POST /items": _spec()},
        auth=ApiAuth.cognito(),
        table=True,
        removal_policy=destroy,
        stage_name="live",
        log_retention=year,
    )
    EventProcessing(
        stack,
        "Events",
        processor=_spec(environment={"IDEMPOTENCY": "object-key"}),
        prefix="in/",
        suffix=".csv",
        result_table=True,
        buffer=True,
        max_receive_count=5,
        removal_policy=destroy,
        log_retention=year,
    )
    StreamProcessing(
        stack,
        "Stream",
        processor=_spec(),
        encryption_key=kms.Key(stack, "StreamKey", enable_key_rotation=True),
        retention_period=cdk.Duration.hours(48),
        shard_count=2,
        starting_position=lambda_.StartingPosition.TRIM_HORIZON,
        result_table=True,
        removal_policy=destroy,
        log_retention=year,
    )
    FanOutFanIn(
        stack,
        "FanOut",
        workers={"resize": _spec(), "scan": _spec()},
        aggregator=_spec(),
        max_receive_count=4,
        job_retention=cdk.Duration.days(30),
        removal_policy=destroy,
        log_retention=year,
    )
    Saga(
        stack,
        "Saga",
        steps=_saga_steps(),
        approval=SagaApproval(before="charge", timeout=cdk.Duration.hours(1)),
        timeout=cdk.Duration.hours(2),
        log_retention=year,
        removal_policy=destroy,
    )
    Cqrs(
        stack,
        "Cqrs",
        commands={"POST /orders": _spec()},
        queries={"GET /orders/{id}": _spec()},
        projections={"summary": CqrsProjection(_spec(), event_types=["OrderPlaced"])},
        auth=ApiAuth.iam(),
        event_source="probe.orders",
        archive_retention_days=30,
        removal_policy=destroy,
    )
    ScheduledJob(
        stack,
        "Nightly",
        schedule="cron(0 2 * * ? *)",
        job=_spec(environment={"IDEMPOTENCY": "schedule-time"}),
        timezone="Europe/Berlin",
        start_date=datetime(2027, 1, 1, tzinfo=timezone.utc),
        removal_policy=destroy,
        log_retention=year,
    )
    EdgeSite(
        stack,
        "Site",
        api=api,
        default_root_object="index.html",
        price_class=None,
        removal_policy=destroy,
        log_retention=year,
    )
    return stack


def build_0_2_0(app: cdk.App) -> cdk.Stack:
    """The stateful options added in 0.2.0, in a hardened stack (customer managed keys for
    logs, tables and buckets, the AWS Backup plan), in us-east-1."""
    from cdk_serverless_patterns import ApiType, DurableSaga, WorkflowType, enable_hardening

    stack = cdk.Stack(app, STACK_NAME_0_2_0, env=cdk.Environment(account="111111111111", region="us-east-1"))
    enable_hardening(stack)
    destroy = cdk.RemovalPolicy.DESTROY
    items = {"GET /items/{id}": _spec(), "POST /items": _spec()}
    ApiBackend(stack, "HttpApi", routes=items, api_type=ApiType.HTTP, auth=ApiAuth.iam(), table=True, removal_policy=destroy)
    FanOutFanIn(stack, "FifoFanOut", workers={"resize": _spec()}, aggregator=_spec(), fifo=True, removal_policy=destroy)
    Saga(stack, "ExpressSaga", steps=_saga_steps(), workflow_type=WorkflowType.EXPRESS, removal_policy=destroy)
    DurableSaga(
        stack, "DurableSaga", steps=_saga_steps(), retention_period=cdk.Duration.days(7), removal_policy=destroy
    )
    return stack


#: The release whose options a probe uses -> the probe. A release's stored templates hold
#: the probes of it and every earlier release.
PROBES: dict[str, Callable[[cdk.App], cdk.Stack]] = {"0.1.0": build, "0.2.0": build_0_2_0}


def build_all(app: cdk.App, release: Optional[str] = None) -> list[cdk.Stack]:
    """The probes a release accepts (``release`` as ``"0.2.0"``; every probe when None)."""
    def key(version: str) -> tuple[int, ...]:
        return tuple(int(part) for part in version.split("."))

    return [probe(app) for since, probe in PROBES.items() if release is None or key(since) <= key(release)]


if __name__ == "__main__":
    probe_app = cdk.App()
    build_all(probe_app)
    probe_app.synth()
