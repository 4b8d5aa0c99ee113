/**
 * The defects of the pre-deployment review (issue #11, `DEFECTS` in tools/review/journeys.ts): every defect
 * is covered by journey steps, and putting each one back into the synthesized templates (as the code made
 * them before the fix) makes the steps that cover it fail, while on the synthesized platform they pass.
 *
 * Each mutation is a named function on a mutable copy of the reference assembly; the world the steps are
 * evaluated in is built after the mutation (the policy index caches what it reads).
 */
import { CloudAssembly } from '../../tools/review/assembly';
import { evaluateStep, JourneyWorld, Step, StepResult } from '../../tools/review/journey-dsl';
import { DEFECTS, DefectId, platformJourneys } from '../../tools/review/journeys';
import { ENV, journey, mutableCopy, Profile, referenceFixture, world } from './journey';

const fixture = referenceFixture('dev');
const base = world(fixture);
const P = base.platformName;
const RT = base.workload('realtime');

// ---------------------------------------------------------------------------------------------------------------
// Template helpers (synthesized CloudFormation JSON has no useful static type).

/** The raw template resource (mutable) of the construct at `path` in an assembly. */
function resourceAt(a: CloudAssembly, type: string, path: string): any {
  const w = new JourneyWorld(a, ENV);
  const found = w.find(type, path).filter((r) => w.index.idOf(r) === path);
  if (found.length !== 1) throw new Error(`${type} at ${path}: ${found.length} found`);
  return found[0].resource;
}

/** Every raw template resource of a type in an assembly. */
function resourcesOfType(a: CloudAssembly, type: string): any[] {
  return a.stacks.flatMap((s) => Object.values(s.template.Resources ?? {}).filter((r) => r.Type === type));
}

/** The statements of a policy document. */
function statements(doc: any): any[] {
  return doc.Statement as any[];
}

/** The statement of a policy document with this Sid. */
function statement(doc: any, sid: string): any {
  const found = statements(doc).find((s) => s.Sid === sid);
  if (!found) throw new Error(`no statement ${sid} in ${JSON.stringify(statements(doc).map((s) => s.Sid))}`);
  return found;
}

/** Remove the statements of a policy document that match. */
function removeStatements(doc: any, match: (s: any) => boolean): void {
  const before = statements(doc).length;
  doc.Statement = statements(doc).filter((s) => !match(s));
  if (doc.Statement.length === before) throw new Error('no statement removed');
}

/** Whether a (token-bearing) ARN value of the template contains this text, e.g. a role path. */
function names(value: unknown, text: string): boolean {
  return value !== undefined && JSON.stringify(value).includes(text);
}

/** `arn:<partition><rest…>` as CDK renders an ARN (the partition a `Ref`; `rest` strings and tokens). */
function arn(...rest: unknown[]): unknown {
  return { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ...rest]] };
}

const bucketPolicy = (a: CloudAssembly, bucket: 'ModelsBucket' | 'DataBucket') =>
  resourceAt(a, 'AWS::S3::BucketPolicy', `${P}-platform/${bucket}/Resource/Policy`).Properties.PolicyDocument;
const VPCE_DENY = 'DenyDataAccessOutsideThePlatformVpcEndpoint';
const RELEASE_ROLE_PATH = `:role/${P}/model-signer/`;
const EXECUTION_ROLE_PATH = `:role/${P}/sagemaker-execution/`;

// ---------------------------------------------------------------------------------------------------------------
// The defects, put back.

/**
 * Before: the fraud-scoring model read `PrimaryContainer.ModelDataUrl`
 * `s3://<models>/approved/fraud-scoring/model.tar.gz` (the endpoint's `modelDataKey`), a compressed archive the
 * admission gate never writes; no `ModelDataSource`.
 */
function modelDataUrlArchive(a: CloudAssembly): void {
  const container = resourceAt(a, 'AWS::SageMaker::Model', `${P}-workload-${RT}/Endpoint/Model`).Properties
    .PrimaryContainer;
  const [scheme, bucket] = container.ModelDataSource.S3DataSource.S3Uri['Fn::Join'][1];
  container.ModelDataUrl = { 'Fn::Join': ['', [scheme, bucket, `/approved/${RT}/model.tar.gz`]] };
  delete container.ModelDataSource;
}

/**
 * Before: the models bucket's VPC-endpoint deny (`DenyDataAccessOutsideThePlatformVpcEndpoint`) exempted
 * break-glass principals and SageMaker execution roles only: the release role, uploading from CI outside the
 * VPC, had no exemption (and so no statements confining one).
 */
function noReleaseRoleExemption(a: CloudAssembly): void {
  const doc = bucketPolicy(a, 'ModelsBucket');
  const vpce = statement(doc, VPCE_DENY);
  vpce.Condition.ArnNotLike['aws:PrincipalArn'] = vpce.Condition.ArnNotLike['aws:PrincipalArn'].filter(
    (p: unknown) => !names(p, RELEASE_ROLE_PATH),
  );
  removeStatements(doc, (s) => s.Sid !== VPCE_DENY && names(s.Condition?.ArnEquals, RELEASE_ROLE_PATH));
}

/**
 * Before: every encrypted bucket denied `s3:PutObject` with `StringNotEqualsIfExists` on
 * `s3:x-amz-server-side-encryption` (≠ `aws:kms`) and on `…-aws-kms-key-id` (≠ the bucket's key), without a
 * `Null` guard, so a request with no SSE header at all (UploadPart, CompleteMultipartUpload, a copy relying on
 * the bucket default) was denied; there was no separate "KMS without a key id" statement.
 */
function sseDeniesIfExists(a: CloudAssembly): void {
  const sse = 's3:x-amz-server-side-encryption';
  const sseKey = 's3:x-amz-server-side-encryption-aws-kms-key-id';
  for (const policy of resourcesOfType(a, 'AWS::S3::BucketPolicy')) {
    const doc = policy.Properties.PolicyDocument;
    if (!statements(doc).some((s) => s.Sid === 'DenyUploadsNotEncryptedWithSse-Kms')) continue;
    statement(doc, 'DenyUploadsNotEncryptedWithSse-Kms').Condition = {
      StringNotEqualsIfExists: { [sse]: 'aws:kms' },
    };
    const anotherKey = statement(doc, 'DenyUploadsWithAnotherKey');
    anotherKey.Condition = { StringNotEqualsIfExists: { [sseKey]: anotherKey.Condition.StringNotEquals[sseKey] } };
    removeStatements(doc, (s) => s.Sid === 'DenyKmsUploadsThatDoNotNameTheKey');
  }
}

/**
 * Before: the S3 gateway endpoint admitted the ECR layer bucket (`EcrImageLayers`) only for
 * `aws:PrincipalAccount` = this account; layer downloads are presigned by ECR, an AWS-owned principal.
 */
function ecrLayersForThisAccountOnly(a: CloudAssembly): void {
  const endpoint = resourceAt(a, 'AWS::EC2::VPCEndpoint', `${P}-platform/Network/Resource/S3`);
  statement(endpoint.Properties.PolicyDocument, 'EcrImageLayers').Condition = {
    StringEquals: { 'aws:PrincipalAccount': { Ref: 'AWS::AccountId' } },
  };
}

/**
 * Before: a repository's `PullOnlyByNamedPlatformRoles` deny named its pullers by workload tag
 * (`StringNotEquals aws:PrincipalTag/ai-platform:workload`) and nothing else: the release role, which carries
 * no workload tag, was denied the BatchCheckLayerAvailability/BatchGetImage a `docker push` makes.
 */
function pullDenyForUntaggedPrincipals(a: CloudAssembly): void {
  for (const repository of resourcesOfType(a, 'AWS::ECR::Repository')) {
    const pull = statement(repository.Properties.RepositoryPolicyText, 'PullOnlyByNamedPlatformRoles');
    expect(Object.keys(pull.Condition.StringNotEquals)).toEqual(['aws:PrincipalTag/ai-platform:workload']);
    delete pull.Condition.ArnNotEquals;
  }
}

/** Before: the admission function reserved concurrency by default (`ReservedConcurrentExecutions: 4`). */
function admissionReservesConcurrency(a: CloudAssembly): void {
  resourceAt(
    a,
    'AWS::Lambda::Function',
    `${P}-platform/ModelAdmission/Function`,
  ).Properties.ReservedConcurrentExecutions = 4;
}

/**
 * Before: the route integration roles trusted `apigateway.amazonaws.com` only with `StringEquals
 * aws:SourceAccount` and `ArnLike aws:SourceArn` (`arn:…:execute-api:<region>:<account>:<api id>/*`), and the
 * account's CloudWatch logging role with `StringEquals aws:SourceAccount`: keys API Gateway does not send.
 */
function apiGatewayTrustWithSourceConditions(a: CloudAssembly): void {
  const sourceAccount = { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } };
  for (const api of ['ModelGateway', 'PeopleGateway']) {
    const role = resourceAt(a, 'AWS::IAM::Role', `${P}-api/${api}/Route-${RT}-invoke/IntegrationRole`);
    const [restApiId] = Object.entries(a.stacks.find((s) => s.stackName === `${P}-api`)!.template.Resources!).find(
      ([id, r]) => r.Type === 'AWS::ApiGateway::RestApi' && id.startsWith(api),
    )!;
    const [trust] = statements(role.Properties.AssumeRolePolicyDocument);
    trust.Condition = {
      StringEquals: sourceAccount,
      ArnLike: {
        'aws:SourceArn': arn(
          ':execute-api:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':',
          { Ref: restApiId },
          '/*',
        ),
      },
    };
  }
  const [accountTrust] = statements(
    resourceAt(a, 'AWS::IAM::Role', `${P}-api/AccountLogging/Role`).Properties.AssumeRolePolicyDocument,
  );
  accountTrust.Condition = { StringEquals: sourceAccount };
}

/**
 * Before: both platform buckets' VPC-endpoint deny exempted the ARN pattern of every SageMaker execution role,
 * `arn:<partition>:iam::<account>:role/ztai/sagemaker-execution/*` (`GpuModelEndpoint.executionRoleArnPattern()`),
 * for every data-plane action on every key; no statements confined the exemption to actions or prefixes.
 * (The release role's exemption of the models bucket is another defect's fix and is left as it is.)
 */
function executionRolePathExemption(a: CloudAssembly): void {
  const pattern = arn(':iam::', { Ref: 'AWS::AccountId' }, `${EXECUTION_ROLE_PATH}*`);
  for (const bucket of ['ModelsBucket', 'DataBucket'] as const) {
    const doc = bucketPolicy(a, bucket);
    const vpce = statement(doc, VPCE_DENY);
    vpce.Condition.ArnNotLike['aws:PrincipalArn'] = [
      ...vpce.Condition.ArnNotLike['aws:PrincipalArn'].filter((p: unknown) => !names(p, EXECUTION_ROLE_PATH)),
      pattern,
    ];
    // The exemption's confining statements: by exact ARN, or (the execution roles as one tagged family) by ArnLike.
    removeStatements(
      doc,
      (s) =>
        s.Sid !== VPCE_DENY &&
        (names(s.Condition?.ArnEquals, EXECUTION_ROLE_PATH) || names(s.Condition?.ArnLike, EXECUTION_ROLE_PATH)),
    );
  }
}

/**
 * Before: platform keys gave the account root `kms:Create*` among the administration actions, and with it
 * `kms:CreateGrant` on any terms, beside the grant statement limited to AWS resources.
 */
function keyAdministrationWithCreate(a: CloudAssembly): void {
  for (const key of resourcesOfType(a, 'AWS::KMS::Key')) {
    const admin = statements(key.Properties.KeyPolicy).find((s) => s.Sid === 'KeyAdministration');
    if (admin) admin.Action = [...admin.Action, 'kms:Create*'];
  }
}

/**
 * Before: the execute-api interface endpoint admitted any principal (`Principal *`, no condition) on this
 * account's APIs (`arn:…:execute-api:<region>:<account>:*`); now only this account's principals.
 */
function executeApiEndpointForAnyPrincipal(a: CloudAssembly): void {
  const endpoint = resourceAt(a, 'AWS::EC2::VPCEndpoint', `${P}-api/ModelGateway/ExecuteApiEndpoint`);
  delete statement(endpoint.Properties.PolicyDocument, 'ThisAccountsPrincipalsOnThisAccountsApis').Condition;
}

/**
 * Before: the API error-rate alarms on the Average of 4XXError / 5XXError (a fraction in [0, 1]) had the
 * thresholds 5 and 1, meant as percentages.
 */
function rateAlarmsInPercent(a: CloudAssembly): void {
  for (const alarm of resourcesOfType(a, 'AWS::CloudWatch::Alarm')) {
    const metric = alarm.Properties.Metrics?.[0]?.MetricStat?.Metric;
    if (metric?.Namespace !== 'AWS/ApiGateway') continue;
    if (metric.MetricName === '4XXError') alarm.Properties.Threshold = 5;
    if (metric.MetricName === '5XXError') alarm.Properties.Threshold = 1;
  }
}

/**
 * Before: the GPU fleet alarms watched `nvidia_smi_*` in the CloudWatch agent's default namespace `CWAgent`;
 * the fleet's agent publishes (and its role may publish) in `ZeroTrustAI/GpuFleet` only.
 */
function gpuAlarmsInAgentDefaultNamespace(a: CloudAssembly): void {
  const fleetAlarms = resourcesOfType(a, 'AWS::CloudWatch::Alarm').filter((r) =>
    String(r.Properties.MetricName).startsWith('nvidia_smi_'),
  );
  expect(fleetAlarms).toHaveLength(2);
  for (const alarm of fleetAlarms) alarm.Properties.Namespace = 'CWAgent';
}

/**
 * Before: the signing key's policy gave `kms:GetPublicKey` to named verifiers only, not to the signer
 * (the release role), which has no identity grant for it either.
 */
function noPublicKeyForSigners(a: CloudAssembly): void {
  const key = resourceAt(a, 'AWS::KMS::Key', `${P}-platform/ModelSigningKey`);
  removeStatements(key.Properties.KeyPolicy, (s) => s.Sid === 'PublicKeyForSigners');
}

/**
 * Before: the permissions boundary had no deny of `sagemaker:InvokeEndpoint*` outside the API route roles'
 * path; a direct invocation was only alarmed on (audit metric filter).
 */
function invocationOnlyAlarmed(a: CloudAssembly): void {
  const boundary = resourceAt(a, 'AWS::IAM::ManagedPolicy', `${P}-platform/PermissionsBoundary`);
  removeStatements(boundary.Properties.PolicyDocument, (s) => s.Sid === 'OnlyApiRoutesInvokeModels');
}

/**
 * Before: buckets (fixed names) and keys were plainly retained (`DeletionPolicy: Retain`), also when their own
 * create rolled back, so the retry failed on the name.
 */
function modelsBucketPlainlyRetained(a: CloudAssembly): void {
  const bucket = resourceAt(a, 'AWS::S3::Bucket', `${P}-platform/ModelsBucket`);
  expect(bucket.Properties.BucketName).toBeDefined();
  bucket.DeletionPolicy = 'Retain';
}

/**
 * The gate's trigger (EventBridge since CDK's bucket-notifications resource was dropped) widened to every
 * object under incoming/: the gate would run on the first model file, before the bundle that lists it exists.
 */
function admissionOnEveryIncomingObject(a: CloudAssembly): void {
  const [rule] = resourcesOfType(a, 'AWS::Events::Rule').filter((r) =>
    names(r.Properties.EventPattern?.detail?.object?.key, 'bundle.json'),
  );
  expect(rule).toBeDefined();
  rule.Properties.EventPattern.detail.object.key = [{ prefix: 'incoming/' }];
}

/**
 * Before: the invocation-logging call had a role of its own (with its grant), but CDK ran it in the stack's
 * AwsCustomResource singleton, whose role is the first call's (the S3 prefix-list lookup); and the boundary's
 * ceiling did not allow `bedrock:PutModelInvocationLoggingConfiguration` to any role.
 */
function deployTimeCallWithoutItsGrant(a: CloudAssembly): void {
  const policy = resourceAt(a, 'AWS::IAM::ManagedPolicy', `${P}-platform/ModelInvocationLogging/ConfigurePolicy`);
  policy.Properties.Roles = [{ Ref: 'ModelInvocationLoggingConfigureRoleNeverUsed' }];
  const boundary = resourceAt(a, 'AWS::IAM::ManagedPolicy', `${P}-platform/PermissionsBoundary`);
  for (const s of statements(boundary.Properties.PolicyDocument)) {
    if (s.Effect !== 'Allow' || !Array.isArray(s.Action)) continue;
    s.Action = s.Action.filter((x: string) => x !== 'bedrock:PutModelInvocationLoggingConfiguration');
  }
}

// ---------------------------------------------------------------------------------------------------------------
// What each defect breaks.

type Decision = StepResult['decision'];

interface Breakage {
  /** Puts the defect back into a mutable copy of the synthesized templates. */
  readonly mutate: (a: CloudAssembly) => void;
  /** The steps that fail with the defect back: the decision each then gets (`Fail` for a check). */
  readonly fails: Readonly<Record<string, Decision>>;
  /** What the failure says, for steps whose decision alone does not show the defect. */
  readonly problems?: Readonly<Record<string, RegExp>>;
}

const BREAKAGES: Record<DefectId, Breakage> = {
  'model-key-layout': { mutate: modelDataUrlArchive, fails: { '3.21': 'Fail' } },
  'incoming-upload': {
    mutate: noReleaseRoleExemption,
    fails: {
      '3.3': 'ExplicitlyDenied',
      '3.4': 'ExplicitlyDenied',
      '3.5': 'ExplicitlyDenied',
      '3.6': 'ExplicitlyDenied',
      '3.7': 'ExplicitlyDenied',
      '3.10': 'ExplicitlyDenied',
    },
  },
  'sse-ifexists': {
    mutate: sseDeniesIfExists,
    fails: {
      '3.5': 'ExplicitlyDenied',
      '3.7': 'ExplicitlyDenied',
      '3.15': 'ExplicitlyDenied',
      '3.17': 'ExplicitlyDenied',
      '3.18': 'ExplicitlyDenied',
      '3.19': 'ExplicitlyDenied',
      '5.8': 'ExplicitlyDenied',
      '5.9': 'ExplicitlyDenied',
      '5.10': 'ExplicitlyDenied',
    },
  },
  'ecr-layers': { mutate: ecrLayersForThisAccountOnly, fails: { '2.13': 'ImplicitlyDenied' } },
  'repository-push': {
    mutate: pullDenyForUntaggedPrincipals,
    fails: { '2.2': 'ExplicitlyDenied', '2.7': 'ExplicitlyDenied' },
  },
  'reserved-concurrency': { mutate: admissionReservesConcurrency, fails: { '1.9': 'Fail' } },
  'api-gateway-trust': {
    mutate: apiGatewayTrustWithSourceConditions,
    fails: { '4.2': 'ImplicitlyDenied', '4.6': 'ImplicitlyDenied', '4.8': 'ImplicitlyDenied' },
  },
  'endpoint-exemption': { mutate: executionRolePathExemption, fails: { '3.33': 'Allowed' } },
  'kms-root-create': { mutate: keyAdministrationWithCreate, fails: { '1.5': 'Allowed' } },
  'execute-api-endpoint': {
    mutate: executeApiEndpointForAnyPrincipal,
    fails: { '4.18': 'ImplicitlyDenied' },
    problems: { '4.18': /^expected a denial by endpoint, got / },
  },
  'rate-alarms': { mutate: rateAlarmsInPercent, fails: { '6.14': 'Fail' } },
  'gpu-alarms': { mutate: gpuAlarmsInAgentDefaultNamespace, fails: { '5.12': 'ImplicitlyDenied', '5.13': 'Fail' } },
  'get-public-key': { mutate: noPublicKeyForSigners, fails: { '3.2': 'ImplicitlyDenied' } },
  'invoke-enforced': {
    mutate: invocationOnlyAlarmed,
    fails: { '4.14': 'ImplicitlyDenied', '4.15': 'ImplicitlyDenied' },
    problems: {
      '4.14': /^expected a denial by boundary:explicit, got /,
      '4.15': /^expected a denial by boundary:explicit, got /,
    },
  },
  'admission-trigger': {
    mutate: admissionOnEveryIncomingObject,
    fails: { '3.10.1': 'Fail' },
    problems: { '3.10.1': /also fires for incoming\/.*\/files\/model\.safetensors/ },
  },
  'retryable-create': { mutate: modelsBucketPlainlyRetained, fails: { '1.7': 'Fail', '1.8': 'Fail' } },
  'deploy-time-call-role': { mutate: deployTimeCallWithoutItsGrant, fails: { '7.11a': 'ImplicitlyDenied' } },
};

/** A step of the platform's journeys by id, in a world. */
function stepOf(w: JourneyWorld, id: string): Step {
  const step = journey(w, Number(id.split('.')[0])).steps.find((s) => s.id === id);
  if (!step) throw new Error(`no step ${id}`);
  return step;
}

/** The decision a step gets when it passes. */
function passing(step: Step): unknown {
  if (step.kind === 'check') return 'Pass';
  return step.expect === 'Allowed' ? 'Allowed' : expect.stringMatching(/^(Explicitly|Implicitly)Denied$/);
}

// ---------------------------------------------------------------------------------------------------------------

describe('the defects of the pre-deployment review', () => {
  test('every defect a step names is one of DEFECTS, and every defect is covered by a step (dev and production)', () => {
    const tagged = new Map<string, string[]>();
    for (const profile of ['dev', 'production'] as Profile[]) {
      for (const j of platformJourneys(world(referenceFixture(profile)))) {
        for (const s of j.steps) {
          for (const d of s.defects ?? []) tagged.set(d, [...(tagged.get(d) ?? []), `${profile} ${s.id}`]);
        }
      }
    }
    const unknown = [...tagged.entries()].filter(([d]) => !(d in DEFECTS)).map(([d, steps]) => ({ d, steps }));
    expect(unknown).toEqual([]);
    expect(Object.keys(DEFECTS).filter((d) => !tagged.has(d))).toEqual([]);
  });

  test('every defect is put back below', () => {
    expect(Object.keys(BREAKAGES).sort()).toEqual(Object.keys(DEFECTS).sort());
  });

  for (const [defect, breakage] of Object.entries(BREAKAGES) as Array<[DefectId, Breakage]>) {
    describe(`${defect}: ${DEFECTS[defect]}`, () => {
      const ids = Object.keys(breakage.fails);

      test(`the steps it breaks (${ids.join(', ')}) are tagged with it`, () => {
        for (const id of ids)
          expect({ id, defects: stepOf(base, id).defects }).toEqual({ id, defects: expect.arrayContaining([defect]) });
      });

      test('on the synthesized platform, they pass', async () => {
        for (const id of ids) {
          const step = stepOf(base, id);
          const r = await evaluateStep(base, step);
          expect({ id: r.id, outcome: r.outcome, decision: r.decision, problem: r.problem }).toEqual({
            id,
            outcome: 'pass',
            decision: passing(step),
            problem: undefined,
          });
        }
      });

      test('with the defect back, they fail', async () => {
        const copy = mutableCopy(fixture.assembly);
        breakage.mutate(copy);
        const broken = new JourneyWorld(copy, ENV);
        for (const id of ids) {
          const r = await evaluateStep(broken, stepOf(broken, id));
          expect({ id: r.id, outcome: r.outcome, decision: r.decision }).toEqual({
            id,
            outcome: 'fail',
            decision: breakage.fails[id],
          });
          const problem = breakage.problems?.[id];
          if (problem) expect({ id, problem: r.problem }).toEqual({ id, problem: expect.stringMatching(problem) });
        }
      });
    });
  }
});
