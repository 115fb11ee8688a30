"""input() and getpass() answered by the editor; interrupts; $/cancelRequest; restart;
dead kernels (SIGKILL, SIGSTOP)."""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator
from typing import Any

import pytest
import trio

from bridge.client import BridgeClient, RpcError, spawn_bridge
from tests.integration.helpers import HANG_GUARD, during_run, kernel_pid, run, stdout_text, wait_dead


@pytest.fixture
async def editor() -> AsyncIterator[BridgeClient]:
    """A bridge whose editor says it can answer jupyter/input."""
    async with spawn_bridge() as client:
        await client.initialize({"experimental": {"jupyterInput": True}})
        yield client


async def start(client: BridgeClient) -> str:
    return (await client.request("jupyter/startKernel", {}))["kernelId"]


async def test_input_is_answered_by_the_editor(editor: BridgeClient) -> None:
    kernel = await start(editor)
    prompts: list[dict[str, Any]] = []

    async def answer(method: str, params: Any) -> Any:
        prompts.append(params)
        return {"value": "Ada"}

    editor.on_request = answer
    msg_id = editor.new_id()
    reply = await editor.request(
        "jupyter/execute",
        {"kernelId": kernel, "code": "name = input('Name: '); print('hi', name)", "runId": "r1"},
        msg_id=msg_id,
    )
    assert reply["status"] == "ok"
    assert prompts == [{"kernelId": kernel, "requestId": msg_id, "runId": "r1", "prompt": "Name: ", "password": False}]
    assert "hi Ada" in stdout_text(editor.outputs(msg_id))


async def test_getpass_asks_for_a_password(editor: BridgeClient) -> None:
    kernel = await start(editor)
    prompts: list[dict[str, Any]] = []

    async def answer(method: str, params: Any) -> Any:
        prompts.append(params)
        return {"value": "s3cret"}

    editor.on_request = answer
    reply, outs = await run(editor, kernel, "import getpass; p = getpass.getpass('Password: '); print(len(p))")
    assert reply["status"] == "ok"
    assert prompts[0]["password"] is True and prompts[0]["prompt"] == "Password: "
    assert stdout_text(outs) == "6\n"


async def test_editor_declining_input_interrupts_the_kernel(editor: BridgeClient) -> None:
    kernel = await start(editor)

    async def decline(method: str, params: Any) -> Any:
        raise RpcError(-32800, "cancelled by the user")

    editor.on_request = decline
    reply, _ = await run(editor, kernel, "input('? ')")
    assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt"
    reply, _ = await run(editor, kernel, "1+1")
    assert reply["status"] == "ok"


async def test_without_stdin_input_fails_in_the_kernel_not_the_bridge(bridge: BridgeClient, kernel: str) -> None:
    reply, _ = await run(bridge, kernel, "input()")
    assert reply["status"] == "error" and reply["ename"] == "StdinNotImplementedError"


async def test_interrupt_stops_a_busy_loop(bridge: BridgeClient, kernel: str) -> None:
    async def interrupt() -> None:
        assert await bridge.request("jupyter/interruptKernel", {"kernelId": kernel}) is None

    reply = await during_run(bridge, kernel, "while True: pass", interrupt, settle=0.3)
    assert isinstance(reply, dict) and reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt"
    reply, _ = await run(bridge, kernel, "'alive'")
    assert reply["status"] == "ok"


async def test_interrupt_ends_a_pending_input_and_cancels_the_prompt(editor: BridgeClient) -> None:
    kernel = await start(editor)
    asked = trio.Event()

    async def never_answer(method: str, params: Any) -> Any:
        asked.set()
        await trio.sleep_forever()

    editor.on_request = never_answer
    result: list[dict[str, Any]] = []
    async with trio.open_nursery() as nursery:

        async def ask() -> None:
            reply, _ = await run(editor, kernel, "input('wait: ')")
            result.append(reply)

        nursery.start_soon(ask)
        with trio.fail_after(HANG_GUARD):
            await asked.wait()
        start_index = len(editor.notifications)
        await editor.request("jupyter/interruptKernel", {"kernelId": kernel})
        await editor.wait_for(lambda n: n["method"] == "$/cancelRequest", start_index)
    assert result[0]["status"] == "error" and result[0]["ename"] == "KeyboardInterrupt"


async def test_cancel_request_interrupts_a_running_execute_and_aborts_the_queue(
    bridge: BridgeClient, kernel: str
) -> None:
    results: dict[str, Any] = {}
    running_id = bridge.new_id()
    queued_id = bridge.new_id()

    async def call(name: str, msg_id: int, code: str) -> None:
        results[name] = await bridge.request("jupyter/execute", {"kernelId": kernel, "code": code}, msg_id=msg_id)

    start_index = len(bridge.notifications)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(call, "running", running_id, "import time; time.sleep(60)")
        await bridge.wait_for(
            lambda n: n["method"] == "jupyter/status" and n["params"]["executionState"] == "busy", start_index
        )
        nursery.start_soon(call, "queued", queued_id, "print('must not run')")
        await trio.sleep(0.3)
        await bridge.notify("$/cancelRequest", {"id": running_id})
    assert results["running"]["status"] == "error" and results["running"]["ename"] == "KeyboardInterrupt"
    assert results["queued"]["status"] == "aborted"
    assert bridge.outputs(queued_id) == []


async def test_cancelling_a_queued_execute_interrupts_it_when_it_starts(bridge: BridgeClient, kernel: str) -> None:
    results: dict[str, Any] = {}
    first_id, second_id = bridge.new_id(), bridge.new_id()

    async def call(name: str, msg_id: int, code: str) -> None:
        try:
            results[name] = await bridge.request("jupyter/execute", {"kernelId": kernel, "code": code}, msg_id=msg_id)
        except RpcError as exc:
            results[name] = exc

    with trio.fail_after(HANG_GUARD):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(call, "first", first_id, "import time; time.sleep(1); 'done'")
            await trio.sleep(0.2)
            nursery.start_soon(call, "second", second_id, "import time\nwhile True: time.sleep(0.01)")
            await trio.sleep(0.2)
            await bridge.notify("$/cancelRequest", {"id": second_id})
    assert results["first"]["status"] == "ok"
    second = results["second"]
    if isinstance(second, RpcError):
        # the SIGINT landed in ipykernel's dispatch code, which then drops the request
        # without a reply: the bridge answers it as cancelled once the kernel is idle
        assert second.code == -32800 and "before it ran the code" in second.message
    else:
        assert second["status"] == "error" and second["ename"] == "KeyboardInterrupt"
    assert (await bridge.request("jupyter/execute", {"kernelId": kernel, "code": "1+1"}))["status"] == "ok"


async def test_restart_keeps_the_id_and_forgets_the_state(bridge: BridgeClient, kernel: str) -> None:
    old_pid = await kernel_pid(bridge, kernel)
    await run(bridge, kernel, "x = 42")
    start_index = len(bridge.notifications)
    result = await bridge.request("jupyter/restartKernel", {"kernelId": kernel})
    assert result["kernelId"] == kernel
    states = [
        n["params"]["executionState"] for n in bridge.notifications[start_index:] if n["method"] == "jupyter/status"
    ]
    assert states[0] == "restarting" and "starting" in states and states[-1] == "idle"
    assert "dead" not in states
    assert await wait_dead(old_pid, 10)
    reply, _ = await run(bridge, kernel, "x")
    assert reply["status"] == "error" and reply["ename"] == "NameError"
    assert await kernel_pid(bridge, kernel) != old_pid


async def test_restart_fails_pending_requests_clearly(bridge: BridgeClient, kernel: str) -> None:
    async def restart() -> None:
        await bridge.request("jupyter/restartKernel", {"kernelId": kernel})

    error = await during_run(bridge, kernel, "import time; time.sleep(60)", restart)
    assert isinstance(error, RpcError) and error.code == -32015 and "restarting" in error.message


async def test_sigkill_of_the_kernel_reports_dead_and_restart_revives_it(bridge: BridgeClient, kernel: str) -> None:
    pid = await kernel_pid(bridge, kernel)
    start_index = len(bridge.notifications)

    async def kill() -> None:
        os.kill(pid, signal.SIGKILL)

    error = await during_run(bridge, kernel, "import time; time.sleep(60)", kill)
    dead = await bridge.wait_for(
        lambda n: n["method"] == "jupyter/status" and n["params"]["executionState"] == "dead", start_index
    )
    assert dead["params"]["exitCode"] == -9
    assert isinstance(error, RpcError) and error.code == -32011 and "exit code -9" in error.message
    await bridge.request("jupyter/restartKernel", {"kernelId": kernel})
    reply, _ = await run(bridge, kernel, "1+1")
    assert reply["status"] == "ok"


async def test_a_stopped_kernel_is_noticed_by_heartbeat(bridge: BridgeClient, kernel: str) -> None:
    pid = await kernel_pid(bridge, kernel)
    start_index = len(bridge.notifications)
    os.kill(pid, signal.SIGSTOP)
    try:
        dead = await bridge.wait_for(
            lambda n: n["method"] == "jupyter/status" and n["params"]["executionState"] == "dead", start_index
        )
        assert "heartbeat" in dead["params"]["reason"]
        with pytest.raises(RpcError) as info:
            await bridge.request("jupyter/execute", {"kernelId": kernel, "code": "1"})
        assert info.value.code == -32011
    finally:
        os.kill(pid, signal.SIGCONT)
    await bridge.request("jupyter/restartKernel", {"kernelId": kernel})
    reply, _ = await run(bridge, kernel, "1+1")
    assert reply["status"] == "ok"


async def test_a_request_during_a_restart_gets_the_restarting_error(bridge: BridgeClient, kernel: str) -> None:
    outcome: list[object] = []

    async def restart() -> None:
        await bridge.request("jupyter/restartKernel", {"kernelId": kernel})

    async def during() -> None:
        await bridge.wait_for(
            lambda n: n["method"] == "jupyter/status" and n["params"]["executionState"] == "restarting"
        )
        try:
            outcome.append(await bridge.request("jupyter/execute", {"kernelId": kernel, "code": "1"}))
        except RpcError as exc:
            outcome.append(exc)

    with trio.fail_after(HANG_GUARD):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(restart)
            nursery.start_soon(during)
    (result,) = outcome
    assert isinstance(result, RpcError) and result.code == -32015 and "restarting" in result.message, result
