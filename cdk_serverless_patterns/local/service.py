"""The base of every service module, and the registry that maps CloudFormation resource types to services.

Like moto's backend registry (``moto/backends.py``: a service name -> its
backend), but keyed by what the template holds: a resource type, or a type
prefix ending in ``::`` (``AWS::ApiGateway::``), -> the service that runs it.
A type matched by no service and not inert is reported once at open.
"""

from __future__ import annotations

from typing import ClassVar, Iterator, Optional, Sequence, TypeVar

from .context import CloudContext
from .template import StackTemplate


class Service:
    """One AWS service of the local cloud: owns its resources' provisioning and their delivery.

    A subclass lists the resource types it handles in ``handles`` (matched as
    prefixes, so ``AWS::SQS::Queue`` also covers ``AWS::SQS::QueueInlinePolicy``)
    and, in ``__init__``, registers with its context what it offers the rest of
    the cloud: its sender (``ctx.register_sender``), what it does after AWS
    calls (``ctx.on_call``), calls it answers itself (``ctx.intercept``).
    """

    #: The CloudFormation resource types (or type prefixes) this service runs.
    handles: ClassVar[tuple[str, ...]] = ()

    def __init__(self, ctx: CloudContext) -> None:
        self.ctx = ctx

    def provision(self) -> None:
        """Create this service's resources in moto from the template, when the cloud opens. Default: nothing to create."""

    def close(self) -> None:
        """Undo what the service installed (patches, threads), when the cloud closes. Default: nothing."""


S = TypeVar("S", bound=Service)


class ServiceRegistry:
    """Resource type -> service class; plus the types with nothing to run (control plane, monitoring, policies).

    :param services: the service classes, in the order they provision (a
        service comes after those whose resources its own refer to: tables
        before the functions and mappings that read their streams).
    :param inert: types (or prefixes) with no data-plane behaviour to simulate.
    """

    def __init__(self, services: Sequence[type[Service]], inert: Sequence[str]) -> None:
        self.services = tuple(services)
        self.inert = tuple(inert)
        self._by_type: dict[str, type[Service]] = {}
        for service in self.services:
            for resource_type in service.handles:
                if resource_type in self._by_type:
                    raise ValueError(f"{resource_type} is handled by both {self._by_type[resource_type].__name__} and {service.__name__}")
                self._by_type[resource_type] = service

    def service_for(self, resource_type: str) -> Optional[type[Service]]:
        """The service that runs ``resource_type`` (the longest matching entry), or None."""
        matches = [t for t in self._by_type if resource_type.startswith(t)]
        return self._by_type[max(matches, key=len)] if matches else None

    def unsupported(self, template: StackTemplate) -> dict[str, list[str]]:
        """The template's resources no service runs and that are not inert: type -> logical ids."""
        found: dict[str, list[str]] = {}
        for r in template.resources.values():
            if self.service_for(r.type) is None and not r.type.startswith(self.inert):
                found.setdefault(r.type, []).append(r.logical_id)
        return found

    def start(self, ctx: CloudContext) -> "Services":
        """One instance of every service on ``ctx`` (each registers its senders and call handlers)."""
        return Services(self, [service(ctx) for service in self.services])


class Services:
    """The service instances of one open cloud, looked up by class or by resource type."""

    def __init__(self, registry: ServiceRegistry, instances: Sequence[Service]) -> None:
        self.registry = registry
        self._instances = {type(s): s for s in instances}

    def __iter__(self) -> Iterator[Service]:
        return iter(self._instances.values())

    def get(self, service: type[S]) -> S:
        found = self._instances[service]
        assert isinstance(found, service)
        return found

    def for_type(self, resource_type: str) -> Service:
        service = self.registry.service_for(resource_type)
        if service is None:
            raise LookupError(f"LocalCloud: no service runs {resource_type}")
        return self._instances[service]
