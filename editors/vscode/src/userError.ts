// Errors as the extension shows them.

import { ResponseError } from 'vscode-languageclient/node';

/** A problem the user fixes in the settings (the message offers to open them). */
export class UserError extends Error {}

/** The text of an error from the bridge (its JSON-RPC message) or anywhere else. */
export function errorText(err: unknown): string {
  if (err instanceof ResponseError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
