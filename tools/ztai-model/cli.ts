/**
 * `ztai-model`: sign a model's files with a KMS key and verify them. See {@link USAGE} and
 * docs/model-signing.md. `run()` is the whole CLI with its I/O injected, so tests drive it in-process.
 */
import type { KMSClient } from '@aws-sdk/client-kms';
import { readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { Bundle, MAX_BUNDLE_BYTES, parseBundle, serializeBundle } from '../../constructs/signing/bundle';
import { ModelInputError, ModelInvalidError, errorCode, errorMessage } from '../../constructs/signing/errors';
import { ManifestSubject, subjectSegmentProblem } from '../../constructs/signing/manifest';
import { SignatureVerifier, signModel, verifyModel } from '../../constructs/signing/signing';
import { LocalModelSource } from './local-files';
import { ProgressStream, StreamProgress, formatBytes } from './progress';

export const VERSION = '0.1.0';

export const USAGE = `Usage:
  ztai-model sign   --key <key> --out <bundle.json> [--subject <workload>/<model>/<version>] [-q] <model file or directory>
  ztai-model verify --bundle <bundle.json> (--public-key <file> | --key <key>) [-q] <model file or directory>
  ztai-model public-key --key <key> [--out <file>]

Signs every file of a model (path, size, SHA-256) with an AWS KMS key (ECC_NIST_P256, ECDSA_SHA_256)
and verifies a model against the resulting bundle. Symbolic links are refused.
<key> is a KMS key id, key ARN, alias name (alias/name) or alias ARN.

Options:
  --key <key>          sign: the signing key. verify: check with kms:Verify. public-key: the key to export.
  --out <file>         sign: where to write the bundle (outside the model). public-key: PEM file (default stdout).
  --bundle <file>      verify: the bundle to check against.
  --public-key <file>  verify: check offline with this EC P-256 public key (PEM or DER); no AWS call.
  --subject <w/m/v>    sign: bind the signature to a workload, model and version (the admission gate checks it).
  -q, --quiet          no progress on stderr.
  -h, --help           show this help.   --version  show the version.

AWS credentials, region and endpoint come from the SDK's standard chain (AWS_PROFILE, AWS_REGION,
AWS_ENDPOINT_URL_KMS, ...). Progress goes to stderr when it is a terminal or the model is 256 MiB or more.
Exit codes: 0 valid (or signed), 1 invalid (signature, digest, file set), 2 usage or input error.
Bundle format and a walk-through: docs/model-signing.md
`;

/** The CLI's I/O, injectable for tests. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: ProgressStream;
  /** Make the KMS client. @default a client from the SDK's standard credential, region and endpoint chains */
  readonly kmsClient?: () => KMSClient;
  /** The clock for signedAt. @default the system clock */
  readonly now?: () => Date;
}

/** Run the CLI with `argv` (without node and script) and return the exit code (0, 1 or 2). */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const clients: KMSClient[] = [];
  const kms = async () => {
    const module = await import('../../constructs/signing/kms');
    const client = io.kmsClient ? io.kmsClient() : module.createKmsClient();
    clients.push(client);
    return { module, client };
  };
  try {
    const [command, ...args] = argv;
    switch (command) {
      case 'sign':
        return await sign(args, io, kms);
      case 'verify':
        return await verify(args, io, kms);
      case 'public-key':
        return await publicKey(args, io, kms);
      case '-h':
      case '--help':
      case 'help':
        io.stdout.write(USAGE);
        return 0;
      case '--version':
        io.stdout.write(`ztai-model ${VERSION}\n`);
        return 0;
      case undefined:
        throw usage('no command given');
      default:
        throw usage(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (err) {
    if (err instanceof ModelInvalidError) {
      io.stderr.write(`ztai-model: invalid: ${err.message}\n`);
      return 1;
    }
    if (err instanceof ModelInputError) {
      io.stderr.write(`ztai-model: error: ${err.message}\n`);
      return 2;
    }
    io.stderr.write(`ztai-model: error: unexpected failure: ${errorMessage(err).split('\n')[0]}\n`);
    return 2;
  } finally {
    for (const client of clients) client.destroy();
  }
}

/** Entry point for bin/ztai-model.js. */
export async function main(): Promise<void> {
  // The SDK's multi-line "node 20 support ends" notice would break the one-line-message contract on stderr.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
}

type KmsFactory = () => Promise<{ module: typeof import('../../constructs/signing/kms'); client: KMSClient }>;

async function sign(args: readonly string[], io: CliIo, kms: KmsFactory): Promise<number> {
  const { values, positionals } = parse('sign', args, {
    key: { type: 'string' },
    out: { type: 'string' },
    subject: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return help(io);
  const key = required('sign', values.key, '--key');
  const out = required('sign', values.out, '--out');
  const modelPath = onePath('sign', positionals);
  const subject = values.subject === undefined ? undefined : parseSubject(values.subject);

  const source = await LocalModelSource.at(modelPath);
  if (isWithin(modelPath, out)) {
    throw usage(`--out ${out} is inside the model ${modelPath}; write the bundle outside it`);
  }
  const { module, client } = await kms();
  const signer = new module.KmsSigner(client, key);
  await signer.preflight();
  const bundle = await signModel(source, signer, {
    subject,
    progress: new StreamProgress(io.stderr, { quiet: values.quiet }),
    now: io.now,
  });
  await writeAtomically(out, serializeBundle(bundle));
  const bytes = bundle.manifest.files.reduce((n, f) => n + f.size, 0);
  io.stdout.write(
    `signed: ${bundle.manifest.files.length} files (${formatBytes(bytes)}) in ${modelPath}; ` +
      `manifest sha256 ${bundle.manifestSha256}; key ${bundle.signature.keyArn}; bundle ${out}\n`,
  );
  return 0;
}

async function verify(args: readonly string[], io: CliIo, kms: KmsFactory): Promise<number> {
  const { values, positionals } = parse('verify', args, {
    bundle: { type: 'string' },
    'public-key': { type: 'string' },
    key: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return help(io);
  const bundlePath = required('verify', values.bundle, '--bundle');
  if ((values['public-key'] === undefined) === (values.key === undefined)) {
    throw usage('verify needs exactly one of --public-key <file> or --key <key>');
  }
  const modelPath = onePath('verify', positionals);

  const bundle = await readBundle(bundlePath);
  let verifier: SignatureVerifier;
  if (values['public-key'] !== undefined) {
    const { PublicKeyVerifier } = await import('../../constructs/signing/public-key');
    verifier = await PublicKeyVerifier.fromFile(values['public-key']);
  } else {
    const { module, client } = await kms();
    verifier = new module.KmsVerifier(client, values.key as string);
  }
  const source = await LocalModelSource.at(modelPath);
  if (isWithin(modelPath, bundlePath)) {
    throw usage(`the bundle ${bundlePath} is inside the model ${modelPath}; keep it outside`);
  }
  const summary = await verifyModel(bundle, source, verifier, new StreamProgress(io.stderr, { quiet: values.quiet }));
  io.stdout.write(
    `valid: ${summary.files} files (${formatBytes(summary.bytes)}) in ${modelPath} match ${bundlePath}; ` +
      `signature verified with ${verifier.description}; manifest sha256 ${summary.manifestSha256}` +
      `${subjectText(bundle)}; bundle says signed by ${bundle.signature.keyArn} at ${bundle.signature.signedAt}\n`,
  );
  return 0;
}

async function publicKey(args: readonly string[], io: CliIo, kms: KmsFactory): Promise<number> {
  const { values, positionals } = parse('public-key', args, {
    key: { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return help(io);
  const key = required('public-key', values.key, '--key');
  if (positionals.length > 0) throw usage(`public-key takes no path, got ${JSON.stringify(positionals[0])}`);
  const { module, client } = await kms();
  const { pem } = await module.fetchPublicKeyPem(client, key);
  if (values.out === undefined) io.stdout.write(pem);
  else await writeAtomically(values.out, pem);
  return 0;
}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

function parse<T extends OptionSpec>(command: string, args: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const option = /'([^']+)'/.exec(errorMessage(err))?.[1] ?? '?';
      throw usage(`unknown option ${option} for ${command}`);
    }
    throw usage(`${command}: ${errorMessage(err).split('. ')[0]}`);
  }
}

function required(command: string, value: string | boolean | undefined, flag: string): string {
  if (typeof value !== 'string' || value === '') throw usage(`${command} needs ${flag}`);
  return value;
}

function onePath(command: string, positionals: readonly string[]): string {
  if (positionals.length !== 1) {
    throw usage(`${command} needs exactly one model file or directory, got ${positionals.length}`);
  }
  return positionals[0];
}

function parseSubject(value: string): ManifestSubject {
  const parts = value.split('/');
  if (parts.length !== 3) throw usage(`--subject must be <workload>/<model>/<version>, got ${JSON.stringify(value)}`);
  for (const part of parts) {
    const problem = subjectSegmentProblem(part);
    if (problem) throw usage(`--subject segment ${JSON.stringify(part)} ${problem}`);
  }
  return { workload: parts[0], model: parts[1], version: parts[2] };
}

function subjectText(bundle: Bundle): string {
  const s = bundle.manifest.subject;
  return s ? `; subject ${s.workload}/${s.model}/${s.version}` : '';
}

async function readBundle(path: string): Promise<Bundle> {
  const stats = await stat(path).catch((err: unknown) => {
    throw new ModelInputError('bundle-unreadable', `cannot read bundle ${path}: ${errorMessage(err)}`);
  });
  if (!stats.isFile()) throw new ModelInputError('bundle-unreadable', `bundle ${path} is not a file`);
  if (stats.size > MAX_BUNDLE_BYTES) {
    throw new ModelInputError(
      'bundle-malformed',
      `malformed bundle ${path}: larger than ${formatBytes(MAX_BUNDLE_BYTES)}`,
    );
  }
  const text = await readFile(path, 'utf8').catch((err: unknown) => {
    throw new ModelInputError('bundle-unreadable', `cannot read bundle ${path}: ${errorMessage(err)}`);
  });
  return parseBundle(text, path);
}

/** Write via a temporary file and rename, so a failed run never leaves a half-written file. */
async function writeAtomically(path: string, content: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, content, { flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new ModelInputError('output-unwritable', `cannot write ${path}: ${errorMessage(err)}`);
  }
}

/** True if `candidate` is `root` or lies under it (by resolved path). */
function isWithin(root: string, candidate: string): boolean {
  const rel = relative(resolve(root), resolve(candidate));
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

function help(io: CliIo): number {
  io.stdout.write(USAGE);
  return 0;
}

function usage(message: string): ModelInputError {
  return new ModelInputError('usage', `${message} (see ztai-model --help)`);
}
