"""Monthly Lambda cost of a synthesized template, arm64 as built vs the same on x86_64.

Prices (the seed documents; us-east-1, no free tier): requests $0.20 per
million; compute $0.0000166667 per GB-second on x86_64 and $0.0000133334 on
arm64. Only Lambda is priced: API Gateway, SQS, DynamoDB and the rest cost the
same whatever the architecture, so they do not change the comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

REQUEST_PRICE_PER_MILLION = 0.20
GB_SECOND_PRICE = {"x86_64": 0.0000166667, "arm64": 0.0000133334}


@dataclass(frozen=True)
class Assumptions:
    """Traffic assumed for every function of a stack."""

    invocations_per_month: int = 1_000_000
    average_duration_ms: float = 120.0


@dataclass(frozen=True)
class StackCost:
    functions: int
    requests_usd: float
    compute_as_built_usd: float
    compute_x86_usd: float

    @property
    def total_as_built_usd(self) -> float:
        return self.requests_usd + self.compute_as_built_usd

    @property
    def total_x86_usd(self) -> float:
        return self.requests_usd + self.compute_x86_usd

    @property
    def saving_pct(self) -> float:
        return 0.0 if not self.total_x86_usd else 100 * (1 - self.total_as_built_usd / self.total_x86_usd)


def lambda_functions(template: Mapping[str, Any]) -> list[tuple[int, str]]:
    """(memory MB, architecture) of every Lambda function in ``template``.

    Lambda's defaults apply where a property is absent (128 MB, x86_64).
    """
    out = []
    for res in (template.get("Resources") or {}).values():
        if res.get("Type") != "AWS::Lambda::Function":
            continue
        props = res.get("Properties") or {}
        memory = props.get("MemorySize", 128)
        arch = (props.get("Architectures") or ["x86_64"])[0]
        out.append((int(memory) if isinstance(memory, (int, str)) else 128, arch))
    return out


def stack_cost(template: Mapping[str, Any], assumptions: Assumptions = Assumptions()) -> StackCost:
    functions = lambda_functions(template)
    seconds = assumptions.invocations_per_month * assumptions.average_duration_ms / 1000
    requests = len(functions) * assumptions.invocations_per_month / 1e6 * REQUEST_PRICE_PER_MILLION
    as_built = sum(seconds * memory / 1024 * GB_SECOND_PRICE[arch] for memory, arch in functions)
    x86 = sum(seconds * memory / 1024 * GB_SECOND_PRICE["x86_64"] for memory, _ in functions)
    return StackCost(len(functions), requests, as_built, x86)
