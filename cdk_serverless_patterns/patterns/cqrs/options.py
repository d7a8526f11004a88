"""Cqrs options: the projection declaration, option types and the names Cqrs owns."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from cdk_serverless_patterns import defaults
from cdk_serverless_patterns.building_blocks.function import FunctionSpec
from cdk_serverless_patterns.building_blocks.option_types import COMMON, EVENT_BUS, MAPPING, STRING, TABLE


PROJECTION_NAME_RE = re.compile(defaults.PROJECTION_NAME_PATTERN)
API_OPTIONS_SET_BY_CQRS = frozenset(
    {"routes", "auth", "table", "environment", "alarm_topic", "create_alarms", "removal_policy"}
)
OPTION_TYPES = {
    **COMMON,
    "event_store": TABLE,
    "read_model": TABLE,
    "event_bus": EVENT_BUS,
    "event_source": STRING,
    "environment": MAPPING,
    "api_options": MAPPING,
}


@dataclass(frozen=True)
class CqrsProjection:
    """A projection with options; a plain ``FunctionSpec`` means "every event".

    :param handler: the projector function.
    :param event_types: event ``type`` values the projection's rule lets
        through (matched on ``detail-type``). Default: all events of the store.
        Filtering on the bus saves invocations; the projector still advances
        its view version by version, reading the versions it did not receive
        from the event store and applying only these types
        (``runtime.projection.project``).
    """

    handler: FunctionSpec
    event_types: Sequence[str] = ()
