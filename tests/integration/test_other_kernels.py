"""The bridge makes no ipykernel-only assumptions: the core cases against kernels that
are not ipykernel. xeus-python (a C++ xeus kernel: its own zmq stack, no completion
metadata, ``ename`` in another form) and bash_kernel (no execute_result, a non-standard
``abort`` reply on interrupt); and ipykernel driven with ``interrupt_mode: message``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bridge.client import BridgeClient, RpcError, spawn_bridge
from tests.integration.helpers import during_run, run, stdout_text


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[BridgeClient]:
    specs = {
        "bash": {"argv": ["python", "-m", "bash_kernel", "-f", "{connection_file}"], "language": "bash"},
        "python3-message-interrupt": {
            "argv": ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "language": "python",
            "interrupt_mode": "message",
        },
    }
    for name, spec in specs.items():
        (tmp_path / "kernels" / name).mkdir(parents=True)
        (tmp_path / "kernels" / name / "kernel.json").write_text(json.dumps({"display_name": name, **spec}))
    async with spawn_bridge(env={"JUPYTER_PATH": str(tmp_path)}) as bridge:
        await bridge.initialize(initializationOptions={"completionTimeout": 30})
        yield bridge


async def interrupt_loop(client: BridgeClient, kernel: str, code: str) -> dict[str, object]:
    async def interrupt() -> None:
        await client.request("jupyter/interruptKernel", {"kernelId": kernel})

    reply = await during_run(client, kernel, code, interrupt, settle=0.5)
    assert isinstance(reply, dict)
    return reply


async def test_xeus_python_core_cases(client: BridgeClient) -> None:
    uri = "file:///tmp/xeus.py"
    kernel = await client.request("jupyter/startKernel", {"kernelName": "xpython", "uri": uri})
    assert kernel["implementation"] == "xeus-python"
    reply, outs = await run(client, kernel["kernelId"], "print('from xeus'); 6*7")
    assert reply["status"] == "ok"
    assert stdout_text(outs) == "from xeus\n"
    assert [o["content"]["data"]["text/plain"] for o in outs if o["msgType"] == "execute_result"] == ["42"]
    reply, outs = await run(client, kernel["kernelId"], "1/0")
    assert reply["status"] == "error" and "ZeroDivisionError" in reply["ename"]
    assert [o["msgType"] for o in outs] == ["error"]
    complete = await client.request("jupyter/complete", {"kernelId": kernel["kernelId"], "code": "import o"})
    assert "os" in complete["matches"] and complete["metadata"] == {}
    await client.notify(
        "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": "import o"}}
    )
    items = await client.request(
        "textDocument/completion", {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 8}}
    )
    os_item = next(i for i in items["items"] if i["label"] == "os")
    assert "kind" not in os_item  # no type metadata from this kernel: no guessed kind
    restarted = await client.request("jupyter/restartKernel", {"kernelId": kernel["kernelId"]})
    assert restarted["kernelId"] == kernel["kernelId"]
    reply, _ = await run(client, kernel["kernelId"], "'fresh'")
    assert reply["status"] == "ok" and reply["executionCount"] == 1


async def test_bash_kernel_core_cases(client: BridgeClient) -> None:
    """One bash_kernel for all its cases: it is the slowest of these kernels to start."""
    kernel = (await client.request("jupyter/startKernel", {"kernelName": "bash"}))["kernelId"]
    reply, outs = await run(client, kernel, "echo hello; echo $((6*7))")
    assert reply["status"] == "ok"
    assert stdout_text(outs) == "hello\n42\n"
    reply, outs = await run(client, kernel, "ls /definitely/not/here")
    assert reply["status"] == "error"
    assert "No such file" in stdout_text(outs)
    complete = await client.request("jupyter/complete", {"kernelId": kernel, "code": "ech"})
    assert "echo" in complete["matches"]
    # no variables query for bash and no debugger in bash_kernel: a clear error
    with pytest.raises(RpcError) as info:
        await client.request("jupyter/variables", {"kernelId": kernel})
    assert info.value.code == -32016 and "not supported by this kernel" in info.value.message
    interrupted = await interrupt_loop(client, kernel, "while true; do :; done")
    assert interrupted["status"] in {"abort", "aborted", "error"}
    reply, outs = await run(client, kernel, "echo still here")
    assert stdout_text(outs) == "still here\n"
    await client.request("jupyter/restartKernel", {"kernelId": kernel})
    reply, outs = await run(client, kernel, "echo restarted")
    assert reply["status"] == "ok" and stdout_text(outs) == "restarted\n"


async def test_message_mode_interrupt(client: BridgeClient) -> None:
    kernel = (await client.request("jupyter/startKernel", {"kernelName": "python3-message-interrupt"}))["kernelId"]
    interrupted = await interrupt_loop(client, kernel, "import time\nwhile True: time.sleep(0.01)")
    assert interrupted["status"] == "error" and interrupted["ename"] == "KeyboardInterrupt"
