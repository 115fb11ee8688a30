"""Fuzzing the editor side: one bridge per test, thousands of generated frames over the
same pipe (hypothesis, derandomized: the same cases every run).

Every case is a complete frame (header + body) whose answer docs/protocol.md and
JSON-RPC 2.0 fix in advance: the exact error code and id, a result, or nothing at all
(notifications, responses to unknown ids). After each example a sentinel request must be
answered, and nothing may arrive that no case asked for. Raw garbage without frame
boundaries is a separate test: one -32700 per garbage block, then the next valid request
is answered.

Covered too, since the bridge fixed them (each also has a test in test_editor_edges.py):
JSON nested deeper than Python's recursion limit, bodies in UTF-16/32 or with a BOM,
requests (with an id) to notification methods, method-less objects with scalar params,
strings/objects for list-typed params, requests about documents that were never opened.
Not generated: what lsprotocol's converter reads leniently in LSP params (true, 1.5 or "3"
for an integer, any scalar for a string).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

from bridge.server.framing import frame
from tests.reliability.support import BridgeGone, Editor, bridge, stderr_tail

PARSE, INVALID_REQUEST, NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602
NOT_INITIALIZED, UNKNOWN_KERNEL, CONNECTION_FILE = -32002, -32001, -32014
OK = "ok"  # a result, not an error
ANSWER_WAIT = 10.0  # seconds for an expected answer (a hang guard: answers take milliseconds)

_unique = itertools.count(1)

FUZZ_SETTINGS = settings(
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


@dataclass
class Case:
    """Bytes for the bridge and what must come back for them."""

    data: bytes
    replies: dict[Any, Any] = field(default_factory=dict)  # id -> error code or OK
    null_errors: list[int] = field(default_factory=list)  # codes of id-null errors
    label: str = ""
    resync: bool = False  # a refused header block: the reader skips to the next Content-Length


# -- building blocks -----------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
# ids the spec allows: strings (any, long, with surrogates) and integers (any size)
text_ids = st.text(st.characters(codec=None, categories=["L", "N", "P", "S", "Zs", "Cs", "Cc"]), max_size=60)
int_ids = st.one_of(st.integers(-(10**6), 10**6), st.integers(-(10**300), 10**300))


def unique_id(draw: st.DrawFn) -> Any:
    """A valid id, unique within the test (so every reply can be matched to its case)."""
    n = next(_unique)
    if draw(st.booleans()):
        return f"{draw(text_ids)}#{n}"
    base = draw(int_ids)
    return base * 10_000_000 + n if base >= 0 else base * 10_000_000 - n


def header(length: int, draw: st.DrawFn) -> bytes:
    """A correct header block in one of the forms the base protocol allows."""
    name = draw(st.sampled_from([b"Content-Length", b"content-length", b"CONTENT-LENGTH"]))
    value = draw(st.sampled_from([b"%d", b" %d", b"%d ", b"000%d"])) % length
    extra = draw(st.sampled_from([b"", b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n"]))
    order = draw(st.booleans())
    line = name + b":" + value + b"\r\n"
    return (extra + line if order else line + extra) + b"\r\n"


def framed(body: bytes, draw: st.DrawFn) -> bytes:
    return header(len(body), draw) + body


def _parses(body: bytes) -> bool:
    """Whether ``body`` is JSON as the protocol reads it: UTF-8 (no BOM), then JSON."""
    try:
        json.loads(body.decode("utf-8"))
        return True
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False


def encode(obj: Any) -> bytes:
    # ensure_ascii: lone surrogates travel as \\ud800 escapes (valid JSON, valid UTF-8)
    return json.dumps(obj).encode("utf-8")


# -- cases ---------------------------------------------------------------------------------


@st.composite
def not_json(draw: st.DrawFn) -> Case:
    """Bodies that are not JSON: random bytes, invalid UTF-8, truncated JSON, empty, valid
    JSON in another encoding (UTF-16/32, a BOM), JSON nested past the recursion limit."""
    kind = draw(st.sampled_from(["bytes", "invalid-utf8", "truncated", "empty", "text", "encoding", "deep"]))
    request = {"jsonrpc": "2.0", "id": 1, "method": "jupyter/listKernels", "params": {"x": "é"}}
    if kind == "encoding":
        body = json.dumps(request).encode(
            draw(st.sampled_from(["utf-16-le", "utf-16-be", "utf-16", "utf-32", "utf-8-sig"]))
        )
    elif kind == "deep":
        depth = draw(st.sampled_from([1_200, 5_000, 50_000]))
        inner = draw(st.sampled_from([b"[", b'{"a":']))
        nested = inner * depth + b"1" + (b"]" if inner == b"[" else b"}") * depth
        body = (
            nested
            if draw(st.booleans())
            else b'{"jsonrpc": "2.0", "id": 1, "method": "jupyter/listKernels", "params": {"a": ' + nested + b"}}"
        )
    elif kind == "bytes":
        body = draw(st.binary(min_size=1, max_size=200))
    elif kind == "invalid-utf8":
        good = json.dumps(request, ensure_ascii=False).encode("utf-8")
        at = draw(st.integers(0, len(good)))
        body = (
            good[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"])) + good[at:]
        )
    elif kind == "truncated":
        good = encode(
            {"jsonrpc": "2.0", "id": 1, "method": "jupyter/execute", "params": {"code": "1+1", "kernelId": "k"}}
        )
        body = good[: draw(st.integers(1, len(good) - 1))]
    elif kind == "empty":
        body = b""
    else:
        body = draw(st.text(max_size=50)).encode("utf-8")
    assume(not _parses(body))
    assume(b"content-length" not in body.lower())
    return Case(framed(body, draw), null_errors=[PARSE], label=f"not JSON ({kind})")


@st.composite
def not_a_request(draw: st.DrawFn) -> Case:
    """JSON that is not a request object: scalars, arrays, batches (one -32600, id null)."""
    kind = draw(st.sampled_from(["scalar", "batch", "empty-batch", "array"]))
    if kind == "scalar":
        value: Any = draw(json_scalars)
    elif kind == "batch":
        value = [
            {"jsonrpc": "2.0", "id": draw(st.integers(1, 99)), "method": "jupyter/listKernels"}
            for _ in range(draw(st.integers(1, 3)))
        ]
    elif kind == "empty-batch":
        value = []
    else:
        value = draw(st.lists(json_values, min_size=1, max_size=4))
    return Case(framed(encode(value), draw), null_errors=[INVALID_REQUEST], label=f"not a request ({kind})")


NOTIFICATION_METHODS = [
    "initialized",
    "exit",
    "$/cancelRequest",
    "$/setTrace",
    "textDocument/didOpen",
    "textDocument/didChange",
    "textDocument/didClose",
    "textDocument/didSave",
    "workspace/didChangeConfiguration",
]


@st.composite
def bad_envelope(draw: st.DrawFn) -> Case:
    """Objects that break a JSON-RPC rule: jsonrpc version, id type, method type, no method."""
    msg_id = unique_id(draw)
    kind = draw(
        st.sampled_from(["jsonrpc", "no-jsonrpc", "id-type", "method-type", "no-method", "notification-method"])
    )
    obj: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": "jupyter/listKernels"}
    replies: dict[Any, Any] = {}
    nulls: list[int] = []
    if kind == "jsonrpc":
        obj["jsonrpc"] = draw(json_scalars.filter(lambda v: v != "2.0"))
        replies[msg_id] = INVALID_REQUEST
    elif kind == "no-jsonrpc":
        del obj["jsonrpc"]
        replies[msg_id] = INVALID_REQUEST
    elif kind == "id-type":
        obj["id"] = draw(
            st.one_of(
                st.none(),
                st.booleans(),
                st.floats(allow_nan=False),
                st.lists(json_scalars, max_size=2),
                st.dictionaries(st.text(max_size=3), json_scalars, max_size=2),
            )
        )
        nulls.append(INVALID_REQUEST)
    elif kind == "method-type":
        obj["method"] = draw(
            st.one_of(
                st.integers(),
                st.booleans(),
                st.lists(st.text(max_size=3), max_size=2),
                st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
            )
        )
        replies[msg_id] = INVALID_REQUEST
    elif kind == "notification-method":  # a request (with an id) to a notification: -32600
        obj["method"] = draw(st.sampled_from(NOTIFICATION_METHODS))
        obj["params"] = draw(st.one_of(st.just({}), st.dictionaries(st.text(max_size=4), json_scalars, max_size=2)))
        replies[msg_id] = INVALID_REQUEST
    else:
        del obj["method"]
        if draw(st.booleans()):
            obj["params"] = draw(json_values)
        replies[msg_id] = INVALID_REQUEST
    return Case(framed(encode(obj), draw), replies=replies, null_errors=nulls, label=f"bad envelope ({kind})")


@st.composite
def unknown_method(draw: st.DrawFn) -> Case:
    """Unknown methods: a request gets -32601 with its exact id; a notification nothing."""
    name = draw(
        st.one_of(
            st.text(max_size=30).map(lambda t: "nope/" + t),
            st.sampled_from(
                [
                    "",
                    "rpc.nope",
                    "jupyter/nope",
                    "$/nope",
                    "textDocument/nope",
                    "workspace/nope",
                    "jupyter/",
                    "JUPYTER/EXECUTE",
                ]
            ),
        )
    )
    obj: dict[str, Any] = {"jsonrpc": "2.0", "method": name}
    if draw(st.booleans()):
        obj["params"] = draw(
            st.one_of(
                st.none(),
                st.dictionaries(st.text(max_size=5), json_scalars, max_size=3),
                st.lists(json_scalars, max_size=3),
            )
        )
    if draw(st.booleans()):
        msg_id = unique_id(draw)
        obj["id"] = msg_id
        return Case(framed(encode(obj), draw), replies={msg_id: NOT_FOUND}, label="unknown method request")
    return Case(framed(encode(obj), draw), label="unknown method notification")


# params of the jupyter/ methods: field -> a valid value; wrong values are drawn by type
FIELDS: dict[str, dict[str, Any]] = {
    "jupyter/execute": {
        "kernelId": "k",
        "code": "1+1",
        "silent": False,
        "storeHistory": True,
        "stopOnError": True,
        "userExpressions": {},
        "allowStdin": False,
        "firstLine": 0,
    },
    "jupyter/complete": {"kernelId": "k", "code": "pri", "cursorPos": 3},
    "jupyter/inspect": {"kernelId": "k", "code": "print", "cursorPos": 2, "detailLevel": 0},
    "jupyter/isComplete": {"kernelId": "k", "code": "for i in x:"},
    "jupyter/history": {"kernelId": "k", "histAccessType": "tail", "n": 3, "raw": True, "output": False},
    "jupyter/commInfo": {"kernelId": "k", "targetName": "t"},
    "jupyter/request": {"kernelId": "k", "channel": "shell", "msgType": "kernel_info_request", "content": {}},
    "jupyter/kernelInfo": {"kernelId": "k"},
    "jupyter/interruptKernel": {"kernelId": "k"},
    "jupyter/restartKernel": {"kernelId": "k"},
    "jupyter/shutdownKernel": {"kernelId": "k"},
    "jupyter/commOpen": {"kernelId": "k", "targetName": "t", "data": {}, "metadata": {}, "buffers": []},
    "jupyter/commMsg": {"kernelId": "k", "commId": "c", "data": {}, "buffers": []},
    "jupyter/commClose": {"kernelId": "k", "commId": "c", "data": {}},
    # never with valid params (that would start or attach a kernel): only wrong types
    "jupyter/startKernel": {"kernelName": "python3", "cwd": "/", "env": {"A": "b"}, "startupTimeout": 1.5},
    "jupyter/connectKernel": {"connectionFile": "/nonexistent/kernel-fuzz.json", "startupTimeout": 1.5},
}
NEVER_VALID = {"jupyter/startKernel"}
VALID_ANSWER = {"jupyter/connectKernel": CONNECTION_FILE}  # else -32001 (the kernel "k" does not exist)


def wrong_value(valid: Any) -> st.SearchStrategy[Any]:
    """A JSON value of another type than ``valid``'s (ints are numbers for float fields)."""
    if isinstance(valid, bool):
        return st.one_of(
            st.integers(),
            st.text(max_size=5),
            st.lists(st.integers(), max_size=2),
            st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        )
    if isinstance(valid, int):
        return st.one_of(
            st.booleans(), st.floats(allow_nan=False), st.text(max_size=5), st.lists(st.integers(), max_size=2)
        )
    if isinstance(valid, float):
        return st.one_of(
            st.booleans(),
            st.text(max_size=5),
            st.lists(st.integers(), max_size=2),
            st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        )
    if isinstance(valid, str):
        if valid in {"tail", "shell"}:  # Literal fields: a string outside the choices is wrong too
            return st.one_of(
                st.integers(),
                st.booleans(),
                st.text(max_size=6).filter(lambda s: s not in {"tail", "range", "search", "shell", "control"}),
            )
        return st.one_of(
            st.integers(),
            st.booleans(),
            st.floats(allow_nan=False),
            st.lists(st.text(max_size=3), max_size=2),
            st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
        )
    if isinstance(valid, list):  # list[str]: a string or an object is not a list either
        return st.one_of(
            st.integers(),
            st.booleans(),
            st.text(max_size=5),
            st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
            st.lists(st.integers(), min_size=1, max_size=2),
        )
    if isinstance(valid, dict):
        wrong = st.one_of(st.integers(), st.booleans(), st.text(max_size=5), st.lists(st.integers(), max_size=2))
        if valid and all(isinstance(v, str) for v in valid.values()):  # dict[str, str]
            wrong = wrong | st.dictionaries(st.text(max_size=3), st.integers(), min_size=1, max_size=2)
        return wrong
    raise AssertionError(valid)


@st.composite
def typed_request(draw: st.DrawFn) -> Case:
    """A jupyter/ request whose params are valid but for one wrongly typed field (-32602,
    the message naming the field), or all valid (-32001: no such kernel; -32014)."""
    method = draw(st.sampled_from(sorted(FIELDS)))
    fields = FIELDS[method]
    keep = draw(st.lists(st.sampled_from(sorted(fields)), unique=True))
    params = {k: fields[k] for k in keep}
    required = {"kernelId", "code", "commId", "msgType", "connectionFile"} | (
        {"targetName"} if method == "jupyter/commOpen" else set()
    )
    for k in required & fields.keys():
        params.setdefault(k, fields[k])
    if method in {"jupyter/execute", "jupyter/complete", "jupyter/inspect"}:
        params["kernelId"] = draw(st.text(max_size=10).filter(lambda s: s != ""))  # unknown either way
    msg_id = unique_id(draw)
    wrong = method in NEVER_VALID or draw(st.booleans())
    if wrong:
        name = draw(st.sampled_from(sorted(fields)))
        params[name] = draw(wrong_value(fields[name]))
        expect = INVALID_PARAMS
        label = f"{method} with a wrong {name}"
    else:
        expect = VALID_ANSWER.get(method, UNKNOWN_KERNEL)
        label = f"{method} with valid params"
        name = None
    obj = {"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}
    case = Case(framed(encode(obj), draw), replies={msg_id: expect}, label=label)
    case.field = name  # type: ignore[attr-defined]
    return case


@st.composite
def non_object_params(draw: st.DrawFn) -> Case:
    """params that are neither an object nor an array: -32602 for a request, nothing for a
    notification."""
    method = draw(st.sampled_from(["jupyter/execute", "jupyter/listKernels", "textDocument/hover"]))
    obj: dict[str, Any] = {
        "jsonrpc": "2.0",
        "method": method,
        "params": draw(st.one_of(st.booleans(), st.integers(), st.text(max_size=5), st.floats(allow_nan=False))),
    }
    if draw(st.booleans()):
        obj["id"] = msg_id = unique_id(draw)
        return Case(framed(encode(obj), draw), replies={msg_id: INVALID_PARAMS}, label="scalar params")
    return Case(framed(encode(obj), draw), label="scalar params notification")


@st.composite
def lsp_request(draw: st.DrawFn) -> Case:
    """LSP requests with mistyped params (-32602), and well-typed ones about a document with
    no kernel (an empty completion list; hover and signature help null)."""
    uri = "file:///fuzz/" + draw(st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=8)) + ".py"
    unopened = draw(st.sampled_from(["codeLens", "runCell", None, None, None]))
    if unopened is not None:  # a document that was never opened is never read from disk
        msg_id = unique_id(draw)
        if unopened == "codeLens":
            obj: dict[str, Any] = {
                "jsonrpc": "2.0",
                "id": msg_id,
                "method": "textDocument/codeLens",
                "params": {"textDocument": {"uri": uri}},
            }
            return Case(framed(encode(obj), draw), replies={msg_id: OK}, label="codeLens on a document never opened")
        obj = {
            "jsonrpc": "2.0",
            "id": msg_id,
            "method": "workspace/executeCommand",
            "params": {"command": "jupyter.runCell", "arguments": [uri, 0]},
        }
        return Case(
            framed(encode(obj), draw), replies={msg_id: INVALID_PARAMS}, label="runCell on a document never opened"
        )
    method = draw(st.sampled_from(["textDocument/completion", "textDocument/hover", "textDocument/signatureHelp"]))
    params: dict[str, Any] = {
        "textDocument": {"uri": uri},
        "position": {"line": draw(st.integers(0, 50)), "character": draw(st.integers(0, 50))},
    }
    msg_id = unique_id(draw)
    if draw(st.booleans()):
        what = draw(st.sampled_from(["textDocument", "position", "line", "character"]))
        # (lsprotocol's converter reads true, 1.5 and "3" as integers and any scalar as a
        # string (uri 0 is "0"): lenient by design of cattrs, not generated here)
        bad = draw(
            st.one_of(
                st.none(),
                st.text(st.characters(categories=["L"]), max_size=4),
                st.lists(st.integers(), max_size=2),
                st.integers(-5, -1),
                st.integers(2**31, 2**40),
            )
        )
        if what in {"line", "character"}:
            params["position"][what] = bad
        else:
            params[what] = bad
        expect: Any = INVALID_PARAMS
        label = f"{method} with a bad {what}"
    else:
        expect = OK
        label = f"{method} on a document with no kernel"
    obj = {"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}
    return Case(framed(encode(obj), draw), replies={msg_id: expect}, label=label)


@st.composite
def harmless(draw: st.DrawFn) -> Case:
    """Valid traffic mixed in: requests that succeed, notifications, answers to nothing."""
    kind = draw(st.sampled_from(["listKernels", "cancel", "initialized", "didOpen", "response", "error-response"]))
    if kind == "listKernels":
        msg_id = unique_id(draw)
        obj: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": "jupyter/listKernels"}
        if draw(st.booleans()):  # no params, null, or an object with keys it does not know
            obj["params"] = draw(
                st.one_of(
                    st.none(), st.dictionaries(st.text(max_size=4).map(lambda k: "x-" + k), json_scalars, max_size=3)
                )
            )
        return Case(framed(encode(obj), draw), replies={msg_id: OK}, label="listKernels")
    if kind == "cancel":
        obj = {
            "jsonrpc": "2.0",
            "method": "$/cancelRequest",
            "params": {"id": draw(st.one_of(st.integers(), st.text(max_size=5)))},
        }
    elif kind == "initialized":
        obj = {"jsonrpc": "2.0", "method": "initialized", "params": {}}
    elif kind == "didOpen":
        obj = {
            "jsonrpc": "2.0",
            "method": "textDocument/didOpen",
            "params": {
                "textDocument": {
                    "uri": "file:///fuzz/open-" + str(next(_unique)) + ".py",
                    "languageId": "python",
                    "version": 1,
                    "text": draw(st.text(max_size=80)),
                }
            },
        }
    elif kind == "response":
        obj = {"jsonrpc": "2.0", "id": unique_id(draw), "result": draw(json_values)}
    else:
        obj = {
            "jsonrpc": "2.0",
            "id": unique_id(draw),
            "error": {"code": draw(st.integers(-33000, 0)), "message": draw(st.text(max_size=10))},
        }
    return Case(framed(encode(obj), draw), label=kind)


@st.composite
def bad_header(draw: st.DrawFn) -> Case:
    """A header block we refuse (one -32700, id null), followed by a body that resync skips."""
    body = encode({"jsonrpc": "2.0", "id": unique_id(draw), "method": "jupyter/listKernels"})
    kind = draw(
        st.sampled_from(
            [
                "not-a-number",
                "negative",
                "no-content-length",
                "no-colon",
                "fraction",
                "hex",
                "unicode-digit",
                "empty-value",
            ]
        )
    )
    block = {
        "not-a-number": b"Content-Length: abc\r\n",
        "negative": b"Content-Length: -%d\r\n" % len(body),
        "no-content-length": b"Content-Type: application/json\r\n",
        "no-colon": b"Content-Length %d\r\n" % len(body),
        "fraction": b"Content-Length: %d.0\r\n" % len(body),
        "hex": b"Content-Length: 0x%x\r\n" % len(body),
        "unicode-digit": "Content-Length: ５\r\n".encode(),
        "empty-value": b"Content-Length:\r\n",
    }[kind]
    if b"content-length" in body.lower():
        return draw(bad_header())
    return Case(block + b"\r\n" + body, null_errors=[PARSE], label=f"bad header ({kind})", resync=True)


any_case = st.one_of(
    not_json(),
    not_a_request(),
    bad_envelope(),
    unknown_method(),
    typed_request(),
    non_object_params(),
    lsp_request(),
    harmless(),
    bad_header(),
)


# -- checking ------------------------------------------------------------------------------


def expectations(cases: list[Case]) -> tuple[dict[Any, Any], list[int]]:
    """What must come back for ``cases`` sent back to back: replies by id and the codes of
    id-null errors. After a refused header block the reader skips everything up to the
    next ``Content-Length``: a case without one is skipped whole (framing.py)."""
    replies: dict[Any, Any] = {}
    nulls: list[int] = []
    resyncing = False
    for case in cases:
        note(f"{case.label}: {case.data[:300]!r}")
        if resyncing and b"content-length" not in case.data.lower():
            continue
        for msg_id in case.replies:
            assert msg_id not in replies
        replies.update(case.replies)
        nulls += case.null_errors
        resyncing = case.resync
    return replies, nulls


def check_answers(editor: Editor, data: bytes, cases: list[Case], *, step: int | None = None) -> None:
    """Send ``data`` (in writes of ``step`` bytes, or one), then a sentinel request; every
    expected answer must come, and nothing else."""
    replies, nulls = expectations(cases)
    sentinel = f"sentinel-{next(_unique)}"
    replies[sentinel] = OK
    data += frame(encode({"jsonrpc": "2.0", "id": sentinel, "method": "jupyter/listKernels"}))
    editor.responses.clear()  # a failed example may have left some: examples stay independent
    editor.null_errors.clear()
    if step is None:
        editor.send_raw(data)
    else:
        for i in range(0, len(data), step):
            editor.send_raw(data[i : i + step])
    editor.wait(
        lambda: all(i in editor.responses for i in replies), timeout=ANSWER_WAIT, what="every expected response"
    )
    for msg_id, want in replies.items():
        got = editor.responses.pop(msg_id)
        if want is OK:
            assert "result" in got and "error" not in got, (msg_id, got)
        else:
            assert got.get("error", {}).get("code") == want, (msg_id, want, got)
    assert sorted(e["error"]["code"] for e in editor.null_errors) == sorted(nulls), editor.null_errors
    assert all(e["id"] is None for e in editor.null_errors)
    editor.null_errors.clear()
    assert not editor.responses, f"responses nobody asked for: {editor.responses}"


@pytest.fixture
def fuzz_bridge() -> Any:
    with bridge() as editor:
        yield editor


def _run(editor: Editor, test: Any) -> None:
    try:
        test()
    except BridgeGone:
        pytest.fail(f"the bridge died; its stderr:\n{stderr_tail(editor)}")
    assert editor.process.poll() is None, stderr_tail(editor)
    assert editor.request("jupyter/listKernels") == []


def test_complete_frames_get_the_documented_answer(fuzz_bridge: Editor) -> None:
    """~2,600 generated frames (600 examples); after each example a valid request is answered."""

    @settings(FUZZ_SETTINGS, max_examples=600)
    @given(st.lists(any_case, min_size=1, max_size=8))
    def frames(cases: list[Case]) -> None:
        check_answers(fuzz_bridge, b"".join(c.data for c in cases), cases)

    _run(fuzz_bridge, frames)


def test_invalid_params_errors_name_the_field(fuzz_bridge: Editor) -> None:
    @settings(FUZZ_SETTINGS, max_examples=150)
    @given(typed_request())
    def named(case: Case) -> None:
        ((msg_id, want),) = case.replies.items()
        fuzz_bridge.send_raw(case.data)
        got = fuzz_bridge.wait_response(msg_id)
        assert got.get("error", {}).get("code") == want, got
        if want == INVALID_PARAMS:
            assert case.field in got["error"]["message"], got  # type: ignore[attr-defined]

    _run(fuzz_bridge, named)


@st.composite
def garbage(draw: st.DrawFn) -> bytes:
    data = draw(
        st.one_of(
            st.binary(min_size=1, max_size=300),
            st.text(min_size=1, max_size=300).map(lambda s: s.encode("utf-8")),
            st.sampled_from(
                [b"\r\n", b"\n", b"{}", b"::::", b"Content-Type: x", b"\x00" * 50, b"GET / HTTP/1.1\r\nHost: x"]
            ),
        )
    )
    if b"content-length" in data.lower():
        return draw(garbage())
    return data


def test_garbage_between_frames_resyncs(fuzz_bridge: Editor) -> None:
    """Bytes with no frame boundary, then the end of a header block: exactly one -32700
    (id null), and the next valid request is answered."""

    @settings(FUZZ_SETTINGS, max_examples=200)
    @given(garbage())
    def resync(junk: bytes) -> None:
        msg_id = f"after-garbage-{next(_unique)}"
        fuzz_bridge.null_errors.clear()
        fuzz_bridge.send_raw(
            junk + b"\r\n\r\n" + frame(encode({"jsonrpc": "2.0", "id": msg_id, "method": "jupyter/listKernels"}))
        )
        assert fuzz_bridge.wait_response(msg_id)["result"] == []
        assert [e["error"]["code"] for e in fuzz_bridge.null_errors] == [PARSE]
        assert all(e["id"] is None for e in fuzz_bridge.null_errors)
        assert not fuzz_bridge.responses

    _run(fuzz_bridge, resync)


def test_frames_split_at_every_byte_boundary(fuzz_bridge: Editor) -> None:
    """The same frames written one byte, or a few bytes, at a time."""

    @settings(FUZZ_SETTINGS, max_examples=40)
    @given(st.lists(any_case, min_size=1, max_size=4), st.integers(1, 7))
    def split(cases: list[Case], step: int) -> None:
        check_answers(fuzz_bridge, b"".join(c.data for c in cases), cases, step=step)

    _run(fuzz_bridge, split)
