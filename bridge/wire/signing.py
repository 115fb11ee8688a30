"""HMAC signing and verification of Jupyter messages.

The signature covers the four JSON frames (header, parent_header, metadata, content) in
that order, hex-encoded, keyed by the connection file's ``key`` with its
``signature_scheme`` (``hmac-sha256`` unless the file says otherwise). An empty key means
"unsigned" (the spec allows it); then the signature frame is empty and not checked.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import OrderedDict
from collections.abc import Sequence

from bridge.wire.errors import BadSignature, ReplayedMessage

DEFAULT_SCHEME = "hmac-sha256"


class Signer:
    """Signs and verifies the four signed frames with one key and scheme."""

    def __init__(self, key: bytes, scheme: str = DEFAULT_SCHEME) -> None:
        if not scheme.startswith("hmac-"):
            raise ValueError(f"unsupported signature scheme {scheme!r}: expected 'hmac-<digest>'")
        digest_name = scheme[len("hmac-") :]
        try:
            hashlib.new(digest_name)
        except ValueError as exc:
            raise ValueError(f"unsupported signature scheme {scheme!r}: no digest {digest_name!r}") from exc
        self.key = key
        self.scheme = scheme
        self._template = hmac.new(key, digestmod=digest_name) if key else None

    @property
    def enabled(self) -> bool:
        return self._template is not None

    def sign(self, frames: Sequence[bytes]) -> bytes:
        if self._template is None:
            return b""
        mac = self._template.copy()
        for frame in frames:
            mac.update(frame)
        return mac.hexdigest().encode("ascii")

    def verify(self, signature: bytes, frames: Sequence[bytes]) -> None:
        """Raise BadSignature unless ``signature`` is right; constant-time comparison."""
        if self._template is None:
            return
        if not hmac.compare_digest(signature, self.sign(frames)):
            raise BadSignature("message signature does not match the connection key")


class ReplayGuard:
    """Remembers recent signatures so a replayed message is refused.

    jupyter_client keeps a digest history too; ours is bounded (an LRU of ``size``
    signatures) so a long-running bridge does not grow without limit.
    """

    def __init__(self, size: int = 65536) -> None:
        self._seen: OrderedDict[bytes, None] = OrderedDict()
        self._size = size

    def check(self, signature: bytes) -> None:
        if not signature:
            return
        if signature in self._seen:
            raise ReplayedMessage("signature already seen: message replayed")
        self._seen[signature] = None
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
