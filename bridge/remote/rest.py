"""A Jupyter server's REST API (``/api/kernelspecs``, ``/api/kernels``), on trio via httpx.

Every failure becomes a RemoteServerError that names the server and what to check: the
token (401/403), the url or whether it runs (connection refused), its certificate (TLS);
a 404 is a RemoteNotFound for the caller to name what was missing. One short-lived
httpx client per call: no pool to keep alive or close, and calls are rare.
"""

from __future__ import annotations

import logging
import ssl
from typing import Any

from bridge.remote.config import ServerConfig
from bridge.remote.errors import RemoteNotFound, RemoteServerError, missing_dependency

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0
REQUEST_TIMEOUT = 30.0


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
        if status in (401, 403):
            raise token_problem(server, status)
        if status == 404:
            raise RemoteNotFound(f"Jupyter server {server.display} has no {path} (HTTP 404)")
        if status >= 400:
            raise RemoteServerError(
                f"Jupyter server {server.display} answered HTTP {status} to {method} /{path}: {self._reason(response)}"
            )
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise RemoteServerError(
                f"{server.display} answered {method} /{path} with something that is not JSON: is the url a Jupyter server's?"
            ) from None

    def _reason(self, response: Any) -> str:
        try:
            body = response.json()
            text = str(body.get("message") or body.get("reason") or body)
        except (ValueError, AttributeError):
            text = response.text[:300]
        return self.server.redact(text)

    # -- the API ------------------------------------------------------------------

    async def kernelspecs(self) -> list[dict[str, str]]:
        body = await self.call("GET", "api/kernelspecs")
        specs = body.get("kernelspecs", {}) if isinstance(body, dict) else {}
        out = []
        for name, entry in sorted(specs.items()):
            spec = entry.get("spec", {}) if isinstance(entry, dict) else {}
            out.append({"name": name, "displayName": str(spec.get("display_name", name)), "language": str(spec.get("language", ""))})
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
            raise RemoteServerError(f"Jupyter server {self.server.display} has no kernelspec {name!r}") from None
        if not isinstance(model, dict) or not isinstance(model.get("id"), str):
            raise RemoteServerError(f"Jupyter server {self.server.display} answered a kernel start without a kernel id")
        return model

    async def interrupt(self, kernel_id: str) -> None:
        await self.call("POST", f"api/kernels/{kernel_id}/interrupt")

    async def restart(self, kernel_id: str, *, timeout: float) -> dict[str, Any]:
        return dict(await self.call("POST", f"api/kernels/{kernel_id}/restart", timeout=timeout) or {})

    async def delete(self, kernel_id: str) -> None:
        await self.call("DELETE", f"api/kernels/{kernel_id}")
