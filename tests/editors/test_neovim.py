"""The whole loop from a stock Neovim 0.11 whose only configuration is the server command
(docs/editors.md): start a kernel by running, run a cell, a selection and a line from
code actions, see ``⇒ 42`` as an inlay hint and the whole output on hover, complete and
inspect names from the live kernel, interrupt from a code action and by cancelling the
run's progress, answer ``input()`` on the output page, see an error as a diagnostic that
leaves when its line is edited, and quit with no kernel left behind. Everything is done
with Neovim's built-in functions; one Neovim (and so one bridge and one kernel) serves the
whole module, each test on its own text.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from tests.editors.neovim.harness import HANG_GUARD, Neovim, new_workdir, require_nvim
from tests.sidecar.browser import chromium, needs_browser
from tests.support.processes import pid_alive

HINTS = """
local out = {}
for _, h in ipairs(vim.lsp.inlay_hint.get({ bufnr = 0 })) do
  local label = h.inlay_hint.label
  if type(label) ~= 'string' then
    local text = ''
    for _, part in ipairs(label) do text = text .. part.value end
    label = text
  end
  table.insert(out, { line = h.inlay_hint.position.line, label = label })
end
return out
"""


@pytest.fixture(scope="module")
def nvim() -> Iterator[Neovim]:
    binary = require_nvim()
    workdir = new_workdir()
    (workdir / "demo.py").write_text("\n")
    editor = Neovim(binary, workdir)
    try:
        editor.lua("vim.cmd.edit('demo.py')")
        editor.wait_for(
            lambda: editor.lua("local c = vim.lsp.get_clients({ bufnr = 0 })[1]; return c ~= nil and c.initialized"),
            "the kernel-bridge client is attached and initialized",
        )
        editor.lua("vim.lsp.inlay_hint.enable(true)")
        yield editor
    finally:
        editor.close()
        shutil.rmtree(workdir, ignore_errors=True)


def set_text(nvim: Neovim, text: str) -> None:
    """Replace the buffer's text, as typing would (the client sends didChange)."""
    lines = text.split("\n")
    nvim.lua(f"vim.api.nvim_buf_set_lines(0, 0, -1, false, vim.json.decode([==[{_json(lines)}]==]))")


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def code_action(nvim: Neovim, kind: str, line: int, end_line: int | None = None) -> None:
    """Put the cursor on ``line`` (0-based), or select ``line``..``end_line``, and apply
    the one code action of ``kind`` — what a user does from the code-action menu."""
    nvim.lua(f"vim.api.nvim_win_set_cursor(0, {{{line + 1}, 0}})")
    selection = ""
    if end_line is not None:
        selection = f", range = {{ start = {{ {line + 1}, 0 }}, ['end'] = {{ {end_line + 1}, 1000 }} }}"
    nvim.lua(
        "vim.lsp.buf.code_action({ apply = true, context = { only = { '%s' } }%s,"
        " filter = function(a) return a.kind == '%s' end })" % (kind, selection, kind)
    )


def hints(nvim: Neovim) -> dict[int, str]:
    return {h["line"]: h["label"] for h in nvim.lua(HINTS)}


def wait_hint(nvim: Neovim, line: int, want: Any, what: str) -> str:
    """Wait until the hint on ``line`` satisfies ``want`` (a string it starts with, or a
    predicate); returns it."""
    check = want if callable(want) else (lambda label: label.startswith(want))
    return str(nvim.wait_for(lambda: (label := hints(nvim).get(line)) is not None and check(label) and label, what))


def diagnostics(nvim: Neovim) -> list[dict[str, Any]]:
    return nvim.lua(
        "return vim.tbl_map(function(d) return { lnum = d.lnum, message = d.message } end, vim.diagnostic.get(0))"
    )


def hover_text(nvim: Neovim, line: int) -> str:
    """``vim.lsp.buf.hover()`` on ``line``: the text of the floating window it opens."""
    nvim.lua(f"vim.api.nvim_win_set_cursor(0, {{{line + 1}, 0}}); vim.lsp.buf.hover()")
    text = nvim.wait_for(
        lambda: nvim.lua(
            "for _, w in ipairs(vim.api.nvim_list_wins()) do"
            "  if vim.api.nvim_win_get_config(w).relative ~= '' then"
            "    return table.concat(vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(w), 0, -1, false), '\\n')"
            "  end "
            "end"
        ),
        "the hover window is open",
    )
    nvim.lua(
        "for _, w in ipairs(vim.api.nvim_list_wins()) do"
        "  if vim.api.nvim_win_get_config(w).relative ~= '' then vim.api.nvim_win_close(w, true) end "
        "end"
    )
    return str(text)


def test_a_code_action_starts_a_kernel_and_shows_the_cells_value_inline(nvim: Neovim) -> None:
    set_text(nvim, "# %%\nx = 6 * 7\nx\n# %%\nprint('other cell')\n")
    code_action(nvim, "source.jupyter.run.cell", 1)
    assert wait_hint(nvim, 2, "⇒", "the cell's value shows at the end of its last line") == "⇒ 42"
    assert 4 not in hints(nvim)  # the other cell did not run


def test_run_selection_and_run_line(nvim: Neovim) -> None:
    set_text(nvim, "a = 20\nb = 22\na + b\nprint('line', a * 2)\n")
    code_action(nvim, "source.jupyter.run.selection", 0, 2)
    assert wait_hint(nvim, 2, "⇒", "the selection's value shows on its last line") == "⇒ 42"
    code_action(nvim, "source.jupyter.run.line", 3)
    assert wait_hint(nvim, 3, "line", "the line's first stdout line shows") == "line 40"


def test_hover_on_a_result_shows_the_whole_output(nvim: Neovim) -> None:
    set_text(nvim, "for i in range(3): print('row', i)\n{'answer': 42}\n")
    code_action(nvim, "source.jupyter.run.file", 0)
    assert wait_hint(nvim, 1, "⇒", "the file's value shows") == "⇒ {'answer': 42}"
    text = hover_text(nvim, 1)
    assert "row 0" in text and "row 1" in text and "row 2" in text
    assert "{'answer': 42}" in text
    assert "\x1b[" not in text


def completion_labels(nvim: Neovim, line: int, character: int) -> list[str]:
    """The labels of a ``textDocument/completion`` at (``line``, ``character``)."""
    return nvim.lua(
        "local r = vim.lsp.buf_request_sync(0, 'textDocument/completion', { textDocument ="
        f" vim.lsp.util.make_text_document_params(), position = {{ line = {line}, character = {character} }} }}, 20000)"
        " local out = {}"
        " for _, resp in pairs(r or {}) do"
        "   local result = resp.result or {}"
        "   for _, item in ipairs(result.items or result) do table.insert(out, item.label) end"
        " end"
        " return out"
    )


def test_completion_and_hover_on_a_name_come_from_the_live_kernel(nvim: Neovim) -> None:
    set_text(nvim, "kernel_only_name = 41\nkernel_only_\n")
    code_action(nvim, "source.jupyter.run.line", 0)
    # isIncomplete (no items) while the line runs or the kernel is slower than completionTimeout — its first
    # completion loads jedi — so ask again, as a client does on the next keystroke
    nvim.wait_for(lambda: "kernel_only_name" in completion_labels(nvim, 1, 12), "the kernel's completion arrives")
    nvim.lua("vim.api.nvim_buf_set_lines(0, 1, 2, false, { 'kernel_only_name' })")
    assert "int" in hover_text(nvim, 1)  # the kernel's inspect_reply (the name's type)


def test_an_error_is_a_diagnostic_that_moves_with_its_line_and_leaves_when_it_is_edited(nvim: Neovim) -> None:
    set_text(nvim, "# %%\nx = 1\ny = x / 0\n")
    code_action(nvim, "source.jupyter.run.cell", 1)
    label = wait_hint(nvim, 2, "✗", "the error shows on the last line")
    assert label == "✗ ZeroDivisionError: division by zero"
    (diag,) = nvim.wait_for(lambda: diagnostics(nvim), "the error is a diagnostic")
    assert diag["lnum"] == 2 and diag["message"].startswith("ZeroDivisionError")
    nvim.lua("vim.api.nvim_buf_set_lines(0, 1, 1, false, { '# a line above' })")  # a line inserted above
    nvim.wait_for(lambda: [d["lnum"] for d in diagnostics(nvim)] == [3], "the diagnostic moves down with its line")
    assert wait_hint(nvim, 3, "✗", "the hint moves with its line") == label
    nvim.lua("vim.api.nvim_buf_set_lines(0, 3, 4, false, { 'y = x / 1' })")  # the line is edited
    nvim.wait_for(lambda: diagnostics(nvim) == [], "the diagnostic leaves once its line is edited")
    nvim.wait_for(lambda: 3 not in hints(nvim), "the hint leaves once its line is edited")


def test_interrupt_from_a_code_action(nvim: Neovim) -> None:
    set_text(nvim, "import time\ntime.sleep(120)\n")
    code_action(nvim, "source.jupyter.run.file", 0)
    wait_hint(nvim, 1, "⏳", "the run shows as running")
    code_action(nvim, "source.jupyter.kernel.interrupt", 0)
    assert wait_hint(nvim, 1, "✗", "the interrupted run ends") == "✗ KeyboardInterrupt"


def test_cancelling_the_runs_progress_interrupts_it(nvim: Neovim) -> None:
    set_text(nvim, "import time\ntime.sleep(120)\n")
    code_action(nvim, "source.jupyter.run.file", 0)
    wait_hint(nvim, 1, "⏳", "the run shows as running")
    token = nvim.wait_for(
        lambda: nvim.lua(
            "local c = vim.lsp.get_clients({ bufnr = 0 })[1]"
            " for token, title in pairs(c.progress.pending) do"
            "   if title == 'Running file' then return token end"
            " end"
        ),
        "the run shows as work-done progress",
    )
    nvim.lua(
        f"vim.lsp.get_clients({{ bufnr = 0 }})[1]:notify('window/workDoneProgress/cancel', {{ token = '{token}' }})"
    )
    assert wait_hint(nvim, 1, "✗", "the cancelled run ends") == "✗ KeyboardInterrupt"
    nvim.wait_for(
        lambda: nvim.lua(f"return vim.lsp.get_clients({{ bufnr = 0 }})[1].progress.pending['{token}'] == nil"),
        "the progress ends",
    )


@needs_browser
def test_input_is_answered_on_the_output_page(nvim: Neovim) -> None:
    set_text(nvim, "name = input('who? ')\nprint('hi', name)\n")
    before = len(nvim.opened_urls())
    code_action(nvim, "source.jupyter.run.file", 0)
    # Neovim shows window/showMessageRequest as a numbered list: "1. Answer in browser"
    nvim.wait_for(lambda: nvim.lua("return vim.api.nvim_get_mode().mode") == "c", "Neovim asks the user")
    nvim.keys("1<CR>")
    url = nvim.wait_for(lambda: nvim.opened_urls()[before:], "the output page is opened")[0]
    assert url.startswith("http://127.0.0.1:")
    with chromium() as browser:
        page = browser.new_page()
        page.goto(url)
        field = page.locator("form.input-prompt input")
        field.wait_for()
        assert page.locator("form.input-prompt .input-text").text_content() == "who? "
        assert field.get_attribute("type") == "text"
        field.fill("Ada")
        field.press("Enter")
        page.locator("pre.input-done").wait_for()
    assert wait_hint(nvim, 1, "hi", "the run goes on with the answer") == "hi Ada"


def test_quitting_leaves_no_kernel(nvim: Neovim) -> None:
    set_text(nvim, "import os\nos.getpid()\n")
    code_action(nvim, "source.jupyter.run.file", 0)
    pid = int(wait_hint(nvim, 1, "⇒", "the kernel's pid shows").removeprefix("⇒ "))
    assert pid_alive(pid)
    assert nvim.quit() == 0
    nvim.wait_for(lambda: not pid_alive(pid), "the kernel is gone", timeout=HANG_GUARD)
