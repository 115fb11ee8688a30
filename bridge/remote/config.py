"""Which Jupyter server: from request params, or by name from the bridge's settings.

A server is ``{url, token?, tokenEnv?, keepKernels?, caFile?, verifyTls?}``; requests pass one
inline or name one configured in ``initializationOptions.servers``. The token comes from
``token``, else from the environment variable ``tokenEnv``, else from a ``?token=`` in the
url (which is then removed from it). It is never logged nor put in an error message.
"""

from __future__ import annotations

import logging
import os
import re
import ssl
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from bridge.errors import InvalidParams

TOKEN_HEADER = "Authorization"


@dataclass(frozen=True)
class ServerConfig:
    url: str  # base url, ending in "/", no token in it
    token: str | None = field(default=None, repr=False)
    name: str | None = None
    keep_kernels: bool = False  # kernels the bridge started here outlive it
    ca_file: str | None = None
    verify_tls: bool = True

    @property
    def display(self) -> str:
        """How messages name the server: its settings name and url, never the token."""
        return f"{self.name!r} ({self.url})" if self.name else self.url

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "url": self.url}

    def api_url(self, path: str) -> str:
        return self.url + path.lstrip("/")

    def ws_url(self, path: str, **query: str) -> str:
        parts = urlsplit(self.api_url(path))
        scheme = "wss" if parts.scheme == "https" else "ws"
        return urlunsplit((scheme, parts.netloc, parts.path, urlencode(query), ""))

    def headers(self) -> dict[str, str]:
        return {TOKEN_HEADER: f"token {self.token}"} if self.token else {}

    def ssl_context(self) -> ssl.SSLContext | None:
        if not self.url.startswith("https:"):
            return None
        context = ssl.create_default_context(cafile=self.ca_file)
        if not self.verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def redact(self, text: str) -> str:
        """Last line of defence: whatever a library put in ``text``, not the token."""
        if self.token:
            text = text.replace(self.token, "***").replace(quote(self.token, safe=""), "***")
        return text


def resolve_server(value: Any, configured: Any) -> ServerConfig:
    """``value`` is a server name (from ``initializationOptions.servers``), a url, or an
    object; ``configured`` the settings' ``servers`` mapping."""
    servers = configured if isinstance(configured, dict) else {}
    if isinstance(value, str):
        if value.startswith(("http://", "https://")):
            return _from_object({"url": value}, name=None)
        return _named(value, servers, {})
    if isinstance(value, dict):
        name = value.get("name")
        if name is not None and not isinstance(name, str):
            raise InvalidParams("invalid params: server.name: expected a string")
        if name is not None and "url" not in value:
            return _named(name, servers, value)
        return _from_object(value, name=name)
    raise InvalidParams("invalid params: server: expected a server name or an object {url, token?}")


def _named(name: str, servers: dict[str, Any], overrides: dict[str, Any]) -> ServerConfig:
    entry = servers.get(name)
    if not isinstance(entry, dict):
        known = ", ".join(sorted(str(k) for k in servers)) or "none"
        raise InvalidParams(
            f"invalid params: server: no server named {name!r} in initializationOptions.servers (configured: {known})"
        )
    return _from_object({**entry, **{k: v for k, v in overrides.items() if k != "name"}}, name=name)


def _from_object(obj: dict[str, Any], *, name: str | None) -> ServerConfig:
    where = f"server {name!r}" if name else "server"
    url = obj.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise InvalidParams(f"invalid params: {where}.url: expected an http:// or https:// url")
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    url_token = next((v for k, v in query if k == "token"), None)
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    # a pasted ".../lab?token=..." or ".../tree" names the server's base url plus a page
    for page in ("lab/", "tree/", "notebooks/"):
        if path.endswith("/" + page):
            path = path[: -len(page)]
    base = urlunsplit((parts.scheme, parts.netloc, path, "", ""))

    token = obj.get("token")
    token_env = obj.get("tokenEnv")
    for key, value in (("token", token), ("tokenEnv", token_env), ("caFile", obj.get("caFile"))):
        if value is not None and not isinstance(value, str):
            raise InvalidParams(f"invalid params: {where}.{key}: expected a string")
    if token is None and token_env is not None:
        token = os.environ.get(token_env)
        if token is None:
            raise InvalidParams(f"invalid params: {where}.tokenEnv: the environment variable {token_env} is not set")
    if token is None:
        token = url_token
    flags = {}
    for key in ("keepKernels", "verifyTls"):
        value = obj.get(key)
        if value is not None and not isinstance(value, bool):
            raise InvalidParams(f"invalid params: {where}.{key}: expected a boolean")
        flags[key] = value
    return ServerConfig(
        url=base,
        token=token or None,
        name=name,
        keep_kernels=bool(flags["keepKernels"]),
        ca_file=obj.get("caFile"),
        verify_tls=flags["verifyTls"] is not False,
    )


class _RedactTokens(logging.Filter):
    """Takes tokens out of every log line: ``"token": "…"`` in logged JSON-RPC bodies
    (pygls logs ``initialize`` params and messages at debug level), ``token=…`` in urls,
    ``Authorization: token …`` headers."""

    PATTERNS = (
        (re.compile(r"""(['"]token['"]\s*:\s*)(['"])(?:\\.|(?!\2).)*\2"""), r"\1\2***\2"),
        (re.compile(r"([?&]token=)[^&\s'\"]+"), r"\1***"),
        (re.compile(r"(\btoken )[A-Za-z0-9._~+/=-]{8,}"), r"\1***"),
    )

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # a broken log call is not ours to fix here
            return True
        redacted = text
        for pattern, replacement in self.PATTERNS:
            redacted = pattern.sub(replacement, redacted)
        if redacted != text:
            record.msg, record.args = redacted, None
        return True


_REDACTOR = _RedactTokens()


def install_log_redaction() -> None:
    """Put the token filter on every root handler (idempotent): whatever logs, no token
    reaches stderr."""
    for handler in logging.getLogger().handlers:
        if _REDACTOR not in handler.filters:
            handler.addFilter(_REDACTOR)
