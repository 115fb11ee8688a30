// The parts of docs/protocol.md (the bridge's editor contract) that the extension uses.
// Jupyter content is passed through as the kernel sent it (snake_case); the bridge's own
// fields are camelCase. Every request and notification is declared once, typed, in
// `Requests` and `Notifications` at the end (as rust-analyzer's lsp_ext.ts does): a call
// site cannot send the wrong params or misread the result.

import { NotificationType, RequestType } from 'vscode-jsonrpc';

export interface KernelSpec {
  name: string;
  displayName: string;
  language: string;
}

export interface KernelRef {
  kernelId: string;
  kernelName: string;
  language: string;
  implementation: string;
  /** Remote kernels (docs/remote.md): the server's settings name (null if given inline) and url. */
  server?: { name: string | null; url: string };
  remoteKernelId?: string;
}

/** `jupyter/listKernels {server}`: a kernel running on a Jupyter server (docs/remote.md). */
export interface ServerKernel {
  /** The server's id of the kernel. */
  kernelId: string;
  kernelName: string;
  executionState: string;
  lastActivity?: string | null;
  connections?: number;
  /** The bridge's id when it is connected to that kernel already. */
  bridgeKernelId?: string | null;
  owned?: boolean;
}

/** `jupyter/variables {kernelId}` (docs/protocol.md, "Variables"). */
export interface Variable {
  name: string;
  type: string;
  /** A bounded repr (at most 200 characters). */
  summary: string;
  /** Length of strings and containers. */
  size?: number;
  /** Shape of numpy/pandas objects. */
  shape?: number[];
}

/** `jupyter/openSidecar {kernelId}` (docs/sidecar.md). */
export interface SidecarRef {
  url: string;
}

export interface KernelListEntry {
  kernelId: string;
  kernelName: string;
  executionState: ExecutionState;
  owned: boolean;
}

/** `disconnected`: a remote kernel whose WebSocket dropped while the bridge reconnects. */
export type ExecutionState = 'starting' | 'busy' | 'idle' | 'restarting' | 'dead' | 'disconnected';

export interface RunningKernel {
  connectionFile: string;
  kernelName: string | null;
  startTime: string;
  alive: boolean;
}

export interface ExecuteResult {
  status: 'ok' | 'error' | 'aborted';
  executionCount: number | null;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

/** The iopub types the extension shows. */
export const OUTPUT_MSG_TYPES = [
  'stream',
  'display_data',
  'update_display_data',
  'execute_result',
  'error',
  'clear_output',
  'execute_input',
] as const;

export type OutputMsgType = (typeof OUTPUT_MSG_TYPES)[number];

export interface OutputParams {
  kernelId: string;
  requestId: number | string | null;
  /** The `runId` of the run that caused it (absent for other clients' runs and late output). */
  runId?: string;
  msgId: string;
  /** Usually an OutputMsgType; any other iopub type a kernel sends is passed on too, and ignored here. */
  msgType: OutputMsgType | (string & {});
  content: Record<string, unknown>;
  origin?: 'other' | 'self';
}

export interface StatusParams {
  kernelId: string;
  executionState: ExecutionState;
  reason?: string;
  exitCode?: number;
}

export interface OutputLimitParams {
  kernelId: string;
  requestId: number | string;
  runId?: string;
  omittedBytes: number;
  omittedMessages: number;
  file: string | null;
}

export interface InputParams {
  kernelId: string;
  requestId: number | string | null;
  runId?: string;
  prompt: string;
  password: boolean;
}

export type MimeBundle = Record<string, unknown>;

/** JSON-RPC error codes of the bridge (docs/protocol.md, "Errors"). */
export const ErrorCodes = {
  unknownKernel: -32001,
  kernelStartFailed: -32010,
  kernelDied: -32011,
  kernelTimeout: -32012,
  unknownKernelspec: -32013,
  badConnectionFile: -32014,
  kernelRestarting: -32015,
  variablesUnsupported: -32016,
  serverError: -32017,
  requestCancelled: -32800,
} as const;

/** Params of the methods that act on one kernel. */
export interface KernelIdParams {
  kernelId: string;
}

/** `server`: a name in `initializationOptions.servers` (docs/remote.md). */
export interface ServerParams {
  server?: string;
}

export interface StartKernelParams extends ServerParams {
  kernelName: string;
  startupTimeout?: number;
  cwd?: string;
  /** The document bound to the kernel in the bridge (completion, hover, code lenses). */
  uri?: string;
}

/** A connection file here, or `{server, kernelId}` for a kernel running on a Jupyter server. */
export interface ConnectKernelParams extends ServerParams {
  connectionFile?: string;
  kernelId?: string;
  startupTimeout?: number;
  uri?: string;
}

export interface ExecuteParams extends KernelIdParams {
  code: string;
  /** With `firstLine`: the document the code comes from, for diagnostics. */
  uri?: string;
  firstLine?: number;
  /** The extension's name for the run, echoed in its outputs, input prompts and output-limit notice. */
  runId?: string;
}

/** The bridge's `jupyter.runCell` command: it finds the `# %%` cell at `line` itself; `runId` as in `ExecuteParams`. */
export interface RunCellParams {
  command: typeof Commands.runCell;
  arguments: [uri: string, line: number, runId?: string];
}

/**
 * `jupyter/exportNotebook`: the runs of a kernel written as a notebook at `path` (on the
 * bridge's machine). `runs: "document"` keeps the runs whose execute carried `uri`;
 * `"all"` every run of the kernel.
 */
export interface ExportNotebookParams extends KernelIdParams {
  path: string;
  runs: 'document' | 'all';
  uri?: string;
}

export interface ExportNotebookResult {
  /** Where the notebook was written. */
  path: string;
  /** How many cells it has. */
  cells: number;
}

/** `jupyter/comm`: a comm message from the kernel (docs/protocol.md, "Comms"); buffers base64. */
export interface CommParams {
  kernelId: string;
  msgType: 'comm_open' | 'comm_msg' | 'comm_close';
  commId: string;
  msgId: string;
  parentId: string | null;
  targetName?: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  buffers: string[];
}

/** `jupyter/commIdle`: the kernel is done with a comm message the bridge sent (its msgId). */
export interface CommIdleParams {
  kernelId: string;
  parentId: string;
}

/** `jupyter/commLimit`: comm messages the bridge left out while the editor was behind. */
export interface CommLimitParams {
  kernelId: string;
  omittedMessages: number;
  omittedBytes: number;
  commIds: string[];
}

export interface CommMsgParams extends KernelIdParams {
  commId: string;
  data: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  /** base64 */
  buffers?: string[];
}

export interface CommInfoParams extends KernelIdParams {
  targetName?: string;
}

export interface CommInfoResult {
  status: string;
  comms?: Record<string, { target_name?: string }>;
}

export interface InputAnswer {
  value: string;
}

/** Commands the bridge registers (`workspace/executeCommand`). */
export const Commands = {
  runCell: 'jupyter.runCell',
} as const;

/** Requests the extension sends the bridge, and the one the bridge sends the extension (`input`). */
export const Requests = {
  listKernelspecs: new RequestType<ServerParams, KernelSpec[], void>('jupyter/listKernelspecs'),
  startKernel: new RequestType<StartKernelParams, KernelRef, void>('jupyter/startKernel'),
  connectKernel: new RequestType<ConnectKernelParams, KernelRef, void>('jupyter/connectKernel'),
  listKernels: new RequestType<Required<ServerParams>, ServerKernel[], void>('jupyter/listKernels'),
  listRunningKernels: new RequestType<Record<string, never>, RunningKernel[], void>('jupyter/listRunningKernels'),
  shutdownKernel: new RequestType<KernelIdParams, null, void>('jupyter/shutdownKernel'),
  interruptKernel: new RequestType<KernelIdParams, null, void>('jupyter/interruptKernel'),
  restartKernel: new RequestType<KernelIdParams, KernelRef, void>('jupyter/restartKernel'),
  execute: new RequestType<ExecuteParams, ExecuteResult, void>('jupyter/execute'),
  runCell: new RequestType<RunCellParams, ExecuteResult, void>('workspace/executeCommand'),
  variables: new RequestType<KernelIdParams, Variable[], void>('jupyter/variables'),
  openSidecar: new RequestType<KernelIdParams, SidecarRef, void>('jupyter/openSidecar'),
  exportNotebook: new RequestType<ExportNotebookParams, ExportNotebookResult, void>('jupyter/exportNotebook'),
  commMsg: new RequestType<CommMsgParams, { msgId: string }, void>('jupyter/commMsg'),
  commInfo: new RequestType<CommInfoParams, CommInfoResult, void>('jupyter/commInfo'),
  /** From the bridge: a running execute calls input() or getpass(). */
  input: new RequestType<InputParams, InputAnswer, void>('jupyter/input'),
} as const;

export const Notifications = {
  output: new NotificationType<OutputParams>('jupyter/output'),
  status: new NotificationType<StatusParams>('jupyter/status'),
  outputLimit: new NotificationType<OutputLimitParams>('jupyter/outputLimit'),
  comm: new NotificationType<CommParams>('jupyter/comm'),
  commIdle: new NotificationType<CommIdleParams>('jupyter/commIdle'),
  commLimit: new NotificationType<CommLimitParams>('jupyter/commLimit'),
} as const;
