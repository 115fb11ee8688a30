"""Errors raised while reading the wire: always the remote peer's fault.

Like wsproto's RemoteProtocolError, these say *who* broke the rules: a kernel (or
something pretending to be one) sent bytes we refuse. The connection layer drops such
messages and logs them at debug level; they never reach the editor.
"""


class WireError(Exception):
    """A multipart message from a kernel that cannot be accepted."""


class MalformedMessage(WireError):
    """Frames missing, JSON that does not parse, or a header without its required keys."""


class BadSignature(WireError):
    """The HMAC does not match: a forged, corrupted or foreign-key message."""


class ReplayedMessage(WireError):
    """A signature seen before: the same signed message delivered twice."""
