"""What Jupyter Enterprise Gateway expects of a client that starts a kernel.

EG launches kernels on Kubernetes, YARN, Docker or remote hosts, and decides *who* a kernel
belongs to from ``KERNEL_USERNAME`` in the start request's ``env``: its authorization
(``authorized_users``/``unauthorized_users``, which by default refuses ``root``), per-user
limits, and on Kubernetes the kernel pod's name and namespace. Its clients (jupyter_server's
GatewayClient, EG's own) send every ``KERNEL_*`` variable of their environment, the user's
name, and ``KERNEL_LAUNCH_TIMEOUT`` so the gateway waits for a slow pod as long as the client
does. The bridge does the same, and only for Enterprise Gateway (its ``GET /api`` says
``gateway_version``): Kernel Gateway gives a kernel started *with* an ``env`` nothing of its
own environment but ``PATH``, so there the bridge sends only what the editor asked for. (EG
does the same: a kernel started with an ``env`` gets only EG's ``inherited_envs`` of its
environment. That is the price of naming the user, which EG's own clients pay too; its
operators set ``inherited_envs``, and container kernels have their image's environment.)
"""

from __future__ import annotations

import getpass
import math
import os
from collections.abc import Mapping

from bridge.remote.errors import RemoteServerError
from bridge.remote.rest import ServerClient

USERNAME = "KERNEL_USERNAME"
LAUNCH_TIMEOUT = "KERNEL_LAUNCH_TIMEOUT"


async def is_enterprise_gateway(client: ServerClient) -> bool:
    """``GET /api``: Enterprise Gateway adds ``gateway_version`` to jupyter_server's answer.
    A server that does not answer is not one; what is wrong with it, the start will say."""
    try:
        body = await client.call("GET", "api")
    except RemoteServerError:
        return False
    return isinstance(body, dict) and "gateway_version" in body


def login_name() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER (some containers)
        return None


def start_env(
    requested: Mapping[str, str] | None, *, timeout: float, environ: Mapping[str, str] = os.environ
) -> dict[str, str]:
    """The ``env`` of a start request to Enterprise Gateway: the bridge's own ``KERNEL_*``
    variables, ``KERNEL_USERNAME`` (default: the bridge's login name) and
    ``KERNEL_LAUNCH_TIMEOUT`` (default: the start's timeout), under what the editor passed."""
    env = {key: value for key, value in environ.items() if key.startswith("KERNEL_")}
    if USERNAME not in env:
        name = login_name()
        if name:
            env[USERNAME] = name
    env.setdefault(LAUNCH_TIMEOUT, str(max(1, math.ceil(timeout))))
    env.update(requested or {})
    return env
