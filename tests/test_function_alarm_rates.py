"""The seed 002 alarms of a function: error rate with its invocation guard, cold-start rate, cost anomaly."""

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from cdk_serverless_patterns import FunctionAlarms, FunctionSpec, PatternConfigError, ServerlessFunction, defaults

HANDLER = "tests/fixtures/handler"


@pytest.fixture(scope="module")
def built():
    stack = cdk.Stack(cdk.App(), "A")
    default = ServerlessFunction(stack, "Plain", FunctionSpec(code=HANDLER, handler="app.handler"))
    tuned = ServerlessFunction(
        stack,
        "Tuned",
        FunctionSpec(
            code=HANDLER,
            handler="app.handler",
            memory_size=512,
            alarms=FunctionAlarms(error_rate=0.05, min_invocations=20, cold_starts=True, cold_start_rate=0.2,
                                  cost_anomaly=True, cost_anomaly_std_devs=3),
        ),
    )
    return stack, default, tuned, Template.from_stack(stack).to_json()["Resources"]


def _alarm(resources, prefix):
    [(_, alarm)] = [(k, r) for k, r in resources.items() if k.startswith(prefix) and r["Type"] == "AWS::CloudWatch::Alarm"]
    return alarm["Properties"]


def _expression(props):
    return next(m["Expression"] for m in props["Metrics"] if m.get("ReturnData", True) and "Expression" in m)


def test_error_rate_alarm_is_errors_over_invocations_above_the_guard(built):
    _, _, _, resources = built
    props = _alarm(resources, "PlainErrorRateAlarm")
    assert _expression(props) == f"IF(invocations >= {defaults.FUNCTION_ERROR_RATE_MIN_INVOCATIONS}, 100 * errors / invocations, 0)"
    assert props["Threshold"] == 1 and props["ComparisonOperator"] == "GreaterThanThreshold"
    stats = {m["Id"]: m["MetricStat"]["Metric"]["MetricName"] for m in props["Metrics"] if "MetricStat" in m}
    assert stats == {"errors": "Errors", "invocations": "Invocations"}


def test_count_alarm_only_watches_low_traffic_periods(built):
    _, _, _, resources = built
    assert _expression(_alarm(resources, "PlainErrorsAlarm")) == "IF(invocations < 100, errors, 0)"
    assert _expression(_alarm(resources, "TunedErrorsAlarm")) == "IF(invocations < 20, errors, 0)"
    assert _alarm(resources, "TunedErrorRateAlarm")["Threshold"] == 5


def test_cost_anomaly_alarm_watches_gb_seconds_per_invocation(built):
    _, _, _, resources = built
    props = _alarm(resources, "TunedCostAnomalyAlarm")
    assert props["ComparisonOperator"] == "GreaterThanUpperThreshold"
    assert props["EvaluationPeriods"] == defaults.FUNCTION_COST_ANOMALY_PERIODS
    expressions = [m.get("Expression") for m in props["Metrics"]]
    assert "ANOMALY_DETECTION_BAND(m0, 3)" in expressions and "duration * 512 / 1024000" in expressions


def test_default_alarms_are_the_four_cheap_ones(built):
    _, default, _, resources = built
    assert sorted(a.node.id for a in default.alarms) == ["DurationAlarm", "ErrorRateAlarm", "ErrorsAlarm", "ThrottlesAlarm"]
    assert not [k for k in resources if k.startswith("PlainCostAnomaly")]


def test_cold_start_rate_is_opt_in_and_reads_the_platform_report(built):
    _, default, tuned, resources = built
    filters = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Logs::MetricFilter"]
    assert len(filters) == 1
    assert "initDurationMs > 0" in filters[0]["FilterPattern"] and "restoreDurationMs > 0" in filters[0]["FilterPattern"]
    props = _alarm(resources, "TunedColdStartRateAlarm")
    assert props["Threshold"] == 20 and _expression(props) == "IF(invocations >= 20, 100 * coldstarts / invocations, 0)"
    assert not [k for k in resources if k.startswith("PlainColdStart")]
    levels = {k: r["Properties"]["LoggingConfig"]["SystemLogLevel"] for k, r in resources.items() if r["Type"] == "AWS::Lambda::Function" and "LoggingConfig" in r["Properties"]}
    assert sorted(levels.values()) == ["INFO", "WARN"]
    with pytest.raises(PatternConfigError, match="spec.alarms.cold_starts=False"):
        default.metric_cold_start_rate()


def test_metric_methods_are_what_the_alarms_watch(built):
    stack, _, tuned, _ = built
    alarms = {a.node.id: a for a in tuned.alarms}
    for method, alarm in (("metric_low_traffic_errors", "ErrorsAlarm"), ("metric_error_rate", "ErrorRateAlarm"),
                          ("metric_cold_start_rate", "ColdStartRateAlarm")):
        expected = getattr(tuned, method)().expression
        metrics = stack.resolve(alarms[alarm].node.default_child.metrics)
        assert expected in [m.get("expression") for m in metrics]


@pytest.mark.parametrize(
    "options, field",
    [
        (dict(error_rate=1), "spec.alarms.error_rate=1"),
        (dict(cold_start_rate=10), "spec.alarms.cold_start_rate=10"),
        (dict(min_invocations=0), "spec.alarms.min_invocations=0"),
        (dict(cost_anomaly_std_devs=0), "spec.alarms.cost_anomaly_std_devs=0"),
        (dict(min_invocations=True), "spec.alarms.min_invocations=True"),
        (dict(cold_starts="yes"), "spec.alarms.cold_starts='yes'"),
    ],
)
def test_bad_thresholds_are_config_errors(options, field):
    stack = cdk.Stack(cdk.App(), "V")
    with pytest.raises(PatternConfigError) as err:
        ServerlessFunction(stack, "Fn", FunctionSpec(code=HANDLER, handler="app.handler", alarms=FunctionAlarms(**options)))
    assert field in str(err.value) and "Fix" in str(err.value)


def test_the_cost_command_prices_what_the_alarms_read(built):
    """Each metric an alarm reads is an alarm metric; an anomaly band bills three; the cold-start
    filter publishes one custom metric."""
    from cdk_serverless_patterns.tooling import prices as P
    from cdk_serverless_patterns.tooling.cost import estimate_stack

    stack, _, _, _ = built
    e = estimate_stack("A", Template.from_stack(stack).to_json())
    lines = {x.item: x for x in e.lines if x.service == "CloudWatch"}
    # Plain: errors (2) + error rate (2) + throttles + duration; Tuned: the same + cost anomaly (1 x 3) + cold starts (2)
    assert lines["alarms (standard resolution)"].quantity == 6 + 6 + 3 + 2
    assert lines["custom metrics (log metric filters)"].usd == pytest.approx(P.CLOUDWATCH_CUSTOM_METRIC_MONTH.usd)
    assert not e.not_priced
