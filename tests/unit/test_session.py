"""KernelSession's rules over message sequences, with time as a number: no kernel, no I/O."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.kernels.session import (
    DROP_AFTER_IDLE_SECONDS,
    DROP_AFTER_SILENCE_SECONDS,
    IDLE_GRACE_SECONDS,
    Comm,
    Dropped,
    Foreign,
    InputRequested,
    KernelSession,
    LateReply,
    Output,
    Reply,
    ServerReportsDead,
    ServerRestarted,
    Settled,
    StateChanged,
)
from bridge.wire import Message, MessageFactory

KERNEL = MessageFactory(session="kernel", username="kernel")


def from_kernel(msg_type: str, parent: Message | None, content: dict[str, Any] | None = None) -> Message:
    return KERNEL.build(msg_type, content or {}, parent=parent)


def status(parent: Message | None, state: str) -> Message:
    return from_kernel("status", parent, {"execution_state": state})


def idle_session() -> KernelSession:
    session = KernelSession(label="k")
    session.receive("iopub", status(None, "idle"), 0.0)
    return session


def kinds(events: list[Any]) -> list[str]:
    return [type(e).__name__ for e in events]


def test_a_request_runs_outputs_replies_and_settles() -> None:
    s = idle_session()
    req = s.request("shell", "execute_request", {"code": "1"}, now=1.0, settle=True)
    assert kinds(s.receive("iopub", status(req, "busy"), 1.1)) == ["StateChanged", "Started"]
    out = s.receive("iopub", from_kernel("execute_result", req, {"data": {"text/plain": "1"}}), 1.2)
    assert out == [Output(req.msg_id, out[0].msg)]
    assert kinds(s.receive("shell", from_kernel("execute_reply", req, {"status": "ok"}), 1.3)) == ["Reply"]
    assert kinds(s.receive("iopub", status(req, "idle"), 1.4)) == ["StateChanged", "Idle", "Settled"]
    assert s.next_deadline() is None


def test_idle_before_reply_settles_on_the_reply() -> None:
    s = idle_session()
    req = s.request("shell", "execute_request", {}, now=0.0, settle=True)
    s.receive("iopub", status(req, "busy"), 0.1)
    assert kinds(s.receive("iopub", status(req, "idle"), 0.2)) == ["StateChanged", "Idle"]
    assert kinds(s.receive("shell", from_kernel("execute_reply", req), 2.0)) == ["Reply", "Settled"]


def test_a_dropped_idle_settles_after_the_grace() -> None:
    s = idle_session()
    req = s.request("shell", "execute_request", {}, now=0.0, settle=True)
    s.receive("iopub", status(req, "busy"), 0.1)
    s.receive("shell", from_kernel("execute_reply", req), 0.5)
    assert s.next_deadline() == pytest.approx(0.5 + IDLE_GRACE_SECONDS)
    s.receive("iopub", from_kernel("stream", req, {"name": "stdout", "text": "x"}), 0.9)
    assert s.next_deadline() == pytest.approx(0.9 + IDLE_GRACE_SECONDS)
    assert s.tick(1.5) == []
    assert s.tick(0.9 + IDLE_GRACE_SECONDS) == [Settled(req.msg_id)]


def test_a_reply_to_a_later_request_drops_the_earlier_unanswered_ones() -> None:
    s = idle_session()
    first = s.request("shell", "execute_request", {}, now=0.0)
    second = s.request("shell", "execute_request", {}, now=0.0)
    events = s.receive("shell", from_kernel("execute_reply", second), 1.0)
    assert kinds(events) == ["Dropped", "Reply"]
    assert events[0].request_id == first.msg_id and "replied to a later execute_request" in events[0].reason


def test_replies_on_another_channel_say_nothing_about_order() -> None:
    s = idle_session()
    run = s.request("shell", "execute_request", {}, now=0.0)
    interrupt = s.request("control", "interrupt_request", {}, now=0.1)
    assert kinds(s.receive("control", from_kernel("interrupt_reply", interrupt), 0.2)) == ["Reply"]
    assert kinds(s.receive("shell", from_kernel("execute_reply", run), 0.3)) == ["Reply"]


def test_under_a_backlog_replies_trailing_idle_by_seconds_are_not_dropped() -> None:
    """2,000 queued executes: ipykernel's idles run ahead of its shell replies by seconds."""
    s = idle_session()
    reqs = [s.request("shell", "execute_request", {}, now=0.0) for _ in range(50)]
    t = 0.0
    for req in reqs:  # iopub of every request arrives first…
        t += 0.01
        s.receive("iopub", status(req, "busy"), t)
        s.receive("iopub", status(req, "idle"), t)
    t += 0.5
    for req in reqs:  # …and the replies trail by far more than any grace
        t += 0.5
        assert s.tick(t) == []
        assert kinds(s.receive("shell", from_kernel("execute_reply", req), t)) == ["Reply"]
        s.forget(req.msg_id)
    assert s.next_deadline() is None


def test_the_last_request_idle_without_reply_is_dropped_after_a_bound() -> None:
    """ipykernel's "KeyboardInterrupt caught in kernel": busy, idle, and no reply ever."""
    s = idle_session()
    req = s.request("shell", "execute_request", {}, now=0.0)
    s.receive("iopub", status(req, "busy"), 0.1)
    s.receive("iopub", status(req, "idle"), 0.2)
    assert s.next_deadline() == pytest.approx(0.2 + DROP_AFTER_IDLE_SECONDS)
    assert s.tick(0.2 + DROP_AFTER_IDLE_SECONDS - 0.01) == []
    events = s.tick(0.2 + DROP_AFTER_IDLE_SECONDS)
    assert kinds(events) == ["Dropped"] and "went idle" in events[0].reason


def test_an_idle_request_behind_an_unanswered_one_waits_for_it() -> None:
    s = idle_session()
    first = s.request("shell", "execute_request", {}, now=0.0)
    second = s.request("shell", "execute_request", {}, now=0.0)
    for req in (first, second):
        s.receive("iopub", status(req, "busy"), 0.1)
        s.receive("iopub", status(req, "idle"), 0.2)
    events = s.tick(0.2 + DROP_AFTER_IDLE_SECONDS)
    assert [e.request_id for e in events if isinstance(e, Dropped)] == [first.msg_id]
    (reply,) = s.receive("shell", from_kernel("execute_reply", second), 6.0)
    assert isinstance(reply, Reply) and reply.request_id == second.msg_id


def test_a_running_request_is_never_dropped_by_time() -> None:
    s = idle_session()
    req = s.request("shell", "execute_request", {}, now=0.0)
    s.receive("iopub", status(req, "busy"), 0.1)
    assert s.next_deadline() is None
    assert s.tick(10_000.0) == []


def test_a_busy_kernel_postpones_a_silent_request() -> None:
    s = idle_session()
    s.receive("iopub", status(from_kernel("execute_request", None), "busy"), 0.0)  # another client runs
    req = s.request("shell", "kernel_info_request", {}, now=0.0)
    assert s.next_deadline() is None
    s.receive("iopub", status(from_kernel("execute_request", None), "idle"), 100.0)
    assert s.next_deadline() == pytest.approx(100.0 + DROP_AFTER_SILENCE_SECONDS)
    assert kinds(s.tick(100.0 + DROP_AFTER_SILENCE_SECONDS)) == ["Dropped"]
    assert req.msg_id


def test_probes_are_never_reported_dropped() -> None:
    s = idle_session()
    probe = s.request("shell", "kernel_info_request", {}, now=0.0, expects_reply=False)
    later = s.request("shell", "kernel_info_request", {}, now=2.0, expects_reply=False)
    assert kinds(s.receive("shell", from_kernel("kernel_info_reply", later), 2.1)) == ["Reply"]
    assert s.tick(1000.0) == []
    assert probe.msg_id


def test_a_reply_after_the_drop_is_delivered_late() -> None:
    s = idle_session()
    req = s.request("shell", "execute_request", {}, now=0.0)
    s.receive("iopub", status(req, "busy"), 0.1)
    s.receive("iopub", status(req, "idle"), 0.2)
    s.tick(100.0)
    s.forget(req.msg_id)
    events = s.receive("shell", from_kernel("execute_reply", req), 101.0)
    assert kinds(events) == ["LateReply"] and events[0].request_id == req.msg_id


def test_a_reply_to_a_request_given_up_on_is_late_not_lost() -> None:
    s = idle_session()
    req = s.request("shell", "complete_request", {}, now=0.0)
    s.forget(req.msg_id)  # the caller timed out
    assert isinstance(s.receive("shell", from_kernel("complete_reply", req), 9.0)[0], LateReply)
    assert s.receive("shell", from_kernel("complete_reply", req), 9.1) == []  # delivered once


def test_traffic_of_other_clients_is_foreign_and_comms_are_comms() -> None:
    s = idle_session()
    other = from_kernel("execute_request", None)
    assert kinds(s.receive("iopub", from_kernel("stream", other), 0.0)) == ["Foreign"]
    assert kinds(s.receive("iopub", from_kernel("comm_msg", other), 0.0)) == ["Comm"]
    ours = s.request("shell", "execute_request", {}, now=0.0)
    assert kinds(s.receive("iopub", from_kernel("comm_open", ours), 0.0)) == ["Comm"]
    assert isinstance(s.receive("iopub", from_kernel("stream", None), 0.0)[0], Foreign)
    assert isinstance(s.receive("iopub", from_kernel("comm_close", None), 0.0)[0], Comm)


def test_input_requests_go_to_the_execute_that_asked() -> None:
    s = idle_session()
    req = s.request("shell", "execute_request", {}, now=0.0)
    prompt = from_kernel("input_request", req)
    assert s.receive("stdin", prompt, 0.1) == [InputRequested(req.msg_id, prompt)]
    stray = s.receive("stdin", from_kernel("input_request", None), 0.1)
    assert isinstance(stray[0], InputRequested) and stray[0].request_id is None


def test_what_only_a_server_says() -> None:
    s = idle_session()
    assert s.receive("iopub", status(None, "dead"), 0.0) == [ServerReportsDead()]
    events = s.receive("iopub", status(None, "restarting"), 0.0)
    assert ServerRestarted() in events and StateChanged("restarting") in events


def test_the_iopub_welcome_of_xpub_kernels_is_no_output() -> None:
    s = idle_session()
    assert s.receive("iopub", from_kernel("iopub_welcome", None, {"subscription": ""}), 0.0) == []


def test_state_changes_are_reported_once() -> None:
    s = idle_session()
    assert s.receive("iopub", status(None, "idle"), 0.0) == []
    assert s.receive("iopub", status(None, "busy"), 0.0) == [StateChanged("busy")]


def test_a_4x_kernel_is_adapted_both_ways() -> None:
    s = idle_session()
    probe = s.request("shell", "kernel_info_request", {}, now=0.0, expects_reply=False)
    reply = from_kernel("kernel_info_reply", probe, {"protocol_version": [4, 1], "language": "python"})
    assert kinds(s.receive("shell", reply, 0.1)) == ["Reply"]
    assert s.protocol_v4
    sent = s.request("shell", "complete_request", {"code": "pri", "cursor_pos": 3}, now=0.2)
    assert sent.content["line"] == "pri"  # 4.x's complete_request
    pyout = KERNEL.build("pyout", {"data": {"text/plain": "1"}, "execution_count": 1}, parent=sent)
    (out,) = s.receive("iopub", pyout, 0.3)
    assert isinstance(out, Output) and out.msg.msg_type == "execute_result"


def test_unreadable_messages_are_counted_with_the_first_reason() -> None:
    s = KernelSession(label="k")
    s.reject("shell", "BadSignature: x")
    s.reject("iopub", "MalformedMessage: y")
    assert (s.rejected, s.accepted, s.first_rejection) == (2, 0, "on shell: BadSignature: x")


def test_events_for_unknown_ids_are_harmless() -> None:
    s = idle_session()
    assert s.receive("shell", from_kernel("execute_reply", from_kernel("execute_request", None)), 0.0) == []
    assert s.receive("nowhere", from_kernel("x", None), 0.0) == []
