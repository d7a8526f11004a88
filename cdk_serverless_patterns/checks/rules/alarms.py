"""Rules about CloudWatch alarms."""

from __future__ import annotations

from typing import Iterable

from cdk_serverless_patterns.checks.base import WARNING, Finding, Rule
from cdk_serverless_patterns.checks.graph import TemplateGraph, as_list


def alarm_without_action(graph: TemplateGraph) -> Iterable[Finding]:
    """An alarm notifies someone when it fires."""
    for lid, props in graph.of_type("AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm"):
        if props.get("ActionsEnabled") is False:
            continue  # deliberately muted: the owner turned actions off
        if not as_list(props.get("AlarmActions") or []):
            yield Finding(lid, "Properties/AlarmActions", "no AlarmActions")


RULES = [
    Rule(
        id="SP-ALARM-ACTION",
        severity=WARNING,
        description="CloudWatch alarm without an alarm action: it changes state and nobody is notified.",
        fix=(
            "Pass alarm_topic= to the pattern, or call set_default_alarm_topic(app_or_stack, topic) once; "
            "for a raw alarm, add_alarm_action(SnsAction(topic))."
        ),
        check=alarm_without_action,
    ),
]
