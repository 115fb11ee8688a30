"""The names an editor sees for the bridge's LSP commands and code action kinds.

Their own module so that the features that implement them (lsp_features.py,
code_actions.py) and the registry of what exists (features.py) all read them from one
place without importing each other.
"""

from __future__ import annotations

# the adapters' command (code lenses): runs the cell at a line and answers its ExecuteResult
RUN_CELL = "jupyter.runCell"

# commands behind the code actions (server/code_actions.py); run commands answer once the
# code is sent. Listed in executeCommandProvider, so clients may also call them directly.
RUN_CELL_NOW = "jupyter.run.cell"
RUN_SELECTION = "jupyter.run.selection"
RUN_LINE = "jupyter.run.line"
RUN_FILE = "jupyter.run.file"
INTERRUPT = "jupyter.kernel.interrupt"
RESTART = "jupyter.kernel.restart"
SHUTDOWN = "jupyter.kernel.shutdown"
START_KERNEL = "jupyter.kernel.start"
CONNECT_KERNEL = "jupyter.kernel.connect"
OPEN_OUTPUT_PAGE = "jupyter.output.open"
SHOW_VARIABLES = "jupyter.variables.show"
COMMANDS = (
    RUN_CELL_NOW,
    RUN_SELECTION,
    RUN_LINE,
    RUN_FILE,
    INTERRUPT,
    RESTART,
    SHUTDOWN,
    START_KERNEL,
    CONNECT_KERNEL,
    OPEN_OUTPUT_PAGE,
    SHOW_VARIABLES,
)

# code action kinds: hierarchical, so "source.jupyter.run" selects every run action
KIND_RUN_CELL = "source.jupyter.run.cell"
KIND_RUN_SELECTION = "source.jupyter.run.selection"
KIND_RUN_LINE = "source.jupyter.run.line"
KIND_RUN_FILE = "source.jupyter.run.file"
KIND_INTERRUPT = "source.jupyter.kernel.interrupt"
KIND_RESTART = "source.jupyter.kernel.restart"
KIND_SHUTDOWN = "source.jupyter.kernel.shutdown"
KIND_START = "source.jupyter.kernel.start"
KIND_CONNECT = "source.jupyter.kernel.connect"
KIND_OUTPUT_PAGE = "source.jupyter.output.open"
KIND_VARIABLES = "source.jupyter.variables.show"
KINDS = (
    KIND_RUN_CELL,
    KIND_RUN_SELECTION,
    KIND_RUN_LINE,
    KIND_RUN_FILE,
    KIND_INTERRUPT,
    KIND_RESTART,
    KIND_SHUTDOWN,
    KIND_START,
    KIND_CONNECT,
    KIND_OUTPUT_PAGE,
    KIND_VARIABLES,
)
