"""A Jupyter server's REST API (``/api/kernelspecs``, ``/api/kernels``), on trio via httpx.

Every failure becomes a RemoteServerError that names the server and what to check: the
token (401/403), the url or whether it runs (connection refused), its certificate (TLS);
a 404 is a RemoteNotFound for the caller to name what was missing. One short-lived
httpx client per call: no pool to keep alive or close, and calls are rare.

Jupyter Kernel Gateway serves the same paths with differences the messages account for:
a 403 that is not about the token (it refuses ``GET /api/kernels`` unless started with
``list_kernels``, and ``POST /api/kernels`` past ``max_kernels``), told apart from a
refused token by asking for the kernelspecs with the same token; and, like Jupyter
Server 2, an unknown kernelspec answered with HTTP 500, told apart from a failing kernel
by the server's kernelspecs. (It also drops ``env`` keys other than ``KERNEL_*``: not
detectable, documented in docs/remote.md.)
"""

from __future__ import annotations

import logging
import ssl
from typing import Any

from bridge.remote.config import ServerConfig
from bridge.remote.errors import HttpError, RemoteNotFound, RemoteServerError, missing_dependency

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0
REQUEST_TIMEOUT = 30.0
KERNELSPECS = "api/kernelspecs"


def _forbidden_hint(method: str, path: str) -> str:
    if method == "GET" and path == "api/kernels":
        return (
            "; a Kernel Gateway lists its kernels only when started with "
            "--JupyterWebsocketPersonality.list_kernels=True (KG_LIST_KERNELS=True), an Enterprise Gateway "
            "with --EnterpriseGatewayApp.list_kernels=True (EG_LIST_KERNELS=True)"
        )
    if method == "POST" and path == "api/kernels":
        return (
            "; the server may be at its limit of kernels (Kernel Gateway: --KernelGatewayApp.max_kernels) or not allow "
            "this user (Enterprise Gateway takes the user from KERNEL_USERNAME, by default the bridge's login name: "
            "set it in startKernel's env or in the bridge's environment)"
        )
    return ""


def token_problem(server: ServerConfig, status: int) -> RemoteServerError:
    has = "a token" if server.token else "no token"
    return RemoteServerError(
        f"Jupyter server {server.display} refused the request (HTTP {status}): we sent {has}; "
        "check the server's token (server.token, or server.tokenEnv naming an environment variable that holds it)"
    )


def connection_problem(server: ServerConfig, exc: BaseException) -> RemoteServerError:
    text = server.redact(str(exc) or type(exc).__name__)
    if _is_tls(exc):
        return RemoteServerError(
            f"TLS error talking to Jupyter server {server.display}: {text}; check its certificate "
            "(server.caFile for a private CA, or server.verifyTls: false for a self-signed one you trust) "
            "and that the url's scheme (http/https) is the server's"
        )
    return RemoteServerError(
        f"cannot reach Jupyter server {server.display}: {text}; check that it is running and the url (host, port, base path)"
    )


def _is_tls(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, ssl.SSLError) or "SSL" in str(exc) or "CERTIFICATE" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


class ServerClient:
    def __init__(self, server: ServerConfig) -> None:
        self.server = server

    async def call(self, method: str, path: str, *, json: Any = None, timeout: float = REQUEST_TIMEOUT) -> Any:
        """One REST call; the decoded JSON body, or None for an empty one."""
        try:
            import httpx
        except ImportError as exc:
            raise missing_dependency(exc) from None
        server = self.server
        context = server.ssl_context()
        try:
            async with httpx.AsyncClient(
                headers=server.headers(),
                timeout=httpx.Timeout(timeout, connect=CONNECT_TIMEOUT),
                verify=context if context is not None else True,
                trust_env=False,
            ) as client:
                response = await client.request(method, server.api_url(path), json=json)
        except httpx.TimeoutException:
            raise RemoteServerError(
                f"Jupyter server {server.display} did not answer {method} /{path} within {timeout:g} s; check that it is not overloaded"
            ) from None
        except (httpx.TransportError, ssl.SSLError, OSError) as exc:
            raise connection_problem(server, exc) from None
        status = response.status_code
        log.debug("%s %s%s -> %d", method, server.url, path, status)
        if status == 401 or (status == 403 and not await self._token_accepted(path)):
            raise token_problem(server, status)
        if status == 403:
            raise RemoteServerError(
                f"Jupyter server {server.display} accepts the token but refused {method} /{path} "
                f"(HTTP 403: {self._reason(response)}){_forbidden_hint(method, path)}"
            )
        if status == 404:
            raise RemoteNotFound(f"Jupyter server {server.display} has no {path} (HTTP 404)")
        if status >= 400:
            raise HttpError(
                f"Jupyter server {server.display} answered HTTP {status} to {method} /{path}: {self._reason(response)}",
                status=status,
            )
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise RemoteServerError(
                f"{server.display} answered {method} /{path} with something that is not JSON: is the url a Jupyter server's?"
            ) from None

    async def _token_accepted(self, path: str) -> bool:
        """After a 403: does the server take our token for something else? Jupyter Server
        answers 403 to a wrong token, Kernel Gateway 403 to what it does not allow."""
        if path == KERNELSPECS or not self.server.token:
            return False
        try:
            await self.call("GET", KERNELSPECS)
        except RemoteServerError:
            return False
        return True

    def _reason(self, response: Any) -> str:
        """The server's own words: its message, and the last line of a traceback it sent
        (Kernel Gateway says "Unknown server error" and puts the cause there)."""
        try:
            body = response.json()
            text = str(body.get("message") or body.get("reason") or body)
            traceback = body.get("traceback")
            if isinstance(traceback, str) and traceback.strip():
                text += f" ({traceback.strip().splitlines()[-1][:300]})"
        except (ValueError, AttributeError):
            text = response.text[:300]
        return self.server.redact(text)

    # -- the API ------------------------------------------------------------------

    async def kernelspecs(self) -> list[dict[str, str]]:
        body = await self.call("GET", KERNELSPECS)
        specs = body.get("kernelspecs", {}) if isinstance(body, dict) else {}
        out = []
        for name, entry in sorted(specs.items()):
            spec = entry.get("spec", {}) if isinstance(entry, dict) else {}
            out.append(
                {
                    "name": name,
                    "displayName": str(spec.get("display_name", name)),
                    "language": str(spec.get("language", "")),
                }
            )
        return out

    async def kernels(self) -> list[dict[str, Any]]:
        body = await self.call("GET", "api/kernels")
        return [k for k in body if isinstance(k, dict)] if isinstance(body, list) else []

    async def kernel(self, kernel_id: str) -> dict[str, Any]:
        return dict(await self.call("GET", f"api/kernels/{kernel_id}"))

    async def start_kernel(self, name: str, *, env: dict[str, str] | None, timeout: float) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name}
        if env:
            body["env"] = env
        try:
            model = await self.call("POST", "api/kernels", json=body, timeout=timeout)
        except RemoteNotFound:
            raise self._no_kernelspec(name, await self._kernelspec_names()) from None
        except HttpError as exc:
            # Jupyter Server 2 and Kernel Gateway answer an unknown kernelspec with HTTP 500
            known = await self._kernelspec_names() if exc.status >= 500 else None
            if known is not None and name not in known:
                raise self._no_kernelspec(name, known) from None
            raise
        if not isinstance(model, dict) or not isinstance(model.get("id"), str):
            raise RemoteServerError(f"Jupyter server {self.server.display} answered a kernel start without a kernel id")
        return model

    async def _kernelspec_names(self) -> list[str] | None:
        """The server's kernelspec names, or None when it cannot tell."""
        try:
            return [s["name"] for s in await self.kernelspecs()]
        except RemoteServerError:
            return None

    def _no_kernelspec(self, name: str, known: list[str] | None) -> RemoteServerError:
        has = "unknown" if known is None else ", ".join(known) or "none"
        return RemoteServerError(f"Jupyter server {self.server.display} has no kernelspec {name!r} (it has: {has})")

    async def interrupt(self, kernel_id: str) -> None:
        await self.call("POST", f"api/kernels/{kernel_id}/interrupt")

    async def restart(self, kernel_id: str, *, timeout: float) -> dict[str, Any]:
        return dict(await self.call("POST", f"api/kernels/{kernel_id}/restart", timeout=timeout) or {})

    async def delete(self, kernel_id: str) -> None:
        await self.call("DELETE", f"api/kernels/{kernel_id}")
