"""Emacs + eglot (Debian's: Emacs 28, eglot 1.9) whose only configuration is the server
command (docs/editors.md), in batch mode: a code action runs a cell, hovering its last
line shows the run's output, and an error becomes a Flymake diagnostic on the line that
raised. Eglot 1.9 has no inlay hints, no work-done progress and no ``window/showDocument``;
those are the Neovim tests' (tests/editors/test_neovim.py).

The driver calls only eglot's and Flymake's own commands (``eglot``,
``eglot-code-actions``, ``eglot-hover-eldoc-function`` — what eldoc calls on hover —,
``flymake-start``, ``flymake-diagnostics``) and records what they give in a JSON file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.editors.neovim.harness import bridge_command

EMACS_TIMEOUT = 180  # seconds: only stops a hung Emacs; the driver's own waits are 60 s

DOCUMENT = "# %%\nx = 6 * 7\nx\n# %%\ny = 1 / 0\n"

DRIVER = r"""
;; the user's configuration, as docs/editors.md gives it
(require 'eglot)
(add-to-list 'eglot-server-programs '(python-mode . (%(cmd)s)))

;; the test: eglot's own commands, and what they show
(setq coding-system-for-write 'utf-8)
(defvar kb-out nil)
(defun kb-record (key value) (push (cons key value) kb-out))
(defun kb-wait (what pred)
  (let ((deadline (+ (float-time) 60)))
    (while (and (not (funcall pred)) (< (float-time) deadline))
      (accept-process-output nil 0.1))
    (unless (funcall pred) (error "timed out waiting until %%s" what))))
(defun kb-hover ()
  (let ((shown nil))
    (eglot-hover-eldoc-function (lambda (info &rest _) (setq shown (or info ""))))
    (kb-wait "the hover answer" (lambda () shown))
    shown))
(defun kb-line (n) (goto-char (point-min)) (forward-line (1- n)))

(condition-case err
    (progn
      (find-file "demo.py")
      (call-interactively #'eglot)
      (kb-wait "eglot is connected" (lambda () (eglot-current-server)))
      (kb-line 2)
      (eglot-code-actions (point) nil "source.jupyter.run.cell" t)
      (kb-line 3)
      (let ((hover ""))
        (kb-wait "the hover on the cell's last line shows its value"
                 (lambda () (setq hover (kb-hover)) (string-match-p "Out\\[" hover)))
        (kb-record "hover" hover))
      (kb-line 5)
      (eglot-code-actions (point) nil "source.jupyter.run.cell" t)
      (kb-wait "the error is a Flymake diagnostic" (lambda () (flymake-start) (flymake-diagnostics)))
      (kb-record "diagnostics"
                 (vconcat (mapcar (lambda (d) `((line . ,(line-number-at-pos (flymake-diagnostic-beg d)))
                                               (text . ,(flymake-diagnostic-text d))))
                                  (flymake-diagnostics)))))
  (error (kb-record "error" (error-message-string err))))
(with-temp-file "out.json" (insert (json-encode kb-out)))
(kill-emacs 0)
"""


def _eglot_missing() -> str | None:
    emacs = shutil.which("emacs")
    if emacs is None:
        return "emacs is missing (scripts/test-setup.d/45-emacs.sh installs emacs-nox and elpa-eglot)"
    probe = subprocess.run(
        [emacs, "--batch", "--eval", "(require 'eglot)"], capture_output=True, text=True, timeout=EMACS_TIMEOUT
    )
    if probe.returncode != 0:
        return f"eglot is not installed for {emacs} (apt-get install elpa-eglot): {probe.stderr.strip()[-300:]}"
    return None


def require_eglot() -> str:
    missing = _eglot_missing()
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    return str(shutil.which("emacs"))


def run_emacs(emacs: str) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="kb-eglot-"))
    (workdir / "demo.py").write_text(DOCUMENT)
    (workdir / "driver.el").write_text(DRIVER % {"cmd": json.dumps(bridge_command())})
    env = dict(os.environ, HOME=str(workdir))
    try:
        done = subprocess.run(
            [emacs, "--batch", "-l", "driver.el"],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=EMACS_TIMEOUT,
        )
        out_file = workdir / "out.json"
        assert out_file.exists(), f"Emacs wrote no results (exit {done.returncode}):\n{done.stderr[-3000:]}"
        result: dict[str, Any] = json.loads(out_file.read_text(encoding="utf-8"))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    assert "error" not in result, f"{result['error']}\nEmacs said:\n{done.stderr[-3000:]}"
    return result


def test_eglot_runs_a_cell_from_a_code_action_hovers_its_output_and_shows_its_error() -> None:
    out = run_emacs(require_eglot())
    hover = out["hover"]
    assert "Out[1]" in hover and "42" in hover  # the cell's value, on its last line
    assert "```" not in hover and "\x1b[" not in hover  # eglot 1.9 asked for plain text
    (diagnostic,) = out["diagnostics"]
    assert diagnostic["line"] == 5
    assert "ZeroDivisionError: division by zero" in diagnostic["text"]
