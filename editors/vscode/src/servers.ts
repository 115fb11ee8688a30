// Remote Jupyter servers (docs/remote.md): the `kernelBridge.servers` setting → the bridge's
// `initializationOptions.servers`. A token written in the settings (`token`, or `?token=` in
// the url) is handed to the bridge in its environment instead, under `tokenEnv`: it then never
// travels in a JSON-RPC message, so no trace of the LSP traffic can show it. No VS Code API:
// unit-tested directly.

/** Prefix of the environment variables that carry settings tokens to the bridge. */
export const TOKEN_ENV_PREFIX = 'KERNEL_BRIDGE_VSCODE_TOKEN_';

export interface BridgeServers {
  /** `initializationOptions.servers`: no `token` in it, ever. */
  servers: Record<string, Record<string, unknown>>;
  /** Extra environment for the bridge process (the tokens). */
  env: Record<string, string>;
  /** What was wrong with the setting (entries left out), for the user. */
  problems: string[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The url without a `token` query parameter, and that token (a pasted `…/lab?token=…`). */
export function splitUrlToken(url: string): { url: string; token?: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url };
  }
  const token = parsed.searchParams.get('token');
  if (token === null) return { url };
  parsed.searchParams.delete('token');
  return { url: parsed.toString(), token: token || undefined };
}

/**
 * `kernelBridge.servers` ({name: {url, token?, tokenEnv?, keepKernels?, caFile?, verifyTls?}})
 * → what the bridge gets. Entries without a url are left out (and named in `problems`); other
 * fields pass through unchanged, so the bridge checks them with its own messages.
 */
export function bridgeServers(setting: unknown): BridgeServers {
  const out: BridgeServers = { servers: {}, env: {}, problems: [] };
  if (setting === undefined || setting === null) return out;
  if (!isObject(setting)) {
    out.problems.push('"kernelBridge.servers" must be an object: {"name": {"url": "http://host:8888/", "tokenEnv": "VAR"}}');
    return out;
  }
  let n = 0;
  for (const [name, entry] of Object.entries(setting)) {
    if (!isObject(entry) || typeof entry.url !== 'string' || !entry.url.trim()) {
      out.problems.push(`"kernelBridge.servers" → "${name}": needs a "url" (e.g. "http://127.0.0.1:8888/")`);
      continue;
    }
    const server: Record<string, unknown> = { ...entry };
    const { url, token: urlToken } = splitUrlToken(entry.url.trim());
    server.url = url;
    // The bridge's order: token, else tokenEnv, else the url's token.
    const token = typeof entry.token === 'string' ? entry.token : typeof entry.tokenEnv === 'string' ? undefined : urlToken;
    delete server.token;
    if (token !== undefined) {
      const variable = `${TOKEN_ENV_PREFIX}${n++}`;
      out.env[variable] = token;
      server.tokenEnv = variable;
    } else if (entry.token !== undefined && typeof entry.token !== 'string') {
      out.problems.push(`"kernelBridge.servers" → "${name}": "token" must be a string`);
    }
    out.servers[name] = server;
  }
  return out;
}

/** A `kernelBridge.server` name that `kernelBridge.servers` lacks: the message, else undefined. */
export function unknownServer(name: string, servers: BridgeServers): string | undefined {
  if (!name || name in servers.servers) return undefined;
  const known = Object.keys(servers.servers);
  return `"kernelBridge.server" is "${name}", but "kernelBridge.servers" has no server of that name (${known.length ? `it has: ${known.join(', ')}` : 'it is empty'}).`;
}

/** For the log: the servers by name and url, never a token. */
export function describeServers(servers: BridgeServers): string {
  const names = Object.entries(servers.servers).map(([name, s]) => `${name} (${String(s.url)})`);
  return names.length ? names.join(', ') : 'none';
}
