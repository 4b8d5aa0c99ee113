#!/usr/bin/env bash
# The packed library in an empty app, as a team that adopts it would install it: only aws-cdk-lib,
# constructs and cdk-nag beside the tarball (the versions this repository pins), no esbuild, no TypeScript
# sources of ours. Checks that
#   - `import { GpuModelEndpoint, SegmentedNetwork, EncryptedBucket, … } from '@ztai/cdk-constructs'` and a
#     subpath import type-check (classic `node` resolution and `node16`, which reads the exports map);
#   - the app synthesizes, cdk-nag's AWS Solutions pack included, with no AWS credentials;
#   - the admission gate's function code is the handler pre-bundled in the package, byte for byte (no
#     bundling at this synth: esbuild is not even installed);
#   - the signing core (`@ztai/cdk-constructs/signing`) loads without loading aws-cdk-lib or constructs.
# Run after `npm run package`. The app is written to a temporary directory and removed afterwards.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
tarball="$root/build/package/ztai-cdk-constructs.tgz"
test -s "$tarball" || { echo "no $tarball: run npm run package first" >&2; exit 1; }
tsc="$root/node_modules/typescript/bin/tsc"
pin() { node -p "require('$root/package.json').dependencies['$1']"; }

app="$(mktemp -d)"
trap 'rm -rf "$app"' EXIT
cd "$app"
cat > package.json <<'EOF'
{ "name": "empty-consumer", "version": "0.0.0", "private": true }
EOF
npm install --no-audit --no-fund --prefer-offline --no-update-notifier \
  "aws-cdk-lib@$(pin aws-cdk-lib)" "constructs@$(pin constructs)" "cdk-nag@$(pin cdk-nag)" "$tarball" >/dev/null
node -e '
  const deps = Object.keys(require("./package.json").dependencies).sort();
  const want = ["@ztai/cdk-constructs", "aws-cdk-lib", "cdk-nag", "constructs"];
  if (JSON.stringify(deps) !== JSON.stringify(want)) throw new Error(`dependencies: ${deps}`);
  for (const absent of ["esbuild", "typescript", "ts-node"]) {
    try { require.resolve(absent); throw new Error(`${absent} is installed`); } catch (e) { if (e.code !== "MODULE_NOT_FOUND") throw e; }
  }'
echo "consumer: installed $(node -p 'Object.keys(require("./package.json").dependencies).join(", ")')"

cat > app.ts <<'EOF'
import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  EncryptedBucket,
  GpuModelEndpoint,
  ModelAdmissionGate,
  ModelImage,
  ModelSignerRole,
  ModelSigningKey,
  PlatformEndpoint,
  SegmentedNetwork,
  WorkloadIdentity,
  WorkloadPrincipal,
} from '@ztai/cdk-constructs';
import { PlatformKeys } from '@ztai/cdk-constructs/keys';

declare const console: { log(message: string): void }; // no @types/node in this app

const app = new App({ outdir: 'cdk.out' });
const stack = new Stack(app, 'consumer');
const keys = new PlatformKeys(stack, 'Keys');
const network = new SegmentedNetwork(stack, 'Network', {
  maxAzs: 2,
  interfaceEndpoints: PlatformEndpoint.BASELINE,
  kmsEndpointKeys: keys.all.map((k) => k.key),
  flowLogsKey: keys.logs.key,
});
const models = new EncryptedBucket(stack, 'Models', {
  encryptionKey: keys.models.key,
  requireVpcEndpoint: network.s3GatewayEndpoint,
});
const data = new EncryptedBucket(stack, 'Data', {
  encryptionKey: keys.data.key,
  requireVpcEndpoint: network.s3GatewayEndpoint,
});
network.admitS3Buckets(models.bucket, data.bucket);
const workload = new WorkloadIdentity(stack, 'Scoring', { workloadName: 'scoring', runsAs: WorkloadPrincipal.SAGEMAKER });
new GpuModelEndpoint(stack, 'Endpoint', {
  workload,
  network,
  modelsBucket: models,
  dataCaptureBucket: data,
  approvedModel: { name: 'scoring-model', version: '1' },
  image: ModelImage.fromImageUri(
    '111122223333.dkr.ecr.us-east-1.amazonaws.com/scoring@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945',
  ),
  instanceType: 'ml.g5.xlarge',
  logEncryptionKey: keys.logs.key,
});
const signer = new ModelSignerRole(stack, 'Signer');
const signingKey = new ModelSigningKey(stack, 'SigningKey', { signers: [signer.role] });
const gate = new ModelAdmissionGate(stack, 'Gate', { modelsBucket: models, signingKey, network, logsKey: keys.logs.key });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
const assembly = app.synth();
const code = stack.resolve((gate.function.node.defaultChild as unknown as { code: unknown }).code) as { s3Key: string };
console.log(JSON.stringify({ templates: assembly.stacks.map((s) => s.templateFullPath), gateAsset: code.s3Key }));
EOF

for resolution in node10 node16; do
  module=commonjs
  [ "$resolution" = node16 ] && module=node16
  cat > tsconfig.json <<EOF
{
  "compilerOptions": {
    "target": "ES2022", "module": "$module", "moduleResolution": "$resolution", "lib": ["es2022"],
    "strict": true, "skipLibCheck": true, "esModuleInterop": true, "types": [], "outDir": "out"
  },
  "files": ["app.ts"]
}
EOF
  node "$tsc" -p .
  echo "consumer: app.ts type-checks (moduleResolution $resolution)"
done

# The feature flags `cdk init` writes to cdk.json (this repository's), handed over the way the CDK CLI does.
context="$(node -p "JSON.stringify(require('$root/cdk.json').context)")"
result="$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE \
  -u AWS_DEFAULT_PROFILE -u AWS_REGION -u AWS_DEFAULT_REGION HOME="$app" CDK_CONTEXT_JSON="$context" \
  node out/app.js | tail -1)"
echo "consumer: synthesized $(node -p "JSON.parse(process.argv[1]).templates.length" "$result") template(s)"

asset="cdk.out/asset.$(node -p "JSON.parse(process.argv[1]).gateAsset.replace(/\.zip\$/, '')" "$result")"
cmp "$asset/index.js" node_modules/@ztai/cdk-constructs/dist/integrity/admission-handler/index.js
test "$(ls "$asset")" = index.js
echo "consumer: the admission function's code is the pre-built handler ($asset/index.js)"

node -e '
  require("@ztai/cdk-constructs/signing");
  const loaded = Object.keys(require.cache).filter((f) => /node_modules\/(aws-cdk-lib|constructs|cdk-nag)\//.test(f));
  if (loaded.length > 0) throw new Error(`the signing core loaded ${loaded[0]}`);'
echo "consumer: @ztai/cdk-constructs/signing loads without aws-cdk-lib, constructs or cdk-nag"

# The package's CLI runs from its built JavaScript (no ts-node or TypeScript here): help, and a usage error.
npx --no-install ztai-model --help | grep -q 'ztai-model'
set +e
npx --no-install ztai-model sign >/dev/null 2>"$app/cli-usage.err"
status=$?
set -e
test "$status" -ne 0 && grep -q 'see ztai-model --help' "$app/cli-usage.err"
echo "consumer: npx ztai-model runs from the package (help; a usage error exits $status)"
