"""HMAC signing and verification of Jupyter messages.

The signature covers the four JSON frames (header, parent_header, metadata, content) in
that order, hex-encoded, keyed by the connection file's ``key`` with its
``signature_scheme`` (``hmac-sha256`` unless the file says otherwise). An empty key means
"unsigned" (the spec allows it); then the signature frame is empty and not checked.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import deque
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

    jupyter_client keeps a digest history too; ours is bounded (the last ``size``
    signatures) so a long-running bridge does not grow without limit. Each is kept as the
    first 16 bytes of the raw digest, not its hex text: a full guard holds 65,536 of them
    per kernel, and 128 bits tell signatures apart as surely as 256 do here (a signature
    is checked against the key before it gets this far).
    """

    def __init__(self, size: int = 65536) -> None:
        self._seen: set[bytes] = set()
        self._ring: deque[bytes] = deque()
        self._size = size

    def check(self, signature: bytes) -> None:
        if not signature:
            return
        try:
            digest = bytes.fromhex(signature.decode("ascii"))[:16]
        except (UnicodeDecodeError, ValueError):
            digest = bytes(signature)  # not hex: keep it whole
        if digest in self._seen:
            raise ReplayedMessage("signature already seen: message replayed")
        if len(self._ring) >= self._size:
            self._seen.discard(self._ring.popleft())
        self._seen.add(digest)
        self._ring.append(digest)
