"""CurveZMQ transport encryption for local kernels: the policy, and the client side.

Compatible with jupyter_client 8.10 / ipykernel 7.4, which do it this way:

* The *kernel* is the CURVE server on every socket it binds (shell, control, stdin, iopub,
  hb). Its long-term keypair travels in the 0600 connection file as ``curve_publickey`` and
  ``curve_secretkey``, both Z85 text (40 characters each, 32-byte keys).
* A *client* needs only the server's public key (``curve_serverkey``) and a keypair of its
  own. ipykernel installs no ZAP handler, so it accepts any client keypair: jupyter_client
  reuses the file's keypair on its shell/iopub sockets and an ephemeral one on heartbeat.
  We use a fresh ephemeral keypair per socket, so that the server's secret key is never
  loaded into a socket of ours.

What it buys: everything on the wire is encrypted and authenticated, and a peer without
the server's public key (which is only in the private connection file) cannot complete
the handshake, so it gets nothing at all: not a reply, not an iopub message.

A kernelspec opts in with ``metadata.supported_encryption`` containing ``"curve"`` (as
ipykernel's python3 spec does). The ``encryption`` setting decides what the bridge does:
``auto`` (provision keys when the spec supports them), ``off`` (never provision), or
``required`` (refuse kernels and connection files without them).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

from bridge.errors import ConnectionFileError, KernelStartFailed

if TYPE_CHECKING:  # the settings import this module at start-up, before any kernel code
    import zmq

    from bridge.kernels.connection_info import ConnectionInfo
    from bridge.kernels.launch import KernelSpecInfo

log = logging.getLogger(__name__)

Policy = Literal["auto", "off", "required"]
POLICIES: tuple[Policy, ...] = ("auto", "off", "required")
DEFAULT_POLICY: Policy = "auto"


def curve_available() -> bool:
    """Whether this pyzmq's libzmq was built with CURVE (libsodium or tweetnacl)."""
    import zmq

    return bool(zmq.has("curve"))


def spec_supports_curve(spec: KernelSpecInfo) -> bool:
    """``metadata.supported_encryption`` names ``curve`` (a string or a list, any case),
    normalised exactly as jupyter_client's ``_kernel_supports_curve_encryption``."""
    declared: Any = spec.metadata.get("supported_encryption")
    if isinstance(declared, str):
        return declared.strip().lower() == "curve"
    if isinstance(declared, (list, tuple, set)):
        return "curve" in {str(item).strip().lower() for item in declared}
    return False


def curve_for_start(policy: str, spec: KernelSpecInfo) -> bool:
    """Whether a kernel started from ``spec`` gets Curve keys; raises KernelStartFailed
    (-32010) when ``policy`` is ``required`` and that cannot be done, so no kernel runs
    unencrypted against the user's wish."""
    if policy == "off":
        return False
    supported = spec_supports_curve(spec)
    where = f"{spec.resource_dir}/kernel.json" if spec.resource_dir else "its kernel.json"
    if policy == "required":
        if not supported:
            raise KernelStartFailed(
                f"kernel {spec.name!r} cannot start: encryption is 'required' but its kernelspec ({where}) "
                "does not declare 'curve' in metadata.supported_encryption; use a kernel that supports "
                "CurveZMQ (ipykernel >= 7.4) or set encryption to 'auto' or 'off'",
                data={"kernelName": spec.name, "encryption": "required"},
            )
        if not curve_available():
            raise KernelStartFailed(
                f"kernel {spec.name!r} cannot start: encryption is 'required' but this pyzmq's libzmq has no "
                "CURVE support (zmq.has('curve') is false); install a pyzmq wheel built with libsodium, or "
                "set encryption to 'auto' or 'off'",
                data={"kernelName": spec.name, "encryption": "required"},
            )
        return True
    if supported and not curve_available():
        log.warning(
            "kernel %r supports CurveZMQ but this pyzmq's libzmq has no CURVE support: starting it unencrypted",
            spec.name,
        )
        return False
    return supported


def check_connect(policy: str, info: ConnectionInfo) -> None:
    """Refuse a connection file the bridge cannot (or, by policy, must not) use.

    Keys present in the file are always honoured, whatever the policy: such a kernel
    accepts nothing but CurveZMQ, so ``off`` only means "do not provision keys"."""
    where = f"connection file {info.path}" if info.path else "connection info"
    if info.encrypted and not curve_available():
        raise ConnectionFileError(
            f"{where} has CurveZMQ keys but this pyzmq's libzmq has no CURVE support (zmq.has('curve') is "
            "false): the kernel accepts only encrypted connections",
            data={"connectionFile": str(info.path) if info.path else None, "encryption": policy},
        )
    if policy == "required" and not info.encrypted:
        raise ConnectionFileError(
            f"{where} has no CurveZMQ keys (curve_publickey, curve_secretkey) and encryption is 'required': "
            "refusing to talk to that kernel in plain text; start it with CurveZMQ (jupyter_client's "
            "transport_encryption) or set encryption to 'auto'",
            data={"connectionFile": str(info.path) if info.path else None, "encryption": "required"},
        )


def secure_client_socket(sock: zmq.Socket[Any], info: ConnectionInfo) -> None:
    """Make ``sock`` a CURVE client of the kernel behind ``info`` (a no-op for a plain
    kernel). Must run before ``connect``: the mechanism is chosen at handshake time."""
    server_key = info.curve_serverkey
    if server_key is None:
        return
    import zmq

    public, secret = zmq.curve_keypair()
    sock.setsockopt(zmq.CURVE_SERVERKEY, server_key)
    sock.setsockopt(zmq.CURVE_PUBLICKEY, public)
    sock.setsockopt(zmq.CURVE_SECRETKEY, secret)
