"""The estimate's data: priced lines, a stack's estimate, and the :class:`Pricer` the service
modules add lines through."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from . import prices as P
from .graph import ResourceGraph
from .traffic import Profile, Traffic


@dataclass(frozen=True)
class CostLine:
    """One priced item: USD per month for ``quantity`` ``unit``."""

    service: str
    item: str
    quantity: float
    unit: str
    usd: float
    fixed: bool


@dataclass(frozen=True)
class MemoryChoice:
    """What one function's memory setting costs a month at the profile's duration, and what half and
    double the memory would cost **at the same duration** (Lambda bills GB-seconds, so at a fixed
    duration the cost is linear in memory; in practice more memory brings more CPU and often a
    shorter duration: measure before choosing, see docs/cost.md)."""

    function: str  #: its construct path below the stack
    memory_mb: int
    arch: str
    avg_duration_ms: float
    gb_seconds: float  #: invoke plus INIT (on-demand cold starts)
    usd: float
    half_usd: Optional[float]  #: None when half the memory is below Lambda's 128 MB
    double_usd: Optional[float]  #: None when double is above Lambda's 10,240 MB


@dataclass
class StackEstimate:
    """The monthly estimate of one stack."""

    stack: str
    profile: Profile
    lines: list[CostLine] = field(default_factory=list)
    not_priced: dict[str, list[str]] = field(default_factory=dict)  #: type -> logical ids
    notes: list[str] = field(default_factory=list)
    volumes: list[tuple[str, str, float, float]] = field(default_factory=list)
    """(construct path, type label, monthly units, Lambda invocations) of every resource with traffic."""
    memory: list[MemoryChoice] = field(default_factory=list)
    """Every regional function with invocations: its memory, GB-seconds and the cost at half and double."""
    lambda_compute_x86_usd: float = 0.0  #: the same functions' compute on x86_64
    x86_64_compute_usd: float = 0.0  #: compute of the functions built for x86_64 (Lambda@Edge excluded)

    @property
    def fixed_usd(self) -> float:
        """USD per month at zero requests."""
        return sum(line.usd for line in self.lines if line.fixed)

    @property
    def variable_usd(self) -> float:
        """USD per month the requests add."""
        return sum(line.usd for line in self.lines if not line.fixed)

    @property
    def total_usd(self) -> float:
        """Fixed plus variable."""
        return self.fixed_usd + self.variable_usd

    @property
    def lambda_compute_usd(self) -> float:
        """Lambda compute (GB-seconds) as built, Lambda@Edge excluded."""
        return sum(line.usd for line in self.lines if line.service == "Lambda" and "compute" in line.item)

    @property
    def arm64_saving_usd(self) -> float:
        """What the functions' compute would cost more on x86_64 (Lambda@Edge excluded: x86_64 only)."""
        return max(0.0, self.lambda_compute_x86_usd - self.lambda_compute_usd)

    @property
    def arm64_saving_pct(self) -> float:
        """The saving as a share of what the arm64 functions' compute would cost on x86_64."""
        arm_on_x86 = self.lambda_compute_x86_usd - self.x86_64_compute_usd
        return 100 * self.arm64_saving_usd / arm_on_x86 if arm_on_x86 > 0 else 0.0

    @property
    def arm64_potential_usd(self) -> float:
        """What moving the x86_64 functions (not Lambda@Edge) to arm64 would save on compute."""
        arm, x86 = P.LAMBDA_DURATION_ARM_GB_SECOND.usd, P.LAMBDA_DURATION_X86_GB_SECOND.usd
        return self.x86_64_compute_usd * (1 - arm / x86)

    def drivers(self, n: int = 3) -> list[CostLine]:
        """The ``n`` most expensive lines (of a cent or more)."""
        return sorted((line for line in self.lines if line.usd >= 0.005), key=lambda line: (-line.usd, line.item))[:n]


class Pricer:
    """One stack's graph and traffic, and the estimate the service pricers add lines to."""

    def __init__(self, graph: ResourceGraph, traffic: Traffic) -> None:
        self.g = graph
        self.t = traffic
        self.estimate = StackEstimate(graph.stack, traffic.profile)

    def add(self, service: str, item: str, quantity: float, unit: str, price: P.Price, per: float) -> None:
        """``quantity`` ``unit`` at ``price`` for every ``per`` of them; added to a line of the same
        service, item and unit when there is one (each line is unique)."""
        if quantity <= 0:
            return
        usd = quantity / per * price.usd
        lines = self.estimate.lines
        for i, line in enumerate(lines):
            if (line.service, line.item, line.unit) == (service, item, unit):
                lines[i] = CostLine(service, item, line.quantity + quantity, unit, line.usd + usd, False)
                return
        lines.append(CostLine(service, item, quantity, unit, usd, False))

    def of_type(self, cfn_type: str) -> list[str]:
        """Logical ids of the resources of one CloudFormation type."""
        return [lid for lid in self.g.resources if self.g.type_of(lid) == cfn_type]

    def units(self, lid: str) -> float:
        """The monthly volume at a resource (see :class:`.traffic.Traffic`)."""
        return self.t.units.get(lid, 0.0)

    def setting(self, lid: str, key: str) -> float:
        """A numeric profile setting for a resource."""
        return float(self.t.setting(lid, key))


def short_name(p: Pricer, lid: str) -> str:
    """A resource's construct path below its stack (its logical id when the template has no path)."""
    node = p.g.nodes.get(lid)
    if node is not None:
        return f"{node.group}/{node.name}" if node.group else node.name
    path = str(((p.g.resources.get(lid) or {}).get("Metadata") or {}).get("aws:cdk:path", ""))
    return path.split("/", 1)[1].removesuffix("/Resource") if "/" in path else lid


def number(value: Any, default: float) -> float:
    """A literal number, or ``default`` for a token (a Ref/parameter unknown until deploy)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def memory_and_arch(props: Mapping[str, Any]) -> tuple[int, str]:
    """Memory (MB) and architecture of a function; Lambda's defaults (128 MB, x86_64) when absent
    or only known at deploy time (see :func:`unresolved_sizing`)."""
    architectures = props.get("Architectures")
    arch = architectures[0] if isinstance(architectures, list) and architectures else "x86_64"
    return int(number(props.get("MemorySize"), 128)), arch if arch in ("arm64", "x86_64") else "x86_64"


def unresolved_sizing(props: Mapping[str, Any]) -> list[str]:
    """The sizing properties of a function that are set but only known at deploy time."""
    out = []
    if "MemorySize" in props and not isinstance(props["MemorySize"], (int, float, str)):
        out.append("MemorySize")
    architectures = props.get("Architectures")
    if architectures is not None and not (
        isinstance(architectures, list) and architectures and architectures[0] in ("arm64", "x86_64")
    ):
        out.append("Architectures")
    return out
