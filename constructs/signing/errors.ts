/**
 * The two ways a ztai-model operation can fail, mapped to the CLI's exit codes.
 *
 * - {@link ModelInvalidError} (exit 1): the model or its bundle is not what was signed
 *   (signature, digest, file set). The admission gate rejects on these.
 * - {@link ModelInputError} (exit 2): the question could not be answered (unreadable path,
 *   malformed bundle, unknown key, KMS or network failure, bad usage).
 *
 * Every message is one line and says what was wrong.
 */

/** Why a model failed verification. Stable codes: the admission gate records them. */
export type InvalidReason = 'manifest-digest-mismatch' | 'signature-invalid' | 'file-set-mismatch' | 'file-changed';

/** Why an operation could not be completed. Stable codes: the admission gate records them. */
export type InputReason =
  | 'usage'
  | 'path-unreadable'
  | 'path-refused'
  | 'bundle-unreadable'
  | 'bundle-malformed'
  | 'output-unwritable'
  | 'public-key-invalid'
  | 'kms-error';

/** The model or bundle is not what was signed. CLI exit code 1. */
export class ModelInvalidError extends Error {
  public readonly exitCode = 1;

  constructor(
    public readonly reason: InvalidReason,
    message: string,
  ) {
    super(oneLine(message));
    this.name = 'ModelInvalidError';
  }
}

/** The operation could not be completed (usage, input, KMS). CLI exit code 2. */
export class ModelInputError extends Error {
  public readonly exitCode = 2;

  constructor(
    public readonly reason: InputReason,
    message: string,
  ) {
    super(oneLine(message));
    this.name = 'ModelInputError';
  }
}

/** Collapse whitespace runs (including newlines from SDK or OS messages) so a message stays on one line. */
export function oneLine(message: string): string {
  return message.replace(/\s+/g, ' ').trim();
}

/** `err.message` for an unknown thrown value. */
export function errorMessage(err: unknown): string {
  // Duck-typed rather than `instanceof Error`: errors from another realm (node core under jest) fail that.
  const message = (err as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : String(err);
}

/** `err.code` (e.g. `ENOENT`) for an unknown thrown value, if it has one. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
