"""Monthly Lambda cost of a synthesized template, arm64 as built vs the same on x86_64.

The model ships with the package (``python -m cdk_serverless_patterns cost``);
the benchmarks use that same model, so the README's table and the command agree.
"""

from __future__ import annotations

from cdk_serverless_patterns.tooling.cost import (
    GB_SECOND_PRICE,
    REQUEST_PRICE_PER_MILLION,
    Assumptions,
    StackCost,
    lambda_functions,
    stack_cost,
)

__all__ = ["GB_SECOND_PRICE", "REQUEST_PRICE_PER_MILLION", "Assumptions", "StackCost", "lambda_functions", "stack_cost"]
