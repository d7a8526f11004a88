"""The cost model behind the README's cost table."""

from __future__ import annotations

import pytest

from benchmarks.cost import Assumptions, lambda_functions, stack_cost


def template(*functions):
    return {
        "Resources": {
            f"F{i}": {"Type": "AWS::Lambda::Function", "Properties": props} for i, props in enumerate(functions)
        }
        | {"Q": {"Type": "AWS::SQS::Queue", "Properties": {}}}
    }


def test_defaults_apply_when_properties_are_absent():
    assert lambda_functions(template({})) == [(128, "x86_64")]


def test_one_arm64_function_at_1024_mb():
    cost = stack_cost(
        template({"MemorySize": 1024, "Architectures": ["arm64"]}),
        Assumptions(invocations_per_month=1_000_000, average_duration_ms=1000),
    )
    # 1M requests = $0.20; 1M GB-s at $0.0000133334 = $13.3334 (x86: $16.6667)
    assert cost.requests_usd == pytest.approx(0.20)
    assert cost.compute_as_built_usd == pytest.approx(13.3334)
    assert cost.compute_x86_usd == pytest.approx(16.6667)
    assert cost.saving_pct == pytest.approx(100 * (1 - 13.5334 / 16.8667))


def test_x86_functions_save_nothing():
    cost = stack_cost(template({"MemorySize": 256}), Assumptions())
    assert cost.total_as_built_usd == pytest.approx(cost.total_x86_usd)
    assert cost.saving_pct == 0
