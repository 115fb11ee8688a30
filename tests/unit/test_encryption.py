"""The encryption policy and the Curve fields of connection files, without kernels."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path
from typing import Any

import pytest
import zmq

from bridge.errors import CONNECTION_FILE_ERROR, KERNEL_START_FAILED, ConnectionFileError, KernelStartFailed
from bridge.kernels import encryption
from bridge.kernels.connection_info import ConnectionInfo, new_connection_file
from bridge.kernels.encryption import check_connect, curve_for_start, secure_client_socket, spec_supports_curve
from bridge.kernels.launch import KernelSpecInfo
from bridge.server.context import Settings

PORTS = {f"{c}_port": 5000 + i for i, c in enumerate(("shell", "iopub", "stdin", "control", "hb"))}


def spec(metadata: dict[str, Any]) -> KernelSpecInfo:
    return KernelSpecInfo("k", "K", "python", ["python"], {}, "signal", "/specs/k", metadata)


def info(**extra: Any) -> ConnectionInfo:
    return ConnectionInfo.from_dict({**PORTS, "key": "k", **extra}, Path("/run/kernel-1.json"))


@pytest.mark.parametrize(
    ("declared", "supported"),
    [
        (["curve"], True),
        (["CURVE "], True),
        ("curve", True),
        (("tls", "curve"), True),
        ([], False),
        ("tls", False),
        (None, False),
        (1, False),
    ],
)
def test_supported_encryption_is_read_as_jupyter_client_reads_it(declared: Any, supported: bool) -> None:
    assert spec_supports_curve(spec({"supported_encryption": declared})) is supported


def test_the_policy_for_kernels_the_bridge_starts() -> None:
    curve, plain = spec({"supported_encryption": ["curve"]}), spec({})
    assert curve_for_start("auto", curve) is True
    assert curve_for_start("auto", plain) is False
    assert curve_for_start("off", curve) is False
    assert curve_for_start("required", curve) is True
    with pytest.raises(KernelStartFailed) as refused:
        curve_for_start("required", plain)
    assert refused.value.code == KERNEL_START_FAILED
    assert "'k'" in refused.value.message and "/specs/k/kernel.json" in refused.value.message
    assert refused.value.data == {"kernelName": "k", "encryption": "required"}


def test_without_curve_in_libzmq_auto_falls_back_with_a_log_and_required_refuses(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(encryption, "curve_available", lambda: False)
    curve = spec({"supported_encryption": ["curve"]})
    with caplog.at_level(logging.WARNING, logger="bridge.kernels.encryption"):
        assert curve_for_start("auto", curve) is False
    assert "no CURVE support" in caplog.text
    with pytest.raises(KernelStartFailed, match=r"zmq.has\('curve'\)"):
        curve_for_start("required", curve)
    with pytest.raises(ConnectionFileError, match="no CURVE support"):
        check_connect("auto", info(curve_publickey="x" * 40, curve_secretkey="y" * 40))


def test_connection_files_keys_are_read_and_checked() -> None:
    public, secret = zmq.curve_keypair()
    both = info(curve_publickey=public.decode(), curve_secretkey=secret.decode())
    assert both.encrypted and both.curve_serverkey == public
    assert secret.decode() not in repr(both)
    only_secret = info(curve_secretkey=secret.decode())  # the secret determines the pair
    assert only_secret.curve_serverkey == public
    assert not info().encrypted and not info(curve_publickey=None, curve_secretkey="").encrypted
    for bad in ("short", 7, "~" * 40):
        with pytest.raises(ConnectionFileError, match="curve_publickey"):
            info(curve_publickey=bad)


def test_connecting_honours_keys_whatever_the_policy_and_required_needs_them() -> None:
    public, secret = zmq.curve_keypair()
    keyed = info(curve_publickey=public.decode(), curve_secretkey=secret.decode())
    for policy in ("auto", "off", "required"):
        check_connect(policy, keyed)
    check_connect("auto", info())
    with pytest.raises(ConnectionFileError) as refused:
        check_connect("required", info())
    assert refused.value.code == CONNECTION_FILE_ERROR and "/run/kernel-1.json" in refused.value.message


def test_a_fresh_curve_connection_file_is_private_and_in_jupyter_clients_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))
    made = new_connection_file("python3", curve=True)
    assert made.path is not None and stat.S_IMODE(made.path.stat().st_mode) == 0o600
    data = json.loads(made.path.read_text())
    assert zmq.curve_public(data["curve_secretkey"].encode()) == data["curve_publickey"].encode()
    from jupyter_client.connect import ConnectionFileMixin

    loaded = ConnectionFileMixin(connection_file=str(made.path))
    loaded.load_connection_file()
    assert loaded.curve_publickey == made.curve_publickey and loaded.curve_secretkey == made.curve_secretkey
    assert "curve_publickey" not in json.loads(new_connection_file("python3").path.read_text())  # type: ignore[union-attr]


class _RecordingSocket:
    def __init__(self) -> None:
        self.options: dict[int, Any] = {}

    def setsockopt(self, option: int, value: Any) -> None:
        self.options[option] = value


def test_client_sockets_get_the_servers_key_and_a_keypair_of_their_own() -> None:
    public, secret = zmq.curve_keypair()
    sock = _RecordingSocket()
    secure_client_socket(sock, info(curve_publickey=public.decode(), curve_secretkey=secret.decode()))  # type: ignore[arg-type]
    assert sock.options[zmq.CURVE_SERVERKEY] == public
    own_public, own_secret = sock.options[zmq.CURVE_PUBLICKEY], sock.options[zmq.CURVE_SECRETKEY]
    assert own_public != public and zmq.curve_public(own_secret) == own_public  # never the kernel's keypair
    plain = _RecordingSocket()
    secure_client_socket(plain, info())  # type: ignore[arg-type]
    assert plain.options == {}
    ctx = zmq.Context()
    real = ctx.socket(zmq.DEALER)
    try:
        secure_client_socket(real, info(curve_publickey=public.decode()))
        assert real.getsockopt(zmq.MECHANISM) == zmq.CURVE
    finally:
        real.close(0)
        ctx.term()


def test_settings_take_encryption_from_initialization_options_and_keep_it_on_a_typo(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(encryption="required")
    settings.update({"encryption": "auto"})
    assert settings.encryption == "auto"
    settings.update({"encryption": "required"})
    with caplog.at_level(logging.WARNING):
        settings.update({"encryption": "requierd"})
    assert settings.encryption == "required" and "requierd" in caplog.text
    settings.update({"transport": "ipc"})
    assert settings.encryption == "required"
