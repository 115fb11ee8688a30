"""What a stock LSP client is shown of a run (bridge/server/run_output.py): one-line inlay
hint labels, the Markdown hover, and the kernelspec chosen for a document
(bridge/server/autostart.py)."""

from __future__ import annotations

import pytest

from bridge.server.autostart import NoKernelFor, choose_kernelspec
from bridge.server.run_output import KEEP_CHARS, RunOutput, hint_label, hover_text, one_line

OK = {"status": "ok", "executionCount": 3}


def run(*messages: tuple[str, dict]) -> RunOutput:
    output = RunOutput()
    for msg_type, content in messages:
        output.add(msg_type, content)
    return output


def stdout(text: str) -> tuple[str, dict]:
    return ("stream", {"name": "stdout", "text": text})


def value(text: str, **data: str) -> tuple[str, dict]:
    return ("execute_result", {"data": {"text/plain": text, **data}, "metadata": {}, "execution_count": 3})


def test_a_running_run_shows_the_hourglass() -> None:
    assert hint_label(run(stdout("partial\n")), None, 60) == "⏳"


def test_the_value_wins_over_stdout() -> None:
    assert hint_label(run(stdout("hello\n"), value("42")), OK, 60) == "⇒ 42"


def test_without_a_value_the_first_line_of_stdout() -> None:
    assert hint_label(run(stdout("first\nsecond\n")), OK, 60) == "first …"


def test_an_error_shows_its_name_and_value() -> None:
    error = {"status": "error", "ename": "ZeroDivisionError", "evalue": "division by zero", "traceback": []}
    assert hint_label(run(stdout("before\n")), error, 60) == "✗ ZeroDivisionError: division by zero"


def test_labels_are_one_line_capped_and_ansi_free() -> None:
    label = hint_label(run(value("\x1b[31m" + "x" * 200 + "\x1b[0m\nmore")), OK, 40)
    assert label == "⇒ " + "x" * 37 + "…"
    assert "\n" not in label and "\x1b" not in label and len(label) == 40


def test_carriage_returns_show_what_a_terminal_shows() -> None:
    assert hint_label(run(stdout("10%\r50%\r100%\n")), OK, 60) == "100%"


def test_nothing_printed_is_a_tick_and_an_image_names_itself() -> None:
    assert hint_label(run(), OK, 60) == "✓"
    image = ("display_data", {"data": {"image/png": "iVBOR", "text/plain": "<Figure>"}, "metadata": {}})
    assert hint_label(run(image), OK, 60) == "[image/png]"


def test_a_failure_of_the_bridge_shows_its_message() -> None:
    assert hint_label(run(), {"status": "failed", "message": "the kernel died"}, 60) == "✗ the kernel died"


def test_one_line_takes_the_first_nonblank_line() -> None:
    assert one_line("\n\n  spaced   out  \nnext", 60) == "spaced out …"


def test_the_hover_has_the_whole_output_in_order() -> None:
    output = run(stdout("row 0\nrow 1\n"), ("stream", {"name": "stderr", "text": "careful\n"}), value("42"))
    text = hover_text(output, OK, header="Cell · lines 1–3 · [3] ok", page_url=None)
    assert text.index("row 0") < text.index("row 1") < text.index("careful") < text.index("42")
    assert text.startswith("Cell · lines 1–3 · `[3]` ok")  # a code span: "[3]" is no link
    assert "`Out[3]:`" in text


def test_a_client_without_markdown_gets_plain_text() -> None:
    output = run(stdout("row 0\n"), value("42"))
    text = hover_text(output, OK, header="Cell · [3] ok", page_url="http://127.0.0.1:1/?token=t", markdown=False)
    assert text == "Cell · [3] ok\n\nrow 0\n\nOut[3]:\n42"


def test_the_hover_keeps_markdown_and_links_images_to_the_page() -> None:
    output = run(
        ("display_data", {"data": {"text/markdown": "# Title\n*bold*", "text/plain": "x"}, "metadata": {}}),
        ("display_data", {"data": {"image/png": "iVBOR", "text/plain": "<Figure>"}, "metadata": {}}),
    )
    text = hover_text(output, OK, header="h", page_url="http://127.0.0.1:1/?token=t")
    assert "# Title\n*bold*" in text
    assert "[image/png](http://127.0.0.1:1/?token=t)" in text


def test_the_hover_shows_a_traceback_without_ansi() -> None:
    error = ("error", {"ename": "ValueError", "evalue": "bad", "traceback": ["\x1b[31mValueError\x1b[0m: bad"]})
    text = hover_text(
        run(error), {"status": "error", "ename": "ValueError", "evalue": "bad"}, header="h", page_url=None
    )
    assert "ValueError: bad" in text and "\x1b" not in text


def test_the_hover_is_bounded_and_says_where_the_rest_is() -> None:
    output = run(stdout("y" * (KEEP_CHARS + 10)))
    assert output.cut and output.chars == KEEP_CHARS
    text = hover_text(output, OK, header="h", page_url="http://127.0.0.1:1/?token=t", max_chars=2000)
    assert len(text) <= 2100
    assert text.endswith("all of it is in [the output page](http://127.0.0.1:1/?token=t)")
    assert text.count("```") % 2 == 0


def test_clear_output_forgets_what_came_before() -> None:
    output = run(stdout("old\n"), ("clear_output", {"wait": False}), stdout("new\n"))
    assert hint_label(output, OK, 60) == "new"


SPECS = [
    {"name": "python3", "displayName": "Python 3", "language": "python"},
    {"name": "xpython", "displayName": "XPython", "language": "python"},
    {"name": "bash", "displayName": "Bash", "language": "bash"},
]


def choose(language_id: str, **settings: object) -> str:
    options = {"configured": {}, "default_kernel": "python3", "default_configured": False, **settings}
    return choose_kernelspec(language_id, SPECS, **options)  # type: ignore[arg-type]


def test_the_kernels_setting_comes_first() -> None:
    assert choose("python", configured={"python": "xpython"}) == "xpython"


def test_else_a_kernelspec_of_the_documents_language() -> None:
    assert choose("python") == "python3"
    assert choose("python", default_kernel="xpython") == "xpython"
    assert choose("sh") == "bash"  # Neovim's filetype for shell scripts
    assert choose("shellscript") == "bash"  # VS Code's, Helix's


def test_else_the_default_kernel_when_it_was_configured() -> None:
    assert choose("rust", default_kernel="python3", default_configured=True) == "python3"


def test_no_match_names_the_setting() -> None:
    with pytest.raises(NoKernelFor) as info:
        choose("rust")
    assert info.value.code == -32013
    assert "initializationOptions.kernels" in info.value.message and "'rust'" in info.value.message
    assert "python3 (python)" in info.value.message
