"""The Jupyter wire protocol with no I/O: build, sign, serialise and parse messages.

Nothing here touches a socket; every function maps bytes and dicts to bytes and dicts,
so each rule of the spec is a unit test over bytes (see docs/architecture.md).
"""

from bridge.wire.errors import BadSignature, MalformedMessage, ReplayedMessage, WireError
from bridge.wire.message import PROTOCOL_VERSION, Message, MessageFactory
from bridge.wire.serialize import DELIMITER, deserialize, serialize
from bridge.wire.signing import ReplayGuard, Signer

__all__ = [
    "DELIMITER",
    "PROTOCOL_VERSION",
    "BadSignature",
    "MalformedMessage",
    "Message",
    "MessageFactory",
    "ReplayGuard",
    "ReplayedMessage",
    "Signer",
    "WireError",
    "deserialize",
    "serialize",
]
