"""Shared building blocks every pattern is made of, one concept per module.

``function`` (the one place the library makes a Lambda), ``queues`` (work and
failure queues), ``topics``, ``tables``, ``buckets``, ``alarms``, ``logs``,
``waf``, the runtime layer, and the delivery rules the event-driven patterns
share. Patterns never create these resources any other way.
"""
