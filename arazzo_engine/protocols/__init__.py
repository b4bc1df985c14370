"""Message brokers, by AsyncAPI ``protocol``: one table, one small adapter module per protocol.

Adding a protocol is one module with a ``connect`` coroutine (see `base.Connection`) and one
row below. Adapters import their client library only when a run uses them; a missing library
is a `ConfigurationError` naming the extra to install.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from ..errors import ConfigurationError

__all__ = [
    "ADAPTERS",
    "AdapterInfo",
    "adapter_for",
    "binding_items",
    "load_connect",
    "supported_protocols",
]


@dataclass(frozen=True)
class AdapterInfo:
    """Where the adapter of a protocol lives and what it needs."""

    module: str
    extra: str
    binding_key: str  # the key of this protocol's entry in an AsyncAPI ``bindings`` object
    default_port: int
    secure: bool  # TLS by default


#: AsyncAPI ``protocol`` -> adapter. Only protocols proven against a real broker are listed.
ADAPTERS: Mapping[str, AdapterInfo] = {
    "mqtt": AdapterInfo("arazzo_engine.protocols.mqtt", "mqtt", "mqtt", 1883, False),
    "secure-mqtt": AdapterInfo("arazzo_engine.protocols.mqtt", "mqtt", "mqtt", 8883, True),
    "mqtts": AdapterInfo("arazzo_engine.protocols.mqtt", "mqtt", "mqtt", 8883, True),
    "nats": AdapterInfo("arazzo_engine.protocols.nats", "nats", "nats", 4222, False),
}


def supported_protocols() -> tuple[str, ...]:
    """The AsyncAPI protocols a run can use, sorted."""
    return tuple(sorted(ADAPTERS))


def adapter_for(protocol: str) -> AdapterInfo:
    """The adapter row of ``protocol``; `ConfigurationError` naming the supported ones."""
    info = ADAPTERS.get(protocol.lower())
    if info is None:
        raise ConfigurationError(
            f"protocol {protocol!r} is not supported for message steps "
            f"(supported: {', '.join(supported_protocols())})"
        )
    return info


def load_connect(protocol: str) -> Any:
    """Import the adapter of ``protocol`` and return its ``connect`` coroutine function."""
    info = adapter_for(protocol)
    try:
        module = importlib.import_module(info.module)
    except ModuleNotFoundError as exc:
        raise ConfigurationError(
            f"protocol {protocol!r} needs the client library {exc.name!r}: "
            f"pip install 'arazzo-engine[{info.extra}]'"
        ) from None
    return cast(Any, module).connect


def binding_items(bindings: Mapping[str, Any], protocol: str) -> tuple[tuple[str, Any], ...]:
    """The entries of an AsyncAPI ``bindings`` object that concern ``protocol``, as pairs
    (the shape `Publish.bindings` and `Subscribe.bindings` carry)."""
    info = ADAPTERS.get(protocol.lower())
    key = info.binding_key if info else protocol.lower()
    own = bindings.get(key)
    if not isinstance(own, dict):
        return ()
    return tuple((str(k), v) for k, v in own.items() if k != "bindingVersion")
