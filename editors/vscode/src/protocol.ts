// The parts of docs/protocol.md (the bridge's editor contract) that the extension uses.
// Jupyter content is passed through as the kernel sent it (snake_case); the bridge's own
// fields are camelCase.

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

export type OutputMsgType =
  | 'stream'
  | 'display_data'
  | 'update_display_data'
  | 'execute_result'
  | 'error'
  | 'clear_output'
  | 'execute_input';

export interface OutputParams {
  kernelId: string;
  requestId: number | string | null;
  msgId: string;
  msgType: OutputMsgType;
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
  omittedBytes: number;
  omittedMessages: number;
  file: string | null;
}

export interface InputParams {
  kernelId: string;
  requestId: number | string | null;
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

export const Methods = {
  listKernelspecs: 'jupyter/listKernelspecs',
  startKernel: 'jupyter/startKernel',
  connectKernel: 'jupyter/connectKernel',
  listKernels: 'jupyter/listKernels',
  listRunningKernels: 'jupyter/listRunningKernels',
  shutdownKernel: 'jupyter/shutdownKernel',
  kernelInfo: 'jupyter/kernelInfo',
  execute: 'jupyter/execute',
  interruptKernel: 'jupyter/interruptKernel',
  restartKernel: 'jupyter/restartKernel',
  variables: 'jupyter/variables',
  openSidecar: 'jupyter/openSidecar',
  output: 'jupyter/output',
  status: 'jupyter/status',
  outputLimit: 'jupyter/outputLimit',
  input: 'jupyter/input',
  runCellCommand: 'jupyter.runCell',
} as const;
