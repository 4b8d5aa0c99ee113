/**
 * The operational journeys of the platform (issue #11, "works when deployed"): deploy, image release,
 * model release, invocation, training/batch, audit and detection. Each journey lists the AWS requests
 * it makes, as AWS documents them (the page is on each step), and what must be refused. Both the
 * journey suites (test/journeys) and the review report (the Journeys section, journeys.json) evaluate
 * these definitions against a synthesized assembly.
 *
 * The journeys are written for the platform's shape (a platform stack, workload stacks of the three
 * kinds, the API and audit stacks); names come from the assembly and from lib/config/names.ts, so a
 * platform with another name or other workloads is evaluated the same way.
 */
import { AssemblyResource, CloudAssembly, findStack } from './assembly';
import { PlaceholderEnvironment } from './intrinsics';
import {
  AWS_OWNED_ACCOUNT,
  CheckOutcome,
  evaluateStep,
  ExternalActor,
  Journey,
  JourneyResult,
  JourneyWorld,
  OTHER_ACCOUNT,
  RoleActor,
  ServiceActor,
  Step,
  StepResult,
} from './journey-dsl';
import { filterPatternMatches } from './filter-pattern';
import { byString } from './json';
import { asArray } from './resolved-templates';
import {
  apiRouteRolePath,
  releaseRoleName,
  releaseRolePath,
  roleArnFromName,
  SAGEMAKER_EXECUTION_ROLE_PATH_FOR_NAMES,
  workloadRoleName,
} from '../../lib/config/names';
import { knowledgeBaseRoleName } from '../../lib/config/naming-rules';

/** AWS documentation of the requests and their context keys. */
export const DOCS = {
  globalKeys: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html',
  evaluation: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html',
  cdkDeploy: 'https://docs.aws.amazon.com/cdk/v2/guide/ref-cli-cmd-deploy.html',
  cfnDeletionPolicy: 'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html',
  cfnUpdateReplacePolicy:
    'https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-updatereplacepolicy.html',
  lambdaConcurrency: 'https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html',
  kmsKeys: 'https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html',
  kmsGrants: 'https://docs.aws.amazon.com/kms/latest/developerguide/grants.html',
  kmsKeyPolicyDefault: 'https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html',
  kmsSign: 'https://docs.aws.amazon.com/kms/latest/APIReference/API_Sign.html',
  kmsVerify: 'https://docs.aws.amazon.com/kms/latest/APIReference/API_Verify.html',
  kmsGetPublicKey: 'https://docs.aws.amazon.com/kms/latest/APIReference/API_GetPublicKey.html',
  ecrEncryption: 'https://docs.aws.amazon.com/AmazonECR/latest/userguide/encryption-at-rest.html',
  ecrPush: 'https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html',
  ecrPull: 'https://docs.aws.amazon.com/AmazonECR/latest/userguide/security_iam_id-based-policy-examples.html',
  ecrVpce: 'https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html',
  ecrRepoPolicy: 'https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policies.html',
  sagemakerRoles: 'https://docs.aws.amazon.com/sagemaker/latest/dg/sagemaker-roles.html',
  bedrockGuardrailKey: 'https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions-id.html',
  bedrockRuntimeVpce: 'https://docs.aws.amazon.com/bedrock/latest/userguide/vpc-interface-endpoints.html',
  bedrockKnowledgeBaseRole: 'https://docs.aws.amazon.com/bedrock/latest/userguide/kb-permissions.html',
  bedrockInvocationLogging: 'https://docs.aws.amazon.com/bedrock/latest/userguide/model-invocation-logging.html',
  bedrockCloudTrail: 'https://docs.aws.amazon.com/bedrock/latest/userguide/logging-using-cloudtrail.html',
  bedrockGuardrailMetrics: 'https://docs.aws.amazon.com/bedrock/latest/userguide/monitoring-guardrails-cw-metrics.html',
  cloudTrailDataEvents:
    'https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html',
  cloudTrailUserIdentity:
    'https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html',
  cwFilterPatterns: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html',
  cfnGuardHook: 'https://docs.aws.amazon.com/cloudformation-cli/latest/hooks-userguide/guard-hooks.html',
  cdkAwsCustomResource:
    'https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.custom_resources.AwsCustomResource.html',
  aossDataAccess: 'https://docs.aws.amazon.com/opensearch-service/latest/developerguide/serverless-data-access.html',
  conditionOperators:
    'https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html',
  sagemakerVpc: 'https://docs.aws.amazon.com/sagemaker/latest/dg/host-vpc.html',
  sagemakerUncompressed: 'https://docs.aws.amazon.com/sagemaker/latest/dg/large-model-inference-uncompressed.html',
  sagemakerDataCapture: 'https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture.html',
  sagemakerS3DataSource: 'https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_S3ModelDataSource.html',
  s3Actions: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html',
  s3EventBridge: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html',
  eventBridgeWildcard:
    'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-wildcard-matching',
  eventBridgeLambdaPermission:
    'https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-lambda-permissions',
  s3Keys: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html',
  s3CreateMpu: 'https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateMultipartUpload.html',
  s3UploadPart: 'https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html',
  s3UploadPartCopy: 'https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html',
  s3CompleteMpu: 'https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html',
  s3CopyObject: 'https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html',
  s3Mpu: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html',
  s3SseKms: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html',
  s3BucketKeys: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html',
  s3GatewayEndpoint: 'https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-s3.html',
  s3AccessLogs: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html',
  apiPrivate: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-private-apis.html',
  apiPolicyKeys:
    'https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies-aws-condition-keys.html',
  apiPermissions: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/permissions.html',
  apiCognito: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-integrate-with-cognito.html',
  apiMetrics: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html',
  apiLogging: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html',
  ssmVpc: 'https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-create-vpc.html',
  ssmInstance: 'https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-instance-permissions.html',
  cwNamespace: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html',
  cwAgentGpu: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Agent-NVIDIA-GPU.html',
  trailBucket: 'https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html',
  trailKms: 'https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html',
  logsKms: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html',
  snsKms: 'https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html',
  cwAlarmActions: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-actions.html',
  configBucket: 'https://docs.aws.amazon.com/config/latest/developerguide/s3-bucket-policy.html',
  configKms: 'https://docs.aws.amazon.com/config/latest/developerguide/s3-kms-key-policy.html',
  guardDutyMalwareRole:
    'https://docs.aws.amazon.com/guardduty/latest/ug/malware-protection-s3-iam-policy-prerequisite.html',
} as const;

/**
 * The defects the pre-deployment review found (issue #11), each covered by the journey steps tagged with
 * its id; test/journeys/defects.journey.test.ts puts each one back into the synthesized templates and
 * shows the step that covers it fail.
 */
export const DEFECTS = {
  'model-key-layout':
    "the endpoint's model key approved/<workload>/model.tar.gz cannot exist: the gate writes approved/<workload>/<model>/<version>/files/",
  'incoming-upload':
    'no principal can upload to incoming/ (the bucket-wide VPC-endpoint deny had no exemption for the release role)',
  'sse-ifexists':
    'uploads without SSE headers (UploadPart, CompleteMultipartUpload, the gate’s copies) were denied by …IfExists conditions',
  'ecr-layers':
    'the S3 gateway endpoint admitted the ECR layer bucket only for aws:PrincipalAccount = this account (layers are presigned by ECR)',
  'repository-push':
    'repository policies denied BatchCheckLayerAvailability/BatchGetImage to untagged principals (docker push)',
  'reserved-concurrency': 'reserved concurrency on the admission function fails on accounts with a low Lambda quota',
  'api-gateway-trust':
    'integration and account roles required aws:SourceAccount/aws:SourceArn, which API Gateway does not send',
  'endpoint-exemption': 'the VPC-endpoint deny exempted a wildcard role path for every data action',
  'kms-root-create': 'key policies gave the account root kms:Create* (so kms:CreateGrant) as “administration”',
  'execute-api-endpoint': 'the execute-api interface endpoint admitted any principal',
  'rate-alarms': 'API error-rate alarms compared a rate in [0, 1] with thresholds 5 and 1',
  'gpu-alarms': 'GPU alarms watched metrics nothing publishes',
  'get-public-key': 'nobody could kms:GetPublicKey on the signing key (offline verification failed)',
  'invoke-enforced': 'any role could call sagemaker:InvokeEndpoint on a platform endpoint (it was only alarmed on)',
  'admission-trigger':
    "a bundle's upload must reach the gate: the models bucket's events on EventBridge, a rule matching incoming/**/bundle.json only, the gate admitting that rule",
  'retryable-create': 'resources with fixed names that are plainly retained block the retry of a failed first create',
  'deploy-time-call-role':
    "the invocation-logging call ran with the role of the stack's first AwsCustomResource, which lacked its grant, under a boundary whose ceiling lacked the action",
} as const;

export type DefectId = keyof typeof DEFECTS;

/** The phases of a first deployment on an empty account; `images+models` is not a stack (push the image, admit the model). */
export const DEPLOY_PHASES = ['platform', 'images+models', 'workloads', 'api', 'audit'] as const;

/**
 * Name properties whose value is unique in the account/region: a retained resource with one blocks a retry.
 * Not here: a Cognito user pool's name, which is not unique (pools are told apart by their id; CreateUserPool
 * accepts a name in use), so the people pool's plain Retain (it has deletion protection) leaves an unused
 * pool behind a rolled-back create but never blocks the next one.
 * https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_CreateUserPool.html
 */
export const FIXED_NAME_PROPERTIES: Record<string, string> = {
  'AWS::S3::Bucket': 'BucketName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::IAM::InstanceProfile': 'InstanceProfileName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::ECR::Repository': 'RepositoryName',
  'AWS::KMS::Alias': 'AliasName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::CloudTrail::Trail': 'TrailName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::SageMaker::Endpoint': 'EndpointName',
  'AWS::SageMaker::EndpointConfig': 'EndpointConfigName',
  'AWS::SageMaker::Model': 'ModelName',
  'AWS::WAFv2::WebACL': 'Name',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::Events::Rule': 'Name',
  'AWS::SSM::Parameter': 'Name',
};

/** Every journey of the platform, resolved against an assembly. */
export function platformJourneys(w: JourneyWorld): Journey[] {
  const p = w.platformName;
  const acct = w.account;
  const region = w.region;
  const rt = w.workload('realtime');
  const batch = w.workload('batch');
  const agent = w.workload('agent');

  // Actors.
  const workloadRole = (workload: string, realtime: boolean, session: string, label: string): RoleActor => ({
    kind: 'role',
    arn: roleArnFromName(
      'aws',
      acct,
      realtime ? SAGEMAKER_EXECUTION_ROLE_PATH_FOR_NAMES : '/',
      workloadRoleName(p, workload),
    ),
    path: w.workloadRolePath(workload),
    session,
    label,
  });
  const sagemakerRole = workloadRole(rt, true, 'SageMaker', `${rt} execution role (SageMaker)`);
  const fleetRole = workloadRole(batch, false, 'i-0123456789abcdef0', `${batch} fleet instance role`);
  const agentRole = workloadRole(agent, false, agent, `${agent} agent role (Lambda)`);
  const release: RoleActor = {
    kind: 'role',
    arn: roleArnFromName('aws', acct, releaseRolePath(p), releaseRoleName(p)),
    path: `${p}-platform/ModelSigner`,
    session: 'ci-release',
    label: 'release role (CI runner)',
  };
  const admission: RoleActor = {
    kind: 'role',
    arn: roleArnFromName('aws', acct, `/${p}/model-admission/`, `${p}-model-admission-${region}`),
    path: `${p}-platform/ModelAdmission/Role`,
    session: `${p}-model-admission`,
    label: 'admission gate (Lambda in the VPC)',
  };
  const deployer: ExternalActor = {
    kind: 'external',
    arn: `arn:aws:sts::${acct}:assumed-role/cdk-hnb659fds-cfn-exec-role-${acct}-${region}/AWSCloudFormation`,
    account: acct,
    identityPolicies: [
      {
        name: 'AdministratorAccess (the CDK bootstrap execution role; outside the assembly)',
        policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
      },
    ],
    label: 'CloudFormation (CDK execution role, AdministratorAccess)',
  };
  const outsider: ExternalActor = {
    kind: 'external',
    arn: `arn:aws:sts::${OTHER_ACCOUNT}:assumed-role/intruder/session`,
    account: OTHER_ACCOUNT,
    identityPolicies: [
      {
        name: 'its own account allows everything (outside the assembly)',
        policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
      },
    ],
    label: 'a principal of another account',
  };

  // Resources.
  const models = w.bucketName(`${p}-platform/ModelsBucket`);
  const data = w.bucketName(`${p}-platform/DataBucket`);
  const modelsKey = w.keyArnByAlias(`alias/${p}/models`);
  const dataKey = w.keyArnByAlias(`alias/${p}/data`);
  const signingKey = w.keyArnByAlias(`alias/${p}/model-signing`);
  const rtRepo = w.repositoryArn(rt);
  const batchRepo = w.repositoryArn(batch);
  const model = modelCoordinates(w, rt, models);
  const version = `${rt}/${model.name}/${model.version}`;
  const incoming = (rest: string) => w.objectArn(models, `incoming/${version}/${rest}`);
  const approved = (rest: string) => w.objectArn(models, `approved/${version}/${rest}`);
  const s3Context = (bucket: string) => ({ 'kms:EncryptionContext:aws:s3:arn': w.bucketArn(bucket) });
  const sseKms = (key: string) => ({
    's3:x-amz-server-side-encryption': 'aws:kms',
    's3:x-amz-server-side-encryption-aws-kms-key-id': key,
  });
  const signing = { 'kms:SigningAlgorithm': 'ECDSA_SHA_256', 'kms:MessageType': 'DIGEST' };

  return [
    deployJourney(w, { deployer, modelsKey, rt }),
    {
      id: 2,
      slug: 'image-release',
      title: 'Image release',
      summary: `The release role pushes the model-server image from CI; the ${batch} fleet pulls it through the ECR endpoints and its layers through the S3 gateway endpoint; SageMaker pulls the ${rt} image with the execution role.`,
      steps: [
        ...[
          ['ecr:GetAuthorizationToken', '*'],
          ['ecr:BatchCheckLayerAvailability', rtRepo],
          ['ecr:InitiateLayerUpload', rtRepo],
          ['ecr:UploadLayerPart', rtRepo],
          ['ecr:CompleteLayerUpload', rtRepo],
          ['ecr:PutImage', rtRepo],
          ['ecr:BatchGetImage', rtRepo],
        ].map(([action, resource], i): Step => ({
          kind: 'request',
          id: `2.${i + 1}`,
          title: `docker push from CI: ${action}`,
          actor: release,
          action,
          resource,
          network: { outside: true },
          expect: 'Allowed',
          doc: [DOCS.ecrPush, DOCS.ecrRepoPolicy],
          defects: ['repository-push'],
        })),
        {
          kind: 'request',
          id: '2.8',
          title: `the release role may push to every workload repository (${batch})`,
          actor: release,
          action: 'ecr:PutImage',
          resource: batchRepo,
          network: { outside: true },
          expect: 'Allowed',
          doc: [DOCS.ecrPush],
          defects: ['repository-push'],
        },
        {
          kind: 'request',
          id: '2.9',
          title: 'the fleet instance gets an ECR token through the ecr.api endpoint',
          actor: fleetRole,
          action: 'ecr:GetAuthorizationToken',
          resource: '*',
          network: { endpoint: 'ecr.api' },
          expect: 'Allowed',
          doc: [DOCS.ecrVpce, DOCS.ecrPull],
        },
        ...(['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'] as const).map(
          (action, i): Step => ({
            kind: 'request',
            id: `2.${10 + i}`,
            title: `the fleet instance pulls its image through the ecr.dkr endpoint: ${action}`,
            actor: fleetRole,
            action,
            resource: batchRepo,
            network: { endpoint: 'ecr.dkr' },
            expect: 'Allowed',
            doc: [DOCS.ecrVpce, DOCS.ecrPull],
          }),
        ),
        {
          kind: 'request',
          id: '2.13',
          title:
            'image layers: the URL ECR presigned is fetched from the layer bucket through the S3 gateway endpoint (principal: ECR, not ours)',
          actor: {
            kind: 'external',
            arn: `arn:aws:sts::${AWS_OWNED_ACCOUNT}:assumed-role/ecr-layer-presigner/ecr`,
            account: AWS_OWNED_ACCOUNT,
            identityPolicies: [
              {
                name: 'ECR may read its layer bucket (AWS-owned; outside the assembly)',
                policy: {
                  Version: '2012-10-17',
                  Statement: [
                    {
                      Effect: 'Allow',
                      Action: 's3:GetObject',
                      Resource: `arn:aws:s3:::prod-${region}-starport-layer-bucket/*`,
                    },
                  ],
                },
              },
            ],
            label: 'ECR (presigned URL)',
          },
          action: 's3:GetObject',
          resource: `arn:aws:s3:::prod-${region}-starport-layer-bucket/layers/sha256-example`,
          resourceAccount: AWS_OWNED_ACCOUNT,
          network: { endpoint: 's3' },
          context: { 's3:authType': 'REST-QUERY-STRING' },
          expect: 'Allowed',
          doc: [DOCS.ecrVpce, DOCS.s3GatewayEndpoint],
          defects: ['ecr-layers'],
        },
        ...(
          [
            ['ecr:GetAuthorizationToken', '*'],
            ['ecr:BatchGetImage', rtRepo],
            ['ecr:GetDownloadUrlForLayer', rtRepo],
          ] as const
        ).map(([action, resource], i): Step => ({
          kind: 'request',
          id: `2.${14 + i}`,
          title: `SageMaker pulls the ${rt} image with the execution role: ${action}`,
          actor: sagemakerRole,
          action,
          resource,
          network: { awsNetwork: 'SageMaker' },
          expect: 'Allowed',
          doc: [DOCS.sagemakerRoles, DOCS.ecrPull],
        })),
        {
          kind: 'request',
          id: '2.17',
          title: `abuse: the ${rt} role pulls the ${batch} image`,
          actor: sagemakerRole,
          action: 'ecr:BatchGetImage',
          resource: batchRepo,
          network: { endpoint: 'ecr.dkr' },
          expect: 'Denied',
          abuse: true,
          doc: [DOCS.ecrRepoPolicy],
        },
        {
          kind: 'request',
          id: '2.18',
          title: `abuse: the ${batch} fleet role pushes an image to the ${rt} repository`,
          actor: fleetRole,
          action: 'ecr:PutImage',
          resource: rtRepo,
          network: { endpoint: 'ecr.dkr' },
          expect: 'Denied',
          abuse: true,
          doc: [DOCS.ecrRepoPolicy],
        },
        {
          kind: 'request',
          id: '2.19',
          title: `abuse: the ${rt} execution role uploads a layer to its own repository (workloads never push)`,
          actor: sagemakerRole,
          action: 'ecr:InitiateLayerUpload',
          resource: rtRepo,
          network: { endpoint: 'ecr.dkr' },
          expect: 'Denied',
          abuse: true,
          doc: [DOCS.ecrRepoPolicy],
        },
        {
          kind: 'request',
          id: '2.20',
          title: 'abuse: the fleet writes to a bucket of another account through the S3 gateway endpoint',
          actor: fleetRole,
          action: 's3:PutObject',
          resource: 'arn:aws:s3:::exfiltration-bucket/dump',
          resourceAccount: OTHER_ACCOUNT,
          network: { endpoint: 's3' },
          expect: 'Denied',
          abuse: true,
          deniedBy: 'endpoint',
          doc: [DOCS.s3GatewayEndpoint],
        },
      ],
    },
    {
      id: 3,
      slug: 'model-release',
      title: 'Model release',
      summary: `The release role signs ${model.name} ${model.version} and uploads it (multipart) and its bundle to incoming/ from CI; the admission gate verifies and copies it to approved/; SageMaker reads exactly the layout the gate writes.`,
      steps: [
        {
          kind: 'request',
          id: '3.1',
          title: 'sign the bundle digest (ztai-model sign)',
          actor: release,
          action: 'kms:Sign',
          resource: signingKey,
          network: { outside: true },
          context: signing,
          expect: 'Allowed',
          doc: [DOCS.kmsSign, DOCS.kmsKeys],
        },
        {
          kind: 'request',
          id: '3.2',
          title: 'read the public key (offline verification)',
          actor: release,
          action: 'kms:GetPublicKey',
          resource: signingKey,
          network: { outside: true },
          expect: 'Allowed',
          doc: [DOCS.kmsGetPublicKey],
          defects: ['get-public-key'],
        },
        {
          kind: 'request',
          id: '3.3',
          title: 'upload a small model file in one PUT, naming SSE-KMS with the models key',
          actor: release,
          action: 's3:PutObject',
          resource: incoming('files/config.json'),
          network: { outside: true },
          context: sseKms(modelsKey),
          expect: 'Allowed',
          doc: [DOCS.s3Actions, DOCS.s3SseKms],
          defects: ['incoming-upload'],
        },
        {
          kind: 'request',
          id: '3.4',
          title: 'CreateMultipartUpload of the weights with SSE-KMS headers naming the models key',
          actor: release,
          action: 's3:PutObject',
          resource: incoming('files/model.safetensors'),
          network: { outside: true },
          context: sseKms(modelsKey),
          expect: 'Allowed',
          doc: [DOCS.s3CreateMpu, DOCS.s3Actions],
          defects: ['incoming-upload'],
        },
        {
          kind: 'request',
          id: '3.5',
          title: 'UploadPart (s3:PutObject, no SSE headers: the upload was encrypted at CreateMultipartUpload)',
          actor: release,
          action: 's3:PutObject',
          resource: incoming('files/model.safetensors'),
          network: { outside: true },
          expect: 'Allowed',
          doc: [DOCS.s3UploadPart, DOCS.s3Actions],
          defects: ['sse-ifexists', 'incoming-upload'],
        },
        {
          kind: 'request',
          id: '3.6',
          title: 'ListParts of the upload (resume after a failure)',
          actor: release,
          action: 's3:ListMultipartUploadParts',
          resource: incoming('files/model.safetensors'),
          network: { outside: true },
          expect: 'Allowed',
          doc: [DOCS.s3Actions],
          defects: ['incoming-upload'],
        },
        {
          kind: 'request',
          id: '3.7',
          title: 'CompleteMultipartUpload (s3:PutObject, no SSE headers)',
          actor: release,
          action: 's3:PutObject',
          resource: incoming('files/model.safetensors'),
          network: { outside: true },
          expect: 'Allowed',
          doc: [DOCS.s3CompleteMpu, DOCS.s3Actions],
          defects: ['sse-ifexists', 'incoming-upload'],
        },
        ...(['kms:GenerateDataKey', 'kms:Decrypt'] as const).map((action, i): Step => ({
          kind: 'request',
          id: `3.${8 + i}`,
          title: `S3 uses the models key for the multipart upload on the release role's behalf: ${action}`,
          actor: release,
          action,
          resource: modelsKey,
          network: { via: 's3' },
          context: s3Context(models),
          expect: 'Allowed',
          doc: [DOCS.s3SseKms, DOCS.s3BucketKeys, DOCS.kmsKeys],
        })),
        {
          kind: 'request',
          id: '3.10',
          title: 'upload the signed bundle last (it triggers admission)',
          actor: release,
          action: 's3:PutObject',
          resource: incoming('bundle.json'),
          network: { outside: true },
          context: sseKms(modelsKey),
          expect: 'Allowed',
          doc: [DOCS.s3Actions],
          defects: ['incoming-upload'],
        },
        {
          kind: 'check',
          id: '3.10.1',
          title:
            'the bundle, and only the bundle, triggers the gate: bucket events to EventBridge, a rule, the gate admitting the rule',
          actor: 'S3 → EventBridge → Lambda',
          request: `Object Created for incoming/${version}/bundle.json (not for the model files)`,
          doc: [DOCS.s3EventBridge, DOCS.eventBridgeWildcard, DOCS.eventBridgeLambdaPermission],
          defects: ['admission-trigger'],
          run: () =>
            checkAdmissionTrigger(w, models, `${p}-platform/ModelAdmission`, {
              bundle: `incoming/${version}/bundle.json`,
              modelFile: `incoming/${version}/files/model.safetensors`,
            }),
        },
        {
          kind: 'request',
          id: '3.11',
          title: 'the gate reads the bundle through the S3 gateway endpoint',
          actor: admission,
          action: 's3:GetObject',
          resource: incoming('bundle.json'),
          network: { endpoint: 's3' },
          expect: 'Allowed',
          doc: [DOCS.s3Actions, DOCS.s3GatewayEndpoint],
        },
        {
          kind: 'request',
          id: '3.12',
          title: 'S3 decrypts what the gate reads with the models key',
          actor: admission,
          action: 'kms:Decrypt',
          resource: modelsKey,
          network: { via: 's3' },
          context: s3Context(models),
          expect: 'Allowed',
          doc: [DOCS.s3SseKms],
        },
        {
          kind: 'request',
          id: '3.13',
          title: 'the gate verifies the signature through the KMS endpoint',
          actor: admission,
          action: 'kms:Verify',
          resource: signingKey,
          network: { endpoint: 'kms' },
          context: signing,
          expect: 'Allowed',
          doc: [DOCS.kmsVerify, DOCS.kmsKeys],
        },
        {
          kind: 'request',
          id: '3.14',
          title: 'CopyObject source: the gate reads the weights in incoming/',
          actor: admission,
          action: 's3:GetObject',
          resource: incoming('files/model.safetensors'),
          network: { endpoint: 's3' },
          expect: 'Allowed',
          doc: [DOCS.s3CopyObject, DOCS.s3Actions],
        },
        {
          kind: 'request',
          id: '3.15',
          title: 'CopyObject to approved/ without SSE headers (the bucket default: SSE-KMS with the models key)',
          actor: admission,
          action: 's3:PutObject',
          resource: approved('files/config.json'),
          network: { endpoint: 's3' },
          expect: 'Allowed',
          doc: [DOCS.s3CopyObject, DOCS.s3SseKms],
          defects: ['sse-ifexists'],
        },
        {
          kind: 'request',
          id: '3.16',
          title: 'CopyObject to approved/ naming SSE-KMS with the models key',
          actor: admission,
          action: 's3:PutObject',
          resource: approved('files/config.json'),
          network: { endpoint: 's3' },
          context: sseKms(modelsKey),
          expect: 'Allowed',
          doc: [DOCS.s3CopyObject, DOCS.s3SseKms],
        },
        {
          kind: 'request',
          id: '3.17',
          title: 'multipart copy over 5 GiB: CreateMultipartUpload in approved/ without SSE headers',
          actor: admission,
          action: 's3:PutObject',
          resource: approved('files/model.safetensors'),
          network: { endpoint: 's3' },
          expect: 'Allowed',
          doc: [DOCS.s3CreateMpu, DOCS.s3CopyObject],
          defects: ['sse-ifexists'],
        },
        {
          kind: 'request',
          id: '3.18',
          title: 'multipart copy: UploadPartCopy (s3:PutObject on the destination, no SSE headers)',
          actor: admission,
          action: 's3:PutObject',
          resource: approved('files/model.safetensors'),
          network: { endpoint: 's3' },
          expect: 'Allowed',
          doc: [DOCS.s3UploadPartCopy, DOCS.s3Actions],
          defects: ['sse-ifexists'],
        },
        {
          kind: 'request',
          id: '3.19',
          title: 'multipart copy: CompleteMultipartUpload',
          actor: admission,
          action: 's3:PutObject',
          resource: approved('files/model.safetensors'),
          network: { endpoint: 's3' },
          expect: 'Allowed',
          doc: [DOCS.s3CompleteMpu],
          defects: ['sse-ifexists'],
        },
        {
          kind: 'request',
          id: '3.20',
          title: 'S3 encrypts the gate’s copies with the models key',
          actor: admission,
          action: 'kms:GenerateDataKey',
          resource: modelsKey,
          network: { via: 's3' },
          context: s3Context(models),
          expect: 'Allowed',
          doc: [DOCS.s3SseKms, DOCS.s3BucketKeys],
        },
        {
          kind: 'check',
          id: '3.21',
          title: `the ${rt} model reads exactly the prefix the gate writes`,
          actor: 'SageMaker CreateModel',
          request: `ModelDataSource.S3DataSource of the ${rt} model`,
          doc: [DOCS.sagemakerS3DataSource, DOCS.sagemakerUncompressed],
          defects: ['model-key-layout'],
          run: () => checkModelDataSource(w, rt, models),
        },
        {
          kind: 'request',
          id: '3.22',
          title: 'SageMaker lists the model files with the execution role (from its own network)',
          actor: sagemakerRole,
          action: 's3:ListBucket',
          resource: w.bucketArn(models),
          network: { awsNetwork: 'SageMaker' },
          context: { 's3:prefix': `approved/${version}/files/` },
          expect: 'Allowed',
          doc: [DOCS.sagemakerRoles, DOCS.sagemakerVpc, DOCS.s3Keys],
          defects: ['model-key-layout', 'endpoint-exemption'],
        },
        {
          kind: 'request',
          id: '3.23',
          title: 'SageMaker downloads the model files with the execution role (from its own network)',
          actor: sagemakerRole,
          action: 's3:GetObject',
          resource: approved('files/model.safetensors'),
          network: { awsNetwork: 'SageMaker' },
          expect: 'Allowed',
          doc: [DOCS.sagemakerRoles, DOCS.sagemakerVpc],
          defects: ['model-key-layout', 'endpoint-exemption'],
        },
        {
          kind: 'request',
          id: '3.24',
          title: 'S3 decrypts the model files for the execution role',
          actor: sagemakerRole,
          action: 'kms:Decrypt',
          resource: modelsKey,
          network: { via: 's3' },
          context: s3Context(models),
          expect: 'Allowed',
          doc: [DOCS.s3SseKms],
        },
        {
          kind: 'request',
          id: '3.25',
          title: 'abuse: the release role writes approved/ itself',
          actor: release,
          action: 's3:PutObject',
          resource: approved('files/model.safetensors'),
          network: { outside: true },
          context: sseKms(modelsKey),
          expect: 'Denied',
          abuse: true,
          deniedBy: 'resource:explicit',
          doc: [DOCS.s3Actions],
        },
        {
          kind: 'request',
          id: '3.26',
          title:
            'abuse: the release role reads approved/ from outside the VPC (its exemption is for uploads to incoming/ only)',
          actor: release,
          action: 's3:GetObject',
          resource: approved('files/model.safetensors'),
          network: { outside: true },
          expect: 'Denied',
          abuse: true,
          doc: [DOCS.s3Actions],
          defects: ['incoming-upload', 'endpoint-exemption'],
        },
        {
          kind: 'request',
          id: '3.27',
          title: `abuse: the ${rt} role writes incoming/ (through the gateway endpoint)`,
          actor: sagemakerRole,
          action: 's3:PutObject',
          resource: incoming('files/model.safetensors'),
          network: { endpoint: 's3' },
          context: sseKms(modelsKey),
          expect: 'Denied',
          abuse: true,
          doc: [DOCS.s3Actions],
        },
        {
          kind: 'request',
          id: '3.28',
          title: `abuse: the ${rt} role writes approved/ (through the gateway endpoint)`,
          actor: sagemakerRole,
          action: 's3:PutObject',
          resource: approved('files/model.safetensors'),
          network: { endpoint: 's3' },
          context: sseKms(modelsKey),
          expect: 'Denied',
          abuse: true,
          deniedBy: 'resource:explicit',
          doc: [DOCS.s3Actions],
        },
        {
          kind: 'request',
          id: '3.29',
          title: 'abuse: an upload that names SSE-S3 (AES256)',
          actor: release,
          action: 's3:PutObject',
          resource: incoming('files/config.json'),
          network: { outside: true },
          context: { 's3:x-amz-server-side-encryption': 'AES256' },
          expect: 'Denied',
          abuse: true,
          deniedBy: 'resource:explicit',
          doc: [DOCS.s3SseKms, DOCS.s3Keys],
          defects: ['sse-ifexists'],
        },
        {
          kind: 'request',
          id: '3.30',
          title: 'abuse: an upload that names SSE-KMS with another key',
          actor: release,
          action: 's3:PutObject',
          resource: incoming('files/config.json'),
          network: { outside: true },
          context: sseKms(`arn:aws:kms:${region}:${OTHER_ACCOUNT}:key/00000000-0000-0000-0000-000000000000`),
          expect: 'Denied',
          abuse: true,
          deniedBy: 'resource:explicit',
          doc: [DOCS.s3SseKms, DOCS.s3Keys],
          defects: ['sse-ifexists'],
        },
        {
          kind: 'request',
          id: '3.31',
          title: `abuse: the ${batch} fleet role reads ${rt}'s approved model from outside the VPC (the exemption names only ${rt}'s execution role)`,
          actor: fleetRole,
          action: 's3:GetObject',
          resource: approved('files/model.safetensors'),
          network: { outside: true },
          expect: 'Denied',
          abuse: true,
          doc: [DOCS.s3Actions],
          defects: ['endpoint-exemption'],
        },
        {
          kind: 'request',
          id: '3.32',
          title: `abuse: the ${rt} execution role reads incoming/ from outside the VPC (its exemption is approved/${rt}/ only)`,
          actor: sagemakerRole,
          action: 's3:GetObject',
          resource: incoming('files/model.safetensors'),
          network: { awsNetwork: 'SageMaker' },
          expect: 'Denied',
          abuse: true,
          deniedBy: 'resource:explicit',
          doc: [DOCS.s3Actions],
          defects: ['endpoint-exemption'],
        },
        {
          kind: 'request',
          id: '3.33',
          title: `abuse: the ${rt} execution role reads its data prefix from outside the VPC (its only data-bucket exemption is writing data capture)`,
          actor: sagemakerRole,
          action: 's3:GetObject',
          resource: w.objectArn(data, `workloads/${rt}/input/transactions.parquet`),
          network: { awsNetwork: 'SageMaker' },
          expect: 'Denied',
          abuse: true,
          deniedBy: 'resource:explicit',
          doc: [DOCS.s3Actions, DOCS.sagemakerVpc],
          defects: ['endpoint-exemption'],
        },
      ],
    },
    invocationJourney(w, { agentRole, sagemakerRole, fleetRole, outsider, rt, agent, batch }),
    trainingJourney(w, { fleetRole, data, dataKey, batch, rt }),
    auditJourney(w, { models, modelsKey, version }),
    // Generative AI (issue #14): only in a platform with a genai workload.
    ...(w.workloads('genai').length > 0
      ? [genaiJourney(w, { genai: w.workload('genai'), agentRole, outsider, workloadRole, data, rt })]
      : []),
  ];
}

/**
 * Journey 7, generative AI: the genai workload invokes its Bedrock model through the bedrock-runtime
 * endpoint, naming its guardrail's published version; without a guardrail, with another, or a model it
 * was not given, it is refused; it retrieves only from its own indexes; its knowledge base embeds
 * without a guardrail; invocations are logged.
 */
function genaiJourney(
  w: JourneyWorld,
  a: {
    genai: string;
    agentRole: RoleActor;
    outsider: ExternalActor;
    workloadRole: (workload: string, realtime: boolean, session: string, label: string) => RoleActor;
    /** The data bucket's name, and another workload whose prefix the knowledge base must not read. */
    data: string;
    rt: string;
  },
): Journey {
  const p = w.platformName;
  const missing = 'missing:';
  const role = a.workloadRole(a.genai, false, a.genai, `${a.genai} genai role (Lambda)`);
  const [guardrail] = w.find('AWS::Bedrock::Guardrail', `${p}-platform/Guardrail-${a.genai}`);
  const [version] = w.find('AWS::Bedrock::GuardrailVersion', `${p}-platform/Guardrail-${a.genai}`);
  const guardrailArn = guardrail ? w.index.attOf(guardrail, 'GuardrailArn') : `${missing}guardrail of ${a.genai}`;
  const identifier = `${guardrailArn}:${version ? w.index.attOf(version, 'Version') : `${missing}version`}`;
  const model = (id: string) => `arn:aws:bedrock:${w.region}::foundation-model/${id}`;
  const grantedModel = genaiModelOf(w, a.genai) ?? `${missing}model of ${a.genai}`;
  const otherModel = 'anthropic.claude-3-opus-20240229-v1:0';
  const kbRole: RoleActor = {
    kind: 'role',
    arn: roleArnFromName('aws', w.account, '/', knowledgeBaseRoleName(p, a.genai)),
    path: `${w.stackName(`workload-${a.genai}`)}/KnowledgeBase/Role`,
    session: 'bedrock-knowledge-base',
    label: `${a.genai} knowledge base role (Bedrock)`,
  };
  const embedding = 'amazon.titan-embed-text-v2:0';
  const invoke = { bedrockGuardrail: (id: string) => ({ 'bedrock:GuardrailIdentifier': id }) };
  return {
    id: 7,
    slug: 'genai',
    title: 'Generative AI',
    summary: `The ${a.genai} workload invokes its Bedrock model privately (bedrock-runtime endpoint) and only through its own guardrail; every platform role is denied model invocation without an approved guardrail (permissions boundary); it retrieves from its own indexes; invocations are logged.`,
    steps: [
      {
        kind: 'request',
        id: '7.1',
        title: `the ${a.genai} role invokes its model through the bedrock-runtime endpoint, naming its guardrail's published version`,
        actor: role,
        action: 'bedrock:InvokeModel',
        resource: model(grantedModel),
        network: { endpoint: 'bedrock-runtime' },
        context: invoke.bedrockGuardrail(identifier),
        expect: 'Allowed',
        doc: [DOCS.bedrockGuardrailKey, DOCS.bedrockRuntimeVpce],
      },
      {
        kind: 'request',
        id: '7.2',
        title: `abuse: the ${a.genai} role invokes its model without a guardrail`,
        actor: role,
        action: 'bedrock:InvokeModel',
        resource: model(grantedModel),
        network: { endpoint: 'bedrock-runtime' },
        expect: 'Denied',
        abuse: true,
        deniedBy: 'boundary:explicit',
        doc: [DOCS.bedrockGuardrailKey, DOCS.conditionOperators],
      },
      {
        kind: 'request',
        id: '7.3',
        title: `abuse: the ${a.genai} role invokes its model with a guardrail of another account`,
        actor: role,
        action: 'bedrock:InvokeModelWithResponseStream',
        resource: model(grantedModel),
        network: { endpoint: 'bedrock-runtime' },
        context: invoke.bedrockGuardrail(`arn:aws:bedrock:${w.region}:${OTHER_ACCOUNT_ID}:guardrail/weakguardrl1:1`),
        expect: 'Denied',
        abuse: true,
        deniedBy: 'boundary:explicit',
        doc: [DOCS.bedrockGuardrailKey],
      },
      {
        kind: 'request',
        id: '7.4',
        title: `abuse: the ${a.genai} role invokes its model with another guardrail of the account, or the draft of its own`,
        actor: role,
        action: 'bedrock:InvokeModel',
        resource: model(grantedModel),
        network: { endpoint: 'bedrock-runtime' },
        context: invoke.bedrockGuardrail(`${guardrailArn}:DRAFT`),
        expect: 'Denied',
        abuse: true,
        deniedBy: 'identity:explicit',
        doc: [DOCS.bedrockGuardrailKey],
      },
      {
        kind: 'request',
        id: '7.5',
        title: `abuse: the ${a.genai} role invokes a model it was not given, through its guardrail`,
        actor: role,
        action: 'bedrock:InvokeModel',
        resource: model(otherModel),
        network: { endpoint: 'bedrock-runtime' },
        context: invoke.bedrockGuardrail(identifier),
        expect: 'Denied',
        abuse: true,
        doc: [DOCS.bedrockRuntimeVpce],
      },
      {
        kind: 'request',
        id: '7.6',
        title: `abuse: the ${a.agentRole.label} invokes the ${a.genai} model through its guardrail (no grant)`,
        actor: a.agentRole,
        action: 'bedrock:InvokeModel',
        resource: model(grantedModel),
        network: { endpoint: 'bedrock-runtime' },
        context: invoke.bedrockGuardrail(identifier),
        expect: 'Denied',
        abuse: true,
        doc: [DOCS.bedrockGuardrailKey],
      },
      {
        kind: 'request',
        id: '7.7',
        title: 'abuse: a principal of another account invokes the model through the platform endpoint',
        actor: a.outsider,
        action: 'bedrock:InvokeModel',
        resource: model(grantedModel),
        network: { endpoint: 'bedrock-runtime' },
        context: invoke.bedrockGuardrail(identifier),
        expect: 'Denied',
        abuse: true,
        doc: [DOCS.bedrockRuntimeVpce],
      },
      {
        kind: 'request',
        id: '7.8',
        title: `the ${a.genai} knowledge base embeds its documents (embedding models take no guardrail)`,
        actor: kbRole,
        action: 'bedrock:InvokeModel',
        resource: model(embedding),
        network: { awsNetwork: 'Bedrock' },
        expect: 'Allowed',
        doc: [DOCS.bedrockKnowledgeBaseRole],
      },
      {
        kind: 'request',
        id: '7.8a',
        title: `the ${a.genai} knowledge base reads its workload's documents from the Bedrock service, outside the VPC endpoint (tagged knowledge-base role family)`,
        actor: kbRole,
        action: 's3:GetObject',
        resource: w.objectArn(a.data, `workloads/${a.genai}/docs/faq.md`),
        network: { awsNetwork: 'Bedrock' },
        expect: 'Allowed',
        doc: [DOCS.bedrockKnowledgeBaseRole, DOCS.s3Actions],
      },
      {
        kind: 'request',
        id: '7.8b',
        title: `abuse: the ${a.genai} knowledge base role reads the ${a.rt} prefix of the data bucket`,
        actor: kbRole,
        action: 's3:GetObject',
        resource: w.objectArn(a.data, `workloads/${a.rt}/input/transactions.parquet`),
        network: { awsNetwork: 'Bedrock' },
        expect: 'Denied',
        abuse: true,
        // The bucket's own deny, whatever the role's policies: its exemption covers the prefix its tag names only.
        deniedBy: 'resource:explicit',
        doc: [DOCS.bedrockKnowledgeBaseRole, DOCS.s3Actions],
      },
      {
        kind: 'request',
        id: '7.9',
        title: `abuse: the ${a.agentRole.label}, which does not retrieve, speaks to the vector collection`,
        actor: a.agentRole,
        action: 'aoss:APIAccessAll',
        resource: vectorCollectionArn(w) ?? `${missing}vector collection`,
        network: { awsNetwork: 'the vector store VPC endpoint (OpenSearch Serverless)' },
        expect: 'Denied',
        abuse: true,
        doc: [DOCS.aossDataAccess],
      },
      {
        kind: 'check',
        id: '7.10',
        title: `the ${a.genai} data-access policy names only its own role(s) and its own indexes (${a.genai}_*)`,
        actor: 'OpenSearch Serverless',
        request: `data-access policies of the vector collection for ${a.genai}`,
        doc: [DOCS.aossDataAccess],
        run: () => checkOwnIndexes(w, a.genai),
      },
      {
        kind: 'check',
        id: '7.11',
        title: 'model invocation logging is set, to a KMS-encrypted, retained log group and a bucket prefix',
        actor: 'Bedrock',
        request: 'the PutModelInvocationLoggingConfiguration deploy-time call and its log group',
        doc: [DOCS.bedrockInvocationLogging],
        run: () => checkInvocationLogging(w),
      },
      {
        kind: 'request',
        id: '7.11a',
        title:
          'the function that runs the deploy-time logging call (the stack’s AwsCustomResource singleton) may set the account’s invocation logging',
        actor: {
          kind: 'role',
          path: deployTimeCallRolePath(w, 'putModelInvocationLoggingConfiguration'),
          session: 'deploy-time-call',
          label: 'the AwsCustomResource function role (platform stack)',
        },
        action: 'bedrock:PutModelInvocationLoggingConfiguration',
        resource: '*',
        network: { awsNetwork: 'Lambda (outside the VPC)' },
        expect: 'Allowed',
        doc: [DOCS.bedrockInvocationLogging, DOCS.cdkAwsCustomResource],
        defects: ['deploy-time-call-role'],
      },
      {
        kind: 'check',
        id: '7.12',
        title:
          'the trail records Bedrock data events (guardrails, models, knowledge bases) beside the platform buckets’ objects, and management events, InvokeModel and Converse among them',
        actor: 'CloudTrail',
        request: 'the advanced event selectors of the audit trail',
        doc: [DOCS.bedrockCloudTrail, DOCS.cloudTrailDataEvents],
        run: () => checkBedrockTrail(w),
      },
      {
        kind: 'check',
        id: '7.13',
        title: `the alarm on Bedrock invocations fires for a principal outside the platform, not for the ${a.genai} role or its knowledge base`,
        actor: 'CloudWatch Logs',
        request: 'the metric filter of the alarm, matched against CloudTrail records of InvokeModel and Converse calls',
        doc: [DOCS.bedrockCloudTrail, DOCS.cloudTrailUserIdentity, DOCS.cwFilterPatterns],
        run: () =>
          checkBedrockInvocationAlarm(w, {
            workloadRole: role.arn ?? roleArnFromName('aws', w.account, '/', workloadRoleName(p, a.genai)),
            kbRole: kbRole.arn ?? roleArnFromName('aws', w.account, '/', knowledgeBaseRoleName(p, a.genai)),
          }),
      },
      {
        kind: 'check',
        id: '7.14',
        title: `the guardrail-interventions alarm watches the published version of the ${a.genai} guardrail and notifies the alarm topic`,
        actor: 'CloudWatch',
        request: `Namespace, MetricName and Dimensions of the ${a.genai} guardrail alarm against the guardrail and its version`,
        doc: [DOCS.bedrockGuardrailMetrics, DOCS.cwAlarmActions],
        run: () =>
          checkGuardrailAlarm(w, guardrailArn, version ? w.index.attOf(version, 'Version') : `${missing}version`),
      },
    ],
  };
}

const OTHER_ACCOUNT_ID = '444455556666';

/** The first model of a genai workload, from its grant (the Bedrock foundation-model ARNs its role may invoke). */
function genaiModelOf(w: JourneyWorld, workload: string): string | undefined {
  const stack = w.assembly.stacks.find((s) => s.stackName === w.stackName(`workload-${workload}`));
  const text = JSON.stringify(stack?.template.Resources ?? {});
  return /foundation-model\/([a-z0-9.:-]+)"/.exec(text)?.[1];
}

function vectorCollectionArn(w: JourneyWorld): string | undefined {
  const [collection] = w.index.resourcesOfType('AWS::OpenSearchServerless::Collection');
  return collection ? w.index.attOf(collection, 'Arn') : undefined;
}

/** Every data-access policy naming the workload's role admits it to its own index pattern only. */
function checkOwnIndexes(w: JourneyWorld, workload: string): CheckOutcome {
  const policies = w.index
    .resourcesOfType('AWS::OpenSearchServerless::AccessPolicy')
    .map((r) => ({ name: String(w.props(r).Name), doc: w.props(r).Policy }))
    .map((p) => ({ ...p, rules: JSON.parse(typeof p.doc === 'string' ? p.doc : JSON.stringify(p.doc)) as unknown[] }));
  const own = policies.filter((p) => JSON.stringify(p.rules).includes(`-${workload}`));
  if (own.length === 0) return { pass: false, detail: `no data-access policy names ${workload}` };
  const indexes = own.flatMap((p) =>
    (p.rules as { Rules?: { ResourceType: string; Resource: string[] }[] }[]).flatMap((r) =>
      (r.Rules ?? []).filter((x) => x.ResourceType === 'index').flatMap((x) => x.Resource),
    ),
  );
  const foreign = indexes.filter((i) => !i.endsWith(`/${workload}_*`) && !i.endsWith(`/${workload}_kb`));
  return foreign.length === 0 && indexes.length > 0
    ? { pass: true, detail: `${own.map((p) => p.name).join(', ')}: indexes ${[...new Set(indexes)].join(', ')}` }
    : { pass: false, detail: `${workload}'s data-access policy names other indexes: ${foreign.join(', ')}` };
}

/** The deploy-time call sets invocation logging to a log group that is KMS-encrypted and retained. */
/**
 * The construct path of the role a deploy-time call (`Custom::AWS` whose call names `action`) runs with: its
 * ServiceToken's function's role. CDK runs every AwsCustomResource of a stack in one singleton function, with
 * the role of the first, so this is not necessarily the role the call's construct created.
 */
function deployTimeCallRolePath(w: JourneyWorld, action: string): string {
  const call = w.index
    .resourcesOfType('Custom::AWS')
    .find((r) => JSON.stringify(r.properties.Create ?? '').includes(action));
  const logicalIdOf = (value: unknown) => (value as { 'Fn::GetAtt'?: string[] } | undefined)?.['Fn::GetAtt']?.[0];
  const fnId = logicalIdOf(call?.properties.ServiceToken);
  const fn =
    call &&
    w.index.resourcesOfType('AWS::Lambda::Function').find((r) => r.stack === call.stack && r.logicalId === fnId);
  const roleId = logicalIdOf(fn?.properties.Role);
  const role =
    fn && w.index.resourcesOfType('AWS::IAM::Role').find((r) => r.stack === fn.stack && r.logicalId === roleId);
  return role ? w.index.idOf(role) : `missing:role of the function that runs ${action}`;
}

/** The advanced event selectors of the audit trail, and the data-event resource types they record. */
function checkBedrockTrail(w: JourneyWorld): CheckOutcome {
  const [trail] = w.find('AWS::CloudTrail::Trail', w.stackName('audit'));
  if (!trail) return { pass: false, detail: 'no audit trail' };
  type Selector = { Name?: string; FieldSelectors?: { Field: string; Equals?: string[]; StartsWith?: string[] }[] };
  const selectors = asArray(w.props(trail).AdvancedEventSelectors) as Selector[];
  const equalsOf = (sel: Selector, field: string) =>
    (sel.FieldSelectors ?? []).find((f) => f.Field === field)?.Equals ?? [];
  const dataTypes = selectors
    .filter((sel) => equalsOf(sel, 'eventCategory').includes('Data'))
    .flatMap((sel) => equalsOf(sel, 'resources.type'));
  const management = selectors.some(
    (sel) => equalsOf(sel, 'eventCategory').includes('Management') && (sel.FieldSelectors ?? []).length === 1,
  );
  const wanted = ['AWS::Bedrock::Guardrail', 'AWS::Bedrock::Model', 'AWS::Bedrock::KnowledgeBase', 'AWS::S3::Object'];
  const missingTypes = wanted.filter((t) => !dataTypes.includes(t));
  if (missingTypes.length > 0 || !management)
    return {
      pass: false,
      detail: `${missingTypes.length > 0 ? `no data events of ${missingTypes.join(', ')}` : ''}${
        management ? '' : `${missingTypes.length > 0 ? '; ' : ''}management events are not all recorded`
      }`,
    };
  return { pass: true, detail: `management events; data events of ${dataTypes.join(', ')}` };
}

/**
 * A CloudTrail record of a Bedrock runtime call, as the CloudTrail record contents document it
 * (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html):
 * a role session carries its role's ARN (with its path) in `sessionContext.sessionIssuer.arn`.
 */
function bedrockRecord(
  eventName: string,
  userIdentity: Record<string, unknown>,
  eventSource = 'bedrock.amazonaws.com',
) {
  return { eventVersion: '1.09', eventSource, eventName, userIdentity, readOnly: true, eventCategory: 'Management' };
}

function roleSession(account: string, roleArn: string): Record<string, unknown> {
  const name = roleArn.split('/').pop();
  return {
    type: 'AssumedRole',
    arn: `arn:aws:sts::${account}:assumed-role/${name}/session`,
    accountId: account,
    sessionContext: { sessionIssuer: { type: 'Role', arn: roleArn, accountId: account, userName: name } },
  };
}

/** The Bedrock-invocation alarm's filter, matched against the records it must and must not count. */
function checkBedrockInvocationAlarm(w: JourneyWorld, roles: { workloadRole: string; kbRole: string }): CheckOutcome {
  const filter = w.index
    .resourcesOfType('AWS::Logs::MetricFilter')
    .find((r) =>
      JSON.stringify(w.props(r).MetricTransformations ?? '').includes('BedrockModelInvokedByNonPlatformPrincipal'),
    );
  if (!filter) return { pass: false, detail: 'no metric filter counts Bedrock invocations' };
  const pattern = String(w.props(filter).FilterPattern);
  const outsiderRole = `arn:aws:iam::${w.account}:role/DataScienceAdmin`;
  const cases: { record: unknown; what: string; fires: boolean }[] = [
    {
      record: bedrockRecord('InvokeModel', roleSession(w.account, roles.workloadRole)),
      what: 'InvokeModel by the workload role',
      fires: false,
    },
    {
      record: bedrockRecord('Converse', roleSession(w.account, roles.workloadRole)),
      what: 'Converse by the workload role',
      fires: false,
    },
    {
      record: bedrockRecord('InvokeModel', roleSession(w.account, roles.kbRole)),
      what: 'InvokeModel by the knowledge base role',
      fires: false,
    },
    {
      record: bedrockRecord('ConverseStream', roleSession(w.account, outsiderRole)),
      what: 'ConverseStream by a role outside the platform',
      fires: true,
    },
    {
      record: bedrockRecord('InvokeModelWithResponseStream', {
        type: 'IAMUser',
        arn: `arn:aws:iam::${w.account}:user/analyst`,
        accountId: w.account,
      }),
      what: 'InvokeModelWithResponseStream by an IAM user',
      fires: true,
    },
    {
      record: bedrockRecord('StartAsyncInvoke', roleSession(w.account, outsiderRole)),
      what: 'StartAsyncInvoke by a role outside the platform',
      fires: true,
    },
    {
      record: bedrockRecord('InvokeEndpoint', roleSession(w.account, outsiderRole), 'sagemaker.amazonaws.com'),
      what: 'a SageMaker InvokeEndpoint (another alarm’s)',
      fires: false,
    },
  ];
  const wrong = cases.filter((c) => filterPatternMatches(pattern, c.record) !== c.fires);
  return wrong.length === 0
    ? { pass: true, detail: cases.map((c) => `${c.what}: ${c.fires ? 'alarms' : 'silent'}`).join('; ') }
    : {
        pass: false,
        detail: wrong.map((c) => `${c.what}: ${c.fires ? 'does not alarm' : 'alarms'}`).join('; '),
      };
}

/** The guardrail alarm's metric against the guardrail's ARN and published version; its action. */
function checkGuardrailAlarm(w: JourneyWorld, guardrailArn: string, version: string): CheckOutcome {
  const alarms = w.index
    .resourcesOfType('AWS::CloudWatch::Alarm')
    .filter(
      (r) => w.props(r).Namespace === 'AWS/Bedrock/Guardrails' && w.props(r).MetricName === 'InvocationsIntervened',
    );
  const dims = (r: AssemblyResource) =>
    Object.fromEntries(
      (asArray(w.props(r).Dimensions) as { Name: string; Value: unknown }[]).map((d) => [d.Name, String(d.Value)]),
    );
  const alarm = alarms.find((r) => dims(r).GuardrailArn === guardrailArn);
  if (!alarm) return { pass: false, detail: `no InvocationsIntervened alarm on GuardrailArn ${guardrailArn}` };
  const d = dims(alarm);
  const problems: string[] = [];
  if (d.GuardrailVersion !== version)
    problems.push(`GuardrailVersion is ${d.GuardrailVersion}, the published version is ${version}`);
  if (Object.keys(d).length !== 2)
    problems.push(`dimensions ${Object.keys(d).join(', ')}: Bedrock publishes GuardrailArn with GuardrailVersion`);
  if (!asArray(w.props(alarm).AlarmActions).some((x) => String(x).startsWith('arn:aws:sns:')))
    problems.push('the alarm has no SNS action');
  return problems.length === 0
    ? {
        pass: true,
        detail: `${String(w.props(alarm).AlarmName)}: InvocationsIntervened of ${guardrailArn} version ${version}`,
      }
    : { pass: false, detail: problems.join('; ') };
}

function checkInvocationLogging(w: JourneyWorld): CheckOutcome {
  const call = w.index
    .resourcesOfType('Custom::AWS')
    .find((r) => JSON.stringify(w.props(r).Create ?? '').includes('putModelInvocationLoggingConfiguration'));
  if (!call) return { pass: false, detail: 'no deploy-time call sets model invocation logging' };
  const groups = w.find('AWS::Logs::LogGroup', `${w.platformName}-platform/ModelInvocationLogging/LogGroup`);
  const group = groups[0];
  if (!group) return { pass: false, detail: 'no invocation-log group' };
  const props = w.props(group);
  const ok = props.KmsKeyId !== undefined && props.RetentionInDays !== undefined;
  return ok
    ? {
        pass: true,
        detail: `invocation logs to ${w.index.refOf(group)} (KMS, ${String(props.RetentionInDays)} days) and the data bucket`,
      }
    : { pass: false, detail: 'the invocation-log group is not KMS-encrypted and retained' };
}
function deployJourney(w: JourneyWorld, a: { deployer: ExternalActor; modelsKey: string; rt: string }): Journey {
  return {
    id: 1,
    slug: 'deploy',
    title: 'Deploy',
    summary:
      'The order `cdk deploy --all` takes, what must exist before each stack, the phased path of a first deployment (platform → push image + admit model → workloads → api → audit), and a failed first create that can be retried.',
    steps: [
      {
        kind: 'check',
        id: '1.1',
        title: '`cdk deploy --all` deploys the stacks in the order of their dependencies',
        actor: 'cdk deploy --all',
        request: 'stack order from the assembly manifest',
        doc: [DOCS.cdkDeploy],
        run: () => {
          const order = deployOrder(w.assembly);
          return order.ok
            ? { pass: true, detail: order.order.join(' → ') }
            : { pass: false, detail: `dependency cycle or unknown stack: ${order.problem}` };
        },
      },
      {
        kind: 'check',
        id: '1.2',
        title: 'the phased path of a first deployment respects every stack dependency',
        actor: 'deployer',
        request: `phases ${DEPLOY_PHASES.join(' → ')}`,
        doc: [DOCS.cdkDeploy],
        run: () => checkPhases(w),
      },
      {
        kind: 'check',
        id: '1.3',
        title: 'what must exist before each workload stack, and the phase that provides it',
        actor: 'deployer',
        request: 'images pushed and models admitted before the workload stacks',
        doc: [DOCS.sagemakerRoles, DOCS.ecrPush],
        run: () => checkPrerequisites(w),
      },
      {
        kind: 'request',
        id: '1.4',
        title: 'CloudFormation creates an encrypted repository: ECR creates its grant on the models key',
        actor: a.deployer,
        action: 'kms:CreateGrant',
        resource: a.modelsKey,
        network: { via: 'ecr' },
        context: { 'kms:GrantIsForAWSResource': 'true' },
        expect: 'Allowed',
        doc: [DOCS.ecrEncryption, DOCS.kmsGrants, DOCS.kmsKeys],
        defects: ['kms-root-create'],
      },
      {
        kind: 'request',
        id: '1.5',
        title: 'abuse: the deployer creates a grant on the models key directly (not for an AWS resource)',
        actor: a.deployer,
        action: 'kms:CreateGrant',
        resource: a.modelsKey,
        network: { outside: true },
        context: { 'kms:GrantIsForAWSResource': 'false' },
        expect: 'Denied',
        abuse: true,
        doc: [DOCS.kmsGrants, DOCS.kmsKeys],
        defects: ['kms-root-create'],
      },
      {
        kind: 'request',
        id: '1.6',
        title: 'abuse: the deployer decrypts with the models key directly',
        actor: a.deployer,
        action: 'kms:Decrypt',
        resource: a.modelsKey,
        network: { outside: true },
        expect: 'Denied',
        abuse: true,
        doc: [DOCS.kmsKeys],
      },
      {
        kind: 'check',
        id: '1.7',
        title: 'a rolled-back first create leaves no resource with a fixed name behind',
        actor: 'CloudFormation rollback',
        request: 'DeletionPolicy of every resource with a fixed name: RetainExceptOnCreate or Delete',
        doc: [DOCS.cfnDeletionPolicy],
        defects: ['retryable-create'],
        run: () => checkFixedNames(w),
      },
      {
        kind: 'check',
        id: '1.8',
        title: 'keys and buckets are retained on delete and on replacement, deleted when their own create rolls back',
        actor: 'CloudFormation rollback',
        request: 'every KMS key and S3 bucket: DeletionPolicy RetainExceptOnCreate, UpdateReplacePolicy Retain',
        doc: [DOCS.cfnDeletionPolicy, DOCS.cfnUpdateReplacePolicy],
        defects: ['retryable-create'],
        run: () => checkKeysAndBuckets(w),
      },
      {
        kind: 'check',
        id: '1.9',
        title: 'no function reserves concurrency by default (accounts with a low Lambda quota cannot)',
        actor: 'CloudFormation',
        request: 'ReservedConcurrentExecutions of every Lambda function',
        doc: [DOCS.lambdaConcurrency],
        defects: ['reserved-concurrency'],
        run: () => {
          const reserved = w.index
            .resourcesOfType('AWS::Lambda::Function')
            .filter((f) => w.props(f).ReservedConcurrentExecutions !== undefined)
            .map((f) => `${w.index.idOf(f)} (${String(w.props(f).ReservedConcurrentExecutions)})`);
          return reserved.length === 0
            ? { pass: true, detail: 'no function reserves concurrency' }
            : { pass: false, detail: `reserve concurrency: ${reserved.join(', ')}` };
        },
      },
      ...guardHookUploadSteps(w),
    ],
  };
}

/**
 * Production: the governance stack's deploy-time call uploads the Guard rules the hook reads, from its
 * AwsCustomResource function (outside the VPC), with the role that function runs with, SSE-KMS with the
 * hook's key as the rules bucket demands.
 */
function guardHookUploadSteps(w: JourneyWorld): Step[] {
  const p = w.platformName;
  const [bucket] = w.find('AWS::S3::Bucket', `${p}-governance/GuardHook/RulesBucket`);
  const bucketName = bucket ? w.index.refOf(bucket) : 'missing:rules bucket';
  const [key] = w.find('AWS::KMS::Key', `${p}-governance/GuardHookKey`);
  const keyArn = key ? w.index.attOf(key, 'Arn') : 'missing:guard hook key';
  const uploader: RoleActor = {
    kind: 'role',
    path: deployTimeCallRolePath(w, 'putObject'),
    session: 'deploy-time-call',
    label: 'the AwsCustomResource function role (governance stack)',
  };
  const hook: RoleActor = {
    kind: 'role',
    path: `${p}-governance/GuardHook/ExecutionRole`,
    session: 'cloudformation-hook',
    label: 'the Guard hook’s execution role',
  };
  const network = { awsNetwork: 'Lambda (outside the VPC)' };
  return [
    {
      kind: 'request',
      id: '1.10',
      title: 'the Guard hook’s deploy-time call uploads the rules, SSE-KMS with the hook’s key, as the function’s role',
      actor: uploader,
      action: 's3:PutObject',
      resource: w.objectArn(bucketName, 'guard-rules/ztai-policy.guard'),
      network,
      context: {
        's3:x-amz-server-side-encryption': 'aws:kms',
        's3:x-amz-server-side-encryption-aws-kms-key-id': keyArn,
      },
      expect: 'Allowed',
      doc: [DOCS.s3Actions, DOCS.cdkAwsCustomResource],
      profile: 'production',
    },
    {
      kind: 'request',
      id: '1.11',
      title: 'S3 encrypts the uploaded rules with the hook’s key for that role',
      actor: uploader,
      action: 'kms:GenerateDataKey',
      resource: keyArn,
      network,
      context: {
        'kms:ViaService': `s3.${w.region}.amazonaws.com`,
        'kms:EncryptionContext:aws:s3:arn': w.bucketArn(bucketName),
      },
      expect: 'Allowed',
      doc: [DOCS.s3Actions, DOCS.cdkAwsCustomResource],
      profile: 'production',
    },
    {
      kind: 'request',
      id: '1.12',
      title: 'the hook reads the rules version it pins, with its execution role',
      actor: hook,
      action: 's3:GetObjectVersion',
      resource: w.objectArn(bucketName, 'guard-rules/ztai-policy.guard'),
      network: { awsNetwork: 'CloudFormation hooks' },
      expect: 'Allowed',
      doc: [DOCS.cfnGuardHook, DOCS.s3Actions],
      profile: 'production',
    },
    {
      kind: 'request',
      id: '1.13',
      title: 'S3 decrypts the rules with the hook’s key for its execution role',
      actor: hook,
      action: 'kms:Decrypt',
      resource: keyArn,
      network: { awsNetwork: 'CloudFormation hooks' },
      context: {
        'kms:ViaService': `s3.${w.region}.amazonaws.com`,
        'kms:EncryptionContext:aws:s3:arn': w.bucketArn(bucketName),
      },
      expect: 'Allowed',
      doc: [DOCS.cfnGuardHook, DOCS.s3Actions],
      profile: 'production',
    },
    {
      kind: 'request',
      id: '1.14',
      title: 'abuse: the hook’s execution role reads the platform’s data bucket',
      actor: hook,
      action: 's3:GetObject',
      resource: w.objectArn(w.bucketName(`${p}-platform/DataBucket`), 'workloads/any/input.csv'),
      network: { awsNetwork: 'CloudFormation hooks' },
      expect: 'Denied',
      abuse: true,
      doc: [DOCS.cfnGuardHook, DOCS.s3Actions],
      profile: 'production',
    },
  ];
}

function invocationJourney(
  w: JourneyWorld,
  a: {
    agentRole: RoleActor;
    sagemakerRole: RoleActor;
    fleetRole: RoleActor;
    outsider: ExternalActor;
    rt: string;
    agent: string;
    batch: string;
  },
): Journey {
  const p = w.platformName;
  const machine = w.route('private', a.rt);
  const people = w.route('people', a.rt);
  const missing = 'missing:';
  const routeArn = machine?.arn ?? `${missing}private API route of ${a.rt}`;
  const peopleArn = people?.arn ?? `${missing}people API route of ${a.rt}`;
  const routeRole = (route: typeof machine, label: string): RoleActor => ({
    kind: 'role',
    arn: route?.integrationRoleArn ?? `${missing}integration role of ${label}`,
    arnLike: `arn:aws:iam::${w.account}:role${apiRouteRolePath(p)}*`,
    session: 'apigateway',
    label: `${label} integration role`,
  });
  const machineRole = routeRole(machine, 'private route');
  const peopleRole = routeRole(people, 'people route');
  const apiGateway: ServiceActor = { kind: 'service', service: 'apigateway.amazonaws.com', label: 'API Gateway' };
  const endpointArn = w.sagemakerEndpointArn(a.rt);
  const accountRole = w.index.resourcesOfType('AWS::ApiGateway::Account')[0];
  const accountRoleArn = accountRole
    ? String(w.props(accountRole).CloudWatchRoleArn)
    : `${missing}API Gateway account CloudWatch role`;
  const capture = dataCapture(w, a.rt);
  const otherRoute = machine
    ? `${machine.arn.slice(0, -machine.path.length - machine.method.length - 1)}GET${machine.path}`
    : routeArn;
  return {
    id: 4,
    slug: 'invocation',
    title: 'Invocation',
    summary: `The ${a.agent} agent calls the private API with SigV4 through the execute-api endpoint; API Gateway assumes the route's role and invokes the ${a.rt} endpoint; a person calls the people API with a Cognito token. Nothing else reaches the model.`,
    steps: [
      {
        kind: 'request',
        id: '4.1',
        title: `the ${a.agent} agent invokes its route through the execute-api endpoint`,
        actor: a.agentRole,
        action: 'execute-api:Invoke',
        resource: routeArn,
        network: { endpoint: 'execute-api' },
        expect: 'Allowed',
        doc: [DOCS.apiPrivate, DOCS.apiPolicyKeys],
      },
      {
        kind: 'request',
        id: '4.2',
        title: 'API Gateway assumes the route’s integration role (it sends no aws:SourceAccount / aws:SourceArn)',
        actor: apiGateway,
        action: 'sts:AssumeRole',
        resource: machineRole.arn!,
        network: { awsNetwork: 'API Gateway' },
        expect: 'Allowed',
        doc: [DOCS.apiPermissions],
        defects: ['api-gateway-trust'],
      },
      {
        kind: 'request',
        id: '4.3',
        title: `the integration role invokes the ${a.rt} endpoint`,
        actor: machineRole,
        action: 'sagemaker:InvokeEndpoint',
        resource: endpointArn,
        network: { awsNetwork: 'API Gateway' },
        expect: 'Allowed',
        doc: [DOCS.apiPermissions, DOCS.sagemakerRoles],
      },
      {
        kind: 'check',
        id: '4.4',
        title: 'the people API requires a Cognito user-pool token on the route',
        actor: 'API Gateway',
        request: `AuthorizationType and authorizer of the people route of ${a.rt}`,
        doc: [DOCS.apiCognito],
        run: () => checkCognitoRoute(w, people),
      },
      {
        kind: 'request',
        id: '4.5',
        title: 'a person (Cognito token, no SigV4) calls the people API route from the internet',
        actor: { kind: 'anonymous', label: 'a person with a Cognito token' },
        action: 'execute-api:Invoke',
        resource: peopleArn,
        network: { outside: true },
        expect: 'Allowed',
        doc: [DOCS.apiCognito, DOCS.apiPolicyKeys],
      },
      {
        kind: 'request',
        id: '4.6',
        title: 'API Gateway assumes the people route’s integration role',
        actor: apiGateway,
        action: 'sts:AssumeRole',
        resource: peopleRole.arn!,
        network: { awsNetwork: 'API Gateway' },
        expect: 'Allowed',
        doc: [DOCS.apiPermissions],
        defects: ['api-gateway-trust'],
      },
      {
        kind: 'request',
        id: '4.7',
        title: `the people route's integration role invokes the ${a.rt} endpoint`,
        actor: peopleRole,
        action: 'sagemaker:InvokeEndpoint',
        resource: endpointArn,
        network: { awsNetwork: 'API Gateway' },
        expect: 'Allowed',
        doc: [DOCS.apiPermissions],
      },
      {
        kind: 'request',
        id: '4.8',
        title: 'API Gateway assumes the account’s CloudWatch logging role',
        actor: apiGateway,
        action: 'sts:AssumeRole',
        resource: accountRoleArn,
        network: { awsNetwork: 'API Gateway' },
        expect: 'Allowed',
        doc: [DOCS.apiLogging, DOCS.apiPermissions],
        defects: ['api-gateway-trust'],
      },
      {
        kind: 'request',
        id: '4.9',
        title: 'abuse: the agent calls its route from outside the execute-api endpoint',
        actor: a.agentRole,
        action: 'execute-api:Invoke',
        resource: routeArn,
        network: { outside: true },
        expect: 'Denied',
        abuse: true,
        deniedBy: 'resource:explicit',
        doc: [DOCS.apiPrivate, DOCS.apiPolicyKeys],
      },
      {
        kind: 'request',
        id: '4.10',
        title: 'abuse: the agent calls another route (GET)',
        actor: a.agentRole,
        action: 'execute-api:Invoke',
        resource: otherRoute,
        network: { endpoint: 'execute-api' },
        expect: 'Denied',
        abuse: true,
        doc: [DOCS.apiPolicyKeys],
      },
      {
        kind: 'request',
        id: '4.11',
        title: `abuse: the ${a.batch} role calls the ${a.rt} route`,
        actor: a.fleetRole,
        action: 'execute-api:Invoke',
        resource: routeArn,
        network: { endpoint: 'execute-api' },
        expect: 'Denied',
        abuse: true,
        deniedBy: 'resource:explicit',
        doc: [DOCS.apiPolicyKeys],
      },
      {
        kind: 'request',
        id: '4.12',
        title: 'abuse: a principal of another account calls the route through the platform’s execute-api endpoint',
        actor: a.outsider,
        action: 'execute-api:Invoke',
        resource: routeArn,
        network: { endpoint: 'execute-api' },
        expect: 'Denied',
        abuse: true,
        defects: ['execute-api-endpoint'],
        doc: [DOCS.apiPrivate],
      },
      {
        kind: 'request',
        id: '4.13',
        title:
          'abuse: a principal of another account uses the platform’s execute-api endpoint to reach its own API (a way out)',
        actor: a.outsider,
        action: 'execute-api:Invoke',
        resource: `arn:aws:execute-api:${w.region}:${OTHER_ACCOUNT}:exfil12345/prod/POST/upload`,
        network: { endpoint: 'execute-api' },
        expect: 'Denied',
        abuse: true,
        deniedBy: 'endpoint',
        defects: ['execute-api-endpoint'],
        doc: [DOCS.apiPrivate],
      },
      {
        kind: 'request',
        id: '4.14',
        title: 'abuse: the agent invokes the SageMaker endpoint directly (only API route roles may)',
        actor: a.agentRole,
        action: 'sagemaker:InvokeEndpoint',
        resource: endpointArn,
        network: { endpoint: 'sagemaker.runtime' },
        expect: 'Denied',
        abuse: true,
        deniedBy: 'boundary:explicit',
        doc: [DOCS.sagemakerRoles],
        defects: ['invoke-enforced'],
      },
      {
        kind: 'request',
        id: '4.15',
        title: `abuse: the ${a.rt} execution role invokes its own endpoint directly`,
        actor: a.sagemakerRole,
        action: 'sagemaker:InvokeEndpoint',
        resource: endpointArn,
        network: { endpoint: 'sagemaker.runtime' },
        expect: 'Denied',
        abuse: true,
        deniedBy: 'boundary:explicit',
        doc: [DOCS.sagemakerRoles],
        defects: ['invoke-enforced'],
      },
      {
        kind: 'request',
        id: '4.16',
        title: 'abuse: the agent assumes the integration role',
        actor: a.agentRole,
        action: 'sts:AssumeRole',
        resource: machineRole.arn!,
        network: { endpoint: 'sts' },
        expect: 'Denied',
        abuse: true,
        doc: [DOCS.apiPermissions],
      },
      {
        kind: 'request',
        id: '4.17',
        title: 'abuse: a person calls another route of the people API',
        actor: { kind: 'anonymous', label: 'a person with a Cognito token' },
        action: 'execute-api:Invoke',
        resource: people
          ? `${people.arn.slice(0, -people.path.length - people.method.length - 1)}GET${people.path}`
          : peopleArn,
        network: { outside: true },
        expect: 'Denied',
        abuse: true,
        doc: [DOCS.apiPolicyKeys],
      },
      {
        kind: 'request',
        id: '4.18',
        title:
          'abuse: a principal of another account reaches another API of this account through the platform’s execute-api endpoint',
        actor: a.outsider,
        action: 'execute-api:Invoke',
        resource: `arn:aws:execute-api:${w.region}:${w.account}:otherapi01/prod/GET/items`,
        network: { endpoint: 'execute-api' },
        expect: 'Denied',
        abuse: true,
        deniedBy: 'endpoint',
        defects: ['execute-api-endpoint'],
        doc: [DOCS.apiPrivate],
      },
      {
        kind: 'request',
        id: '4.19',
        title: `SageMaker captures the ${a.rt} requests and responses with the execution role (from its own network)`,
        actor: a.sagemakerRole,
        action: 's3:PutObject',
        resource: `${capture.prefixArn}AllTraffic/2025/01/01/00/capture.jsonl`,
        network: { awsNetwork: 'SageMaker' },
        context: {
          's3:x-amz-server-side-encryption': 'aws:kms',
          's3:x-amz-server-side-encryption-aws-kms-key-id': capture.keyArn,
        },
        expect: 'Allowed',
        doc: [DOCS.sagemakerDataCapture, DOCS.sagemakerRoles],
        defects: ['endpoint-exemption'],
      },
      {
        kind: 'request',
        id: '4.20',
        title: 'S3 encrypts the captured data with the capture key for the execution role',
        actor: a.sagemakerRole,
        action: 'kms:GenerateDataKey',
        resource: capture.keyArn,
        network: { via: 's3' },
        context: { 'kms:EncryptionContext:aws:s3:arn': capture.bucketArn },
        expect: 'Allowed',
        doc: [DOCS.sagemakerDataCapture, DOCS.s3SseKms],
      },
    ],
  };
}

/** Where a realtime workload's endpoint captures data: its DataCaptureConfig. */
function dataCapture(w: JourneyWorld, workload: string): { prefixArn: string; keyArn: string; bucketArn: string } {
  const [config] = w.find('AWS::SageMaker::EndpointConfig', w.stackName(`workload-${workload}`));
  const dc = config ? (w.props(config).DataCaptureConfig as Record<string, unknown> | undefined) : undefined;
  const uri = dc ? /^s3:\/\/([^/]+)\/(.*)$/.exec(String(dc.DestinationS3Uri)) : null;
  if (!dc || !uri) {
    const missing = `missing:data capture of ${workload}`;
    return { prefixArn: missing, keyArn: missing, bucketArn: missing };
  }
  const prefix = uri[2].endsWith('/') ? uri[2] : `${uri[2]}/`;
  return {
    prefixArn: w.objectArn(uri[1], prefix),
    keyArn: dc.KmsKeyId !== undefined ? w.keyArnOf(dc.KmsKeyId) : w.bucketKeyArn(uri[1]),
    bucketArn: w.bucketArn(uri[1]),
  };
}

function trainingJourney(
  w: JourneyWorld,
  a: { fleetRole: RoleActor; data: string; dataKey: string; batch: string; rt: string },
): Journey {
  const gpu = gpuAlarms(w, a.batch);
  const namespace = gpu.namespaces[0] ?? 'missing:GPU alarms of the fleet';
  const prefix = `workloads/${a.batch}/`;
  const instance = `arn:aws:ec2:${w.region}:${w.account}:instance/i-0123456789abcdef0`;
  const sourceInstance = { 'ec2:SourceInstanceARN': instance };
  return {
    id: 5,
    slug: 'training',
    title: 'Training / batch job',
    summary: `A ${a.batch} GPU instance registers with Systems Manager, reads its data prefix, writes its outputs (multipart) through the S3 gateway endpoint, and publishes the GPU metrics its alarms watch.`,
    steps: [
      {
        kind: 'request',
        id: '5.1',
        title: 'the SSM agent registers the instance through the ssm endpoint',
        actor: a.fleetRole,
        action: 'ssm:UpdateInstanceInformation',
        resource: instance,
        network: { endpoint: 'ssm' },
        context: sourceInstance,
        expect: 'Allowed',
        doc: [DOCS.ssmInstance, DOCS.ssmVpc],
      },
      ...(
        [
          ['ssmmessages:CreateControlChannel', 'ssmmessages'],
          ['ssmmessages:OpenControlChannel', 'ssmmessages'],
          ['ec2messages:GetMessages', 'ec2messages'],
        ] as const
      ).map(([action, endpoint], i): Step => ({
        kind: 'request',
        id: `5.${2 + i}`,
        title: `the SSM agent opens its channel through the ${endpoint} endpoint: ${action}`,
        actor: a.fleetRole,
        action,
        resource: '*',
        network: { endpoint },
        expect: 'Allowed',
        doc: [DOCS.ssmInstance, DOCS.ssmVpc],
      })),
      {
        kind: 'request',
        id: '5.5',
        title: 'the job lists its input prefix',
        actor: a.fleetRole,
        action: 's3:ListBucket',
        resource: w.bucketArn(a.data),
        network: { endpoint: 's3' },
        context: { 's3:prefix': `${prefix}input/` },
        expect: 'Allowed',
        doc: [DOCS.s3Keys],
      },
      {
        kind: 'request',
        id: '5.6',
        title: 'the job reads its input',
        actor: a.fleetRole,
        action: 's3:GetObject',
        resource: w.objectArn(a.data, `${prefix}input/train.jsonl`),
        network: { endpoint: 's3' },
        expect: 'Allowed',
        doc: [DOCS.s3Actions],
      },
      {
        kind: 'request',
        id: '5.7',
        title: 'S3 decrypts the input with the data key',
        actor: a.fleetRole,
        action: 'kms:Decrypt',
        resource: a.dataKey,
        network: { via: 's3' },
        context: { 'kms:EncryptionContext:aws:s3:arn': w.bucketArn(a.data) },
        expect: 'Allowed',
        doc: [DOCS.s3SseKms, DOCS.s3BucketKeys],
      },
      ...(
        [
          ['CreateMultipartUpload (bucket default encryption, no SSE headers)', DOCS.s3CreateMpu],
          ['UploadPart (no SSE headers)', DOCS.s3UploadPart],
          ['CompleteMultipartUpload', DOCS.s3CompleteMpu],
        ] as const
      ).map(([title, doc], i): Step => ({
        kind: 'request',
        id: `5.${8 + i}`,
        title: `the job writes its output: ${title}`,
        actor: a.fleetRole,
        action: 's3:PutObject',
        resource: w.objectArn(a.data, `${prefix}output/adapter.safetensors`),
        network: { endpoint: 's3' },
        expect: 'Allowed',
        doc: [doc, DOCS.s3Actions],
        defects: ['sse-ifexists'],
      })),
      {
        kind: 'request',
        id: '5.11',
        title: 'S3 encrypts the output with the data key',
        actor: a.fleetRole,
        action: 'kms:GenerateDataKey',
        resource: a.dataKey,
        network: { via: 's3' },
        context: { 'kms:EncryptionContext:aws:s3:arn': w.bucketArn(a.data) },
        expect: 'Allowed',
        doc: [DOCS.s3SseKms],
      },
      {
        kind: 'request',
        id: '5.12',
        title: 'the CloudWatch agent publishes GPU metrics in the namespace the alarms watch',
        actor: a.fleetRole,
        action: 'cloudwatch:PutMetricData',
        resource: '*',
        network: { endpoint: 'monitoring' },
        context: { 'cloudwatch:namespace': namespace },
        expect: 'Allowed',
        doc: [DOCS.cwNamespace, DOCS.cwAgentGpu],
        defects: ['gpu-alarms'],
      },
      {
        kind: 'check',
        id: '5.13',
        title: 'the GPU alarms watch what the fleet’s CloudWatch agent publishes',
        actor: 'CloudWatch',
        request: `Namespace, MetricName and Dimensions of the ${a.batch} GPU alarms against the fleet’s agent configuration and role`,
        doc: [DOCS.cwAgentGpu, DOCS.cwNamespace],
        defects: ['gpu-alarms'],
        run: () => checkGpuMetrics(w, a.batch, gpu),
      },
      {
        kind: 'request',
        id: '5.14',
        title: `abuse: the job reads ${a.rt}'s data prefix`,
        actor: a.fleetRole,
        action: 's3:GetObject',
        resource: w.objectArn(a.data, `workloads/${a.rt}/input/transactions.parquet`),
        network: { endpoint: 's3' },
        expect: 'Denied',
        abuse: true,
        doc: [DOCS.s3Actions],
      },
      {
        kind: 'request',
        id: '5.15',
        title: 'abuse: the instance role publishes metrics in another namespace',
        actor: a.fleetRole,
        action: 'cloudwatch:PutMetricData',
        resource: '*',
        network: { endpoint: 'monitoring' },
        context: { 'cloudwatch:namespace': 'AWS/EC2' },
        expect: 'Denied',
        abuse: true,
        doc: [DOCS.cwNamespace],
        defects: ['gpu-alarms'],
      },
      {
        kind: 'request',
        id: '5.16',
        title: 'abuse: the instance credentials read the data prefix from outside the VPC',
        actor: a.fleetRole,
        action: 's3:GetObject',
        resource: w.objectArn(a.data, `${prefix}input/train.jsonl`),
        network: { outside: true },
        expect: 'Denied',
        abuse: true,
        deniedBy: 'resource:explicit',
        doc: [DOCS.s3GatewayEndpoint],
      },
    ],
  };
}

function auditJourney(w: JourneyWorld, a: { models: string; modelsKey: string; version: string }): Journey {
  const p = w.platformName;
  const trail = w.trail();
  const auditBucket = trail.bucket;
  const auditKey = w.keyArnOf(trail.kmsKeyId);
  const cloudtrail: ServiceActor = { kind: 'service', service: 'cloudtrail.amazonaws.com', label: 'CloudTrail' };
  const trailSource = { 'aws:SourceArn': trail.arn, 'aws:SourceAccount': w.account };
  const otherTrail = `arn:aws:cloudtrail:${w.region}:${OTHER_ACCOUNT}:trail/other-trail`;
  const steps: Step[] = [
    {
      kind: 'request',
      id: '6.1',
      title: 'CloudTrail checks the audit bucket ACL',
      actor: cloudtrail,
      action: 's3:GetBucketAcl',
      resource: w.bucketArn(auditBucket),
      network: { awsNetwork: 'CloudTrail' },
      context: trailSource,
      expect: 'Allowed',
      doc: [DOCS.trailBucket],
    },
    {
      kind: 'request',
      id: '6.2',
      title: 'CloudTrail delivers a log file (bucket-owner-full-control, SSE-KMS with the trail’s key)',
      actor: cloudtrail,
      action: 's3:PutObject',
      resource: w.objectArn(auditBucket, `AWSLogs/${w.account}/CloudTrail/${w.region}/2025/01/01/log.json.gz`),
      network: { awsNetwork: 'CloudTrail' },
      context: {
        ...trailSource,
        's3:x-amz-acl': 'bucket-owner-full-control',
        's3:x-amz-server-side-encryption': 'aws:kms',
        's3:x-amz-server-side-encryption-aws-kms-key-id': trail.kmsKeyId,
      },
      expect: 'Allowed',
      doc: [DOCS.trailBucket, DOCS.trailKms],
      defects: ['sse-ifexists'],
    },
    {
      kind: 'request',
      id: '6.3',
      title: 'CloudTrail encrypts the log file with the audit key',
      actor: cloudtrail,
      action: 'kms:GenerateDataKey',
      resource: auditKey,
      network: { awsNetwork: 'CloudTrail' },
      context: { ...trailSource, 'kms:EncryptionContext:aws:cloudtrail:arn': trail.arn },
      expect: 'Allowed',
      doc: [DOCS.trailKms],
    },
    {
      kind: 'request',
      id: '6.4',
      title: 'abuse: another account’s trail delivers to the audit bucket',
      actor: cloudtrail,
      action: 's3:PutObject',
      resource: w.objectArn(auditBucket, `AWSLogs/${OTHER_ACCOUNT}/CloudTrail/${w.region}/2025/01/01/log.json.gz`),
      network: { awsNetwork: 'CloudTrail' },
      context: {
        'aws:SourceArn': otherTrail,
        'aws:SourceAccount': OTHER_ACCOUNT,
        's3:x-amz-acl': 'bucket-owner-full-control',
      },
      expect: 'Denied',
      abuse: true,
      doc: [DOCS.trailBucket],
    },
    {
      kind: 'request',
      id: '6.5',
      title: 'abuse: another account’s trail encrypts with the audit key',
      actor: cloudtrail,
      action: 'kms:GenerateDataKey',
      resource: auditKey,
      network: { awsNetwork: 'CloudTrail' },
      context: {
        'aws:SourceArn': otherTrail,
        'aws:SourceAccount': OTHER_ACCOUNT,
        'kms:EncryptionContext:aws:cloudtrail:arn': otherTrail,
      },
      expect: 'Denied',
      abuse: true,
      doc: [DOCS.trailKms],
    },
  ];
  const logging: ServiceActor = {
    kind: 'service',
    service: 'logging.s3.amazonaws.com',
    label: 'S3 server access logging',
  };
  w.accessLogging().forEach((l, i) => {
    steps.push({
      kind: 'request',
      id: `6.6.${i + 1}`,
      title: `S3 server access logging delivers the logs of ${l.source}`,
      actor: logging,
      action: 's3:PutObject',
      resource: w.objectArn(l.target, `${l.prefix}2025-01-01-00-00-00-EXAMPLE`),
      network: { awsNetwork: 'S3' },
      context: { 'aws:SourceArn': w.bucketArn(l.source), 'aws:SourceAccount': w.account },
      expect: 'Allowed',
      doc: [DOCS.s3AccessLogs],
    });
  });
  const firstLog = w.accessLogging()[0];
  steps.push({
    kind: 'request',
    id: '6.7',
    title: 'abuse: server access logging of another account’s bucket writes into the access-log bucket',
    actor: logging,
    action: 's3:PutObject',
    resource: firstLog ? w.objectArn(firstLog.target, `${firstLog.prefix}stolen`) : 'missing:server access logging',
    network: { awsNetwork: 'S3' },
    context: { 'aws:SourceArn': 'arn:aws:s3:::someone-elses-bucket', 'aws:SourceAccount': OTHER_ACCOUNT },
    expect: 'Denied',
    abuse: true,
    doc: [DOCS.s3AccessLogs],
  });
  const logsService: ServiceActor = {
    kind: 'service',
    service: `logs.${w.region}.amazonaws.com`,
    label: 'CloudWatch Logs',
  };
  const groups = w.index
    .resourcesOfType('AWS::Logs::LogGroup')
    .filter((g) => w.props(g).KmsKeyId !== undefined)
    .sort((x, y) => byString(w.index.idOf(x), w.index.idOf(y)));
  groups.forEach((g, i) => {
    const groupArn = w.index.attOf(g, 'Arn').replace(/:\*$/, '');
    steps.push({
      kind: 'request',
      id: `6.8.${i + 1}`,
      title: `CloudWatch Logs encrypts ${w.index.idOf(g)} with its key`,
      actor: logsService,
      action: 'kms:GenerateDataKey',
      resource: w.keyArnOf(w.props(g).KmsKeyId),
      network: { awsNetwork: 'CloudWatch Logs' },
      context: { 'kms:EncryptionContext:aws:logs:arn': groupArn },
      expect: 'Allowed',
      doc: [DOCS.logsKms],
    });
  });
  const firstGroupKey = groups[0] ? w.keyArnOf(w.props(groups[0]).KmsKeyId) : 'missing:encrypted log group';
  steps.push({
    kind: 'request',
    id: '6.9',
    title: 'abuse: CloudWatch Logs uses the key for a log group of another account',
    actor: logsService,
    action: 'kms:Decrypt',
    resource: firstGroupKey,
    network: { awsNetwork: 'CloudWatch Logs' },
    context: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${w.region}:${OTHER_ACCOUNT}:log-group:stolen` },
    expect: 'Denied',
    abuse: true,
    doc: [DOCS.logsKms],
  });
  // Alarms publish to the encrypted topic.
  const cloudwatch: ServiceActor = { kind: 'service', service: 'cloudwatch.amazonaws.com', label: 'CloudWatch alarms' };
  const alarm = w.index
    .resourcesOfType('AWS::CloudWatch::Alarm')
    .map((r) => w.props(r))
    .find((r) => asArray(r.AlarmActions).some((x) => String(x).startsWith('arn:aws:sns:')));
  const topicArn = alarm
    ? String(asArray(alarm.AlarmActions).find((x) => String(x).startsWith('arn:aws:sns:')))
    : 'missing:alarm with an SNS action';
  const alarmArn = alarm
    ? `arn:aws:cloudwatch:${w.region}:${w.account}:alarm:${String(alarm.AlarmName)}`
    : 'missing:alarm';
  const topic = w.index.resourcesOfType('AWS::SNS::Topic').find((t) => w.index.refOf(t) === topicArn);
  const topicKey = topic ? w.keyArnOf(w.props(topic).KmsMasterKeyId) : 'missing:alarm topic';
  const alarmSource = { 'aws:SourceArn': alarmArn, 'aws:SourceAccount': w.account };
  steps.push(
    {
      kind: 'request',
      id: '6.10',
      title: 'a CloudWatch alarm publishes to the alarm topic',
      actor: cloudwatch,
      action: 'sns:Publish',
      resource: topicArn,
      network: { awsNetwork: 'CloudWatch' },
      context: alarmSource,
      expect: 'Allowed',
      doc: [DOCS.cwAlarmActions, DOCS.snsKms],
    },
    ...(['kms:GenerateDataKey', 'kms:Decrypt'] as const).map((action, i): Step => ({
      kind: 'request',
      id: `6.${11 + i}`,
      title: `SNS encrypts the alarm with the topic’s key for CloudWatch: ${action}`,
      actor: cloudwatch,
      action,
      resource: topicKey,
      network: { awsNetwork: 'CloudWatch' },
      context: alarmSource,
      expect: 'Allowed',
      doc: [DOCS.snsKms],
    })),
    {
      kind: 'request',
      id: '6.13',
      title: 'abuse: an alarm of another account publishes to the alarm topic',
      actor: cloudwatch,
      action: 'sns:Publish',
      resource: topicArn,
      network: { awsNetwork: 'CloudWatch' },
      context: {
        'aws:SourceArn': `arn:aws:cloudwatch:${w.region}:${OTHER_ACCOUNT}:alarm:noise`,
        'aws:SourceAccount': OTHER_ACCOUNT,
      },
      expect: 'Denied',
      abuse: true,
      doc: [DOCS.snsKms],
    },
  );
  steps.push({
    kind: 'check',
    id: '6.14',
    title: 'the API error-rate alarms compare a rate in [0, 1] with a fraction',
    actor: 'CloudWatch alarms',
    request: 'Threshold of every alarm on the Average of AWS/ApiGateway 4XXError or 5XXError',
    doc: [DOCS.apiMetrics],
    defects: ['rate-alarms'],
    run: () => checkRateAlarms(w),
  });
  // Production profile: AWS Config and GuardDuty.
  const config: ServiceActor = { kind: 'service', service: 'config.amazonaws.com', label: 'AWS Config' };
  const configSource = { 'aws:SourceAccount': w.account };
  const scanRole: RoleActor = {
    kind: 'role',
    arn: `arn:aws:iam::${w.account}:role/${p}-malware-scan`,
    path: `${p}-audit/ThreatDetection/MalwareScanRole`,
    session: 'GuardDutyMalwareProtection',
    label: 'GuardDuty malware-scan role',
  };
  const production = 'production' as const;
  steps.push(
    ...(
      [
        ['s3:GetBucketAcl', w.bucketArn(auditBucket), {}],
        ['s3:ListBucket', w.bucketArn(auditBucket), {}],
        [
          's3:PutObject',
          w.objectArn(auditBucket, `AWSLogs/${w.account}/Config/${w.region}/2025/1/1/ConfigSnapshot/snapshot.json.gz`),
          {
            's3:x-amz-acl': 'bucket-owner-full-control',
            's3:x-amz-server-side-encryption': 'aws:kms',
            's3:x-amz-server-side-encryption-aws-kms-key-id': auditKey,
          },
        ],
      ] as const
    ).map(([action, resource, extra], i): Step => ({
      kind: 'request',
      id: `6.${15 + i}`,
      title: `AWS Config delivers to the audit bucket: ${action}`,
      actor: config,
      action,
      resource,
      network: { awsNetwork: 'AWS Config' },
      context: { ...configSource, ...extra },
      expect: 'Allowed',
      doc: [DOCS.configBucket],
      profile: production,
    })),
    {
      kind: 'request',
      id: '6.18',
      title: 'AWS Config encrypts its delivery with the audit key',
      actor: config,
      action: 'kms:GenerateDataKey',
      resource: auditKey,
      network: { awsNetwork: 'AWS Config' },
      context: configSource,
      expect: 'Allowed',
      doc: [DOCS.configKms],
      profile: production,
    },
    {
      kind: 'request',
      id: '6.19',
      title: 'GuardDuty Malware Protection assumes its scan role',
      actor: {
        kind: 'service',
        service: 'malware-protection-plan.guardduty.amazonaws.com',
        label: 'GuardDuty Malware Protection',
      },
      action: 'sts:AssumeRole',
      resource: scanRole.arn!,
      network: { awsNetwork: 'GuardDuty' },
      context: { 'aws:SourceAccount': w.account },
      expect: 'Allowed',
      doc: [DOCS.guardDutyMalwareRole],
      profile: production,
    },
    {
      kind: 'request',
      id: '6.20',
      title: 'GuardDuty reads a new model file to scan it (from its own network)',
      actor: scanRole,
      action: 's3:GetObject',
      resource: w.objectArn(a.models, `incoming/${a.version}/files/model.safetensors`),
      network: { awsNetwork: 'GuardDuty' },
      expect: 'Allowed',
      doc: [DOCS.guardDutyMalwareRole],
      profile: production,
    },
    {
      kind: 'request',
      id: '6.21',
      title: 'S3 decrypts the scanned object with the models key for GuardDuty',
      actor: scanRole,
      action: 'kms:Decrypt',
      resource: a.modelsKey,
      network: { via: 's3' },
      context: { 'kms:EncryptionContext:aws:s3:arn': w.bucketArn(a.models) },
      expect: 'Allowed',
      doc: [DOCS.guardDutyMalwareRole, DOCS.s3SseKms],
      profile: production,
    },
    {
      kind: 'request',
      id: '6.22',
      title: 'GuardDuty tags an approved copy with its scan result',
      actor: scanRole,
      action: 's3:PutObjectTagging',
      resource: w.objectArn(a.models, `approved/${a.version}/files/model.safetensors`),
      network: { awsNetwork: 'GuardDuty' },
      expect: 'Allowed',
      doc: [DOCS.guardDutyMalwareRole],
      profile: production,
    },
    {
      kind: 'request',
      id: '6.23',
      title: 'abuse: the scan role writes an approved model',
      actor: scanRole,
      action: 's3:PutObject',
      resource: w.objectArn(a.models, `approved/${a.version}/files/model.safetensors`),
      network: { awsNetwork: 'GuardDuty' },
      expect: 'Denied',
      abuse: true,
      doc: [DOCS.guardDutyMalwareRole],
      profile: production,
    },
  );
  return {
    id: 6,
    slug: 'audit',
    title: 'Audit and detection',
    summary:
      'CloudTrail, S3 server access logging, CloudWatch Logs and alarms each write where they must, through every key and bucket policy; in the production profile AWS Config and GuardDuty too.',
    steps,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Checks

/**
 * The order `cdk deploy --all` deploys stacks in, one at a time (the CLI's default concurrency): the CLI adds
 * the stacks to its deployment graph in manifest order and deploys from a first-in first-out pool of the
 * stacks whose dependencies are deployed (a stack joins the pool when its last dependency completes).
 * https://docs.aws.amazon.com/cdk/v2/guide/ref-cli-cmd-deploy.html
 */
export function deployOrder(assembly: CloudAssembly): { ok: boolean; order: string[]; problem?: string } {
  const stacks = [...assembly.stacks].sort(
    (a, b) => (a.manifestOrder ?? 0) - (b.manifestOrder ?? 0) || byString(a.artifactId, b.artifactId),
  );
  const byArtifact = new Map(stacks.map((s) => [s.artifactId, s]));
  const deps = new Map(stacks.map((s) => [s.artifactId, (s.dependencies ?? []).filter((d) => byArtifact.has(d))]));
  const done = new Set<string>();
  const queued = new Set<string>();
  const pool: string[] = [];
  const order: string[] = [];
  const refill = (): void => {
    for (const s of stacks) {
      if (!queued.has(s.artifactId) && deps.get(s.artifactId)!.every((d) => done.has(d))) {
        queued.add(s.artifactId);
        pool.push(s.artifactId);
      }
    }
  };
  refill();
  while (pool.length > 0) {
    const next = pool.shift()!;
    done.add(next);
    order.push(byArtifact.get(next)!.stackName);
    refill();
  }
  if (order.length < stacks.length) {
    return {
      ok: false,
      order,
      problem: stacks
        .filter((s) => !done.has(s.artifactId))
        .map((s) => s.stackName)
        .join(', '),
    };
  }
  return { ok: true, order };
}

/** The phase of a stack of the platform in a first deployment. */
export function phaseOf(platformName: string, stackName: string): (typeof DEPLOY_PHASES)[number] | undefined {
  if (stackName === `${platformName}-platform`) return 'platform';
  if (stackName.startsWith(`${platformName}-workload-`)) return 'workloads';
  // Further API shards (`<platform>-api-<n>`, lib/api-stack.ts apiShards) deploy with the first.
  const rest = stackName.startsWith(platformName) ? stackName.slice(platformName.length) : undefined;
  if (rest === '-api' || /^-api-[0-9]+$/.test(rest ?? '')) return 'api';
  // The governance stack (production: the deploy-time Guard hook) depends on the platform stack; it goes last,
  // with the monitoring shards (`<platform>-monitoring-<n>`), which use the audit stack's alarm topic.
  if (stackName === `${platformName}-audit` || stackName === `${platformName}-governance`) return 'audit';
  if (/^-monitoring-[0-9]+$/.test(rest ?? '')) return 'audit';
  return undefined;
}

function checkPhases(w: JourneyWorld): CheckOutcome {
  const problems: string[] = [];
  const lines: string[] = [];
  for (const stack of w.assembly.stacks) {
    const phase = phaseOf(w.platformName, stack.stackName);
    if (!phase) {
      problems.push(`${stack.stackName} is in no phase`);
      continue;
    }
    for (const dep of stack.dependencies ?? []) {
      const producer = findStack(w.assembly, dep);
      if (!producer) continue;
      const depPhase = phaseOf(w.platformName, producer.stackName);
      if (!depPhase || DEPLOY_PHASES.indexOf(depPhase) >= DEPLOY_PHASES.indexOf(phase)) {
        problems.push(`${stack.stackName} (${phase}) depends on ${producer.stackName} (${depPhase ?? 'no phase'})`);
      }
    }
    lines.push(`${stack.stackName}: ${phase}`);
  }
  return problems.length === 0
    ? { pass: true, detail: lines.join('; ') }
    : { pass: false, detail: problems.join('; ') };
}

function checkPrerequisites(w: JourneyWorld): CheckOutcome {
  const needs: string[] = [];
  const problems: string[] = [];
  for (const workload of w.workloads('realtime')) {
    const model = w.sagemakerModel(workload);
    if (!model) {
      problems.push(`${workload}: no SageMaker model`);
      continue;
    }
    const container = (w.props(model).PrimaryContainer ?? {}) as Record<string, unknown>;
    const image = String(container.Image ?? '');
    const data =
      ((container.ModelDataSource as { S3DataSource?: { S3Uri?: unknown } } | undefined)?.S3DataSource?.S3Uri as
        string | undefined) ?? (container.ModelDataUrl as string | undefined);
    const repo = /\.amazonaws\.com\/([^@:]+)[@:]/.exec(image)?.[1];
    const repoInPlatform = w
      .find('AWS::ECR::Repository', `${w.platformName}-platform/`)
      .some((r) => w.props(r).RepositoryName === repo);
    if (!repoInPlatform) problems.push(`${workload}: image ${image} is not in a repository of the platform stack`);
    const models = w.bucketName(`${w.platformName}-platform/ModelsBucket`);
    if (!data || !data.startsWith(`s3://${models}/approved/`))
      problems.push(`${workload}: model data ${data ?? '(none)'} is not under approved/ of the models bucket`);
    needs.push(
      `${w.stackName(`workload-${workload}`)} needs image ${repo ?? image} pushed and ${data ?? '?'} admitted`,
    );
  }
  return problems.length === 0
    ? { pass: true, detail: `${needs.join('; ')} (phase images+models, after platform)` }
    : { pass: false, detail: problems.join('; ') };
}

function checkFixedNames(w: JourneyWorld): CheckOutcome {
  const bad: string[] = [];
  let count = 0;
  for (const stack of w.assembly.stacks) {
    for (const [logicalId, r] of Object.entries(stack.template.Resources ?? {})) {
      const prop = FIXED_NAME_PROPERTIES[r.Type];
      if (!prop || r.Properties?.[prop] === undefined) continue;
      count++;
      const policy = r.DeletionPolicy ?? 'Delete';
      if (policy !== 'RetainExceptOnCreate' && policy !== 'Delete')
        bad.push(`${stack.stackName}/${logicalId} (${r.Type} ${prop}, DeletionPolicy ${policy})`);
    }
  }
  return bad.length === 0
    ? { pass: true, detail: `${count} resources with a fixed name, none plainly retained` }
    : {
        pass: false,
        detail: `retained even when their own create rolls back (a retry fails on the name): ${bad.join(', ')}`,
      };
}

function checkKeysAndBuckets(w: JourneyWorld): CheckOutcome {
  const bad: string[] = [];
  let count = 0;
  for (const stack of w.assembly.stacks) {
    for (const [logicalId, r] of Object.entries(stack.template.Resources ?? {})) {
      if (r.Type !== 'AWS::KMS::Key' && r.Type !== 'AWS::S3::Bucket') continue;
      count++;
      const deletion = r.DeletionPolicy ?? 'Delete';
      const replace = (r as { UpdateReplacePolicy?: string }).UpdateReplacePolicy ?? 'Delete';
      if (deletion !== 'RetainExceptOnCreate' || replace !== 'Retain')
        bad.push(`${stack.stackName}/${logicalId} (DeletionPolicy ${deletion}, UpdateReplacePolicy ${replace})`);
    }
  }
  return bad.length === 0
    ? { pass: true, detail: `${count} keys and buckets: RetainExceptOnCreate, UpdateReplacePolicy Retain` }
    : { pass: false, detail: bad.join(', ') };
}

/** The model a realtime workload's endpoint serves, from its data source; a sample when it does not follow the layout. */
export function modelCoordinates(
  w: JourneyWorld,
  workload: string,
  modelsBucket: string,
): { name: string; version: string; fromDataSource: boolean } {
  const model = w.sagemakerModel(workload);
  const uri = model ? dataSourceUri(w, model) : undefined;
  const m = uri
    ? new RegExp(`^s3://${escapeRe(modelsBucket)}/approved/${escapeRe(workload)}/([^/]+)/([^/]+)/files/$`).exec(uri)
    : null;
  return m
    ? { name: m[1], version: m[2], fromDataSource: true }
    : { name: 'model', version: '1', fromDataSource: false };
}

function dataSourceUri(w: JourneyWorld, model: ReturnType<JourneyWorld['sagemakerModel']>): string | undefined {
  const container = (w.props(model!).PrimaryContainer ?? {}) as Record<string, unknown>;
  const s3 = (container.ModelDataSource as { S3DataSource?: Record<string, unknown> } | undefined)?.S3DataSource;
  return typeof s3?.S3Uri === 'string' ? s3.S3Uri : undefined;
}

function checkModelDataSource(w: JourneyWorld, workload: string, modelsBucket: string): CheckOutcome {
  const model = w.sagemakerModel(workload);
  if (!model) return { pass: false, detail: `no SageMaker model for ${workload}` };
  const container = (w.props(model).PrimaryContainer ?? {}) as Record<string, unknown>;
  const s3 = (container.ModelDataSource as { S3DataSource?: Record<string, unknown> } | undefined)?.S3DataSource;
  const problems: string[] = [];
  if (container.ModelDataUrl !== undefined)
    problems.push(`ModelDataUrl ${String(container.ModelDataUrl)} (a compressed archive the gate never writes)`);
  if (!s3) problems.push('no ModelDataSource.S3DataSource');
  else {
    const c = modelCoordinates(w, workload, modelsBucket);
    if (!c.fromDataSource)
      problems.push(
        `S3Uri ${String(s3.S3Uri)} is not s3://${modelsBucket}/approved/${workload}/<model>/<version>/files/`,
      );
    if (s3.S3DataType !== 'S3Prefix') problems.push(`S3DataType ${String(s3.S3DataType)}, not S3Prefix`);
    if (s3.CompressionType !== 'None') problems.push(`CompressionType ${String(s3.CompressionType)}, not None`);
  }
  return problems.length === 0
    ? { pass: true, detail: `${String(s3!.S3Uri)} (S3Prefix, uncompressed)` }
    : { pass: false, detail: problems.join('; ') };
}

/**
 * S3 sends "Object Created" events to the default event bus only when the bucket's
 * `EventBridgeConfiguration` is on (https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html);
 * a rule on that bus must match the bundle's key (and not the model files, which arrive first) and target
 * the gate; Lambda runs it only if the function's resource policy admits `events.amazonaws.com` with the
 * rule as `aws:SourceArn` (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html).
 */
function checkAdmissionTrigger(
  w: JourneyWorld,
  modelsBucket: string,
  gatePath: string,
  keys: { bundle: string; modelFile: string },
): CheckOutcome {
  const bucket = w.index.bucketByName(modelsBucket);
  if (!bucket) return { pass: false, detail: `no models bucket ${modelsBucket}` };
  const notifications = (w.props(bucket).NotificationConfiguration ?? {}) as {
    EventBridgeConfiguration?: { EventBridgeEnabled?: unknown };
  };
  if (notifications.EventBridgeConfiguration?.EventBridgeEnabled !== true)
    return { pass: false, detail: `${modelsBucket} does not send its events to EventBridge` };
  const [fn] = w.find('AWS::Lambda::Function', gatePath);
  if (!fn) return { pass: false, detail: `no admission function under ${gatePath}` };
  const fnArn = w.index.attOf(fn, 'Arn');
  const fnName = w.index.refOf(fn);
  const matching = w.index.resourcesOfType('AWS::Events::Rule').filter((r) => {
    const props = w.props(r);
    const targets = asArray(props.Targets).map((t) => String((t as { Arn?: unknown }).Arn));
    return (props.State ?? 'ENABLED') === 'ENABLED' && targets.includes(fnArn);
  });
  const problems: string[] = [];
  for (const rule of matching) {
    const props = w.props(rule);
    if (props.EventBusName !== undefined && props.EventBusName !== 'default') {
      problems.push(`${w.index.idOf(rule)} is on bus ${String(props.EventBusName)}, not the default bus S3 sends to`);
      continue;
    }
    const pattern = (props.EventPattern ?? {}) as EventPattern;
    const matches = (key: string) => s3ObjectCreatedMatches(pattern, modelsBucket, key);
    if (!matches(keys.bundle)) {
      problems.push(`${w.index.idOf(rule)} does not match Object Created for ${keys.bundle}`);
      continue;
    }
    if (matches(keys.modelFile)) {
      problems.push(`${w.index.idOf(rule)} also fires for ${keys.modelFile} (admission before the bundle exists)`);
      continue;
    }
    const ruleArn = w.index.attOf(rule, 'Arn');
    const admitted = w.index.resourcesOfType('AWS::Lambda::Permission').some((perm) => {
      const pp = w.props(perm);
      return (
        [fnArn, fnName].includes(String(pp.FunctionName)) &&
        pp.Action === 'lambda:InvokeFunction' &&
        pp.Principal === 'events.amazonaws.com' &&
        pp.SourceArn === ruleArn
      );
    });
    if (!admitted) {
      problems.push(`the gate's resource policy does not admit events.amazonaws.com from ${w.index.idOf(rule)}`);
      continue;
    }
    return { pass: true, detail: `${w.index.idOf(rule)} → ${w.index.idOf(fn)} (SourceArn: the rule)` };
  }
  return {
    pass: false,
    detail: matching.length === 0 ? `no enabled rule targets ${w.index.idOf(fn)}` : problems.join('; '),
  };
}

type EventPattern = {
  source?: unknown;
  'detail-type'?: unknown;
  detail?: { bucket?: { name?: unknown }; object?: { key?: unknown } };
};

/** Whether an EventBridge pattern matches S3's "Object Created" event for `bucket`/`key` (the operators CDK emits). */
function s3ObjectCreatedMatches(pattern: EventPattern, bucket: string, key: string): boolean {
  const field = (matchers: unknown, value: string) =>
    matchers === undefined || asArray(matchers).some((m) => matcherMatches(m, value));
  return (
    field(pattern.source, 'aws.s3') &&
    field(pattern['detail-type'], 'Object Created') &&
    field(pattern.detail?.bucket?.name, bucket) &&
    field(pattern.detail?.object?.key, key)
  );
}

function matcherMatches(matcher: unknown, value: string): boolean {
  if (typeof matcher === 'string') return matcher === value;
  if (matcher && typeof matcher === 'object') {
    const m = matcher as { prefix?: unknown; suffix?: unknown; wildcard?: unknown };
    if (typeof m.prefix === 'string') return value.startsWith(m.prefix);
    if (typeof m.suffix === 'string') return value.endsWith(m.suffix);
    if (typeof m.wildcard === 'string') {
      const re = m.wildcard
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*');
      return new RegExp(`^${re}$`).test(value);
    }
  }
  return false;
}

function checkCognitoRoute(w: JourneyWorld, route: ReturnType<JourneyWorld['route']>): CheckOutcome {
  if (!route) return { pass: false, detail: 'no people API route' };
  if (route.authorizationType !== 'COGNITO_USER_POOLS')
    return { pass: false, detail: `AuthorizationType ${route.authorizationType}` };
  const authorizer = w.index
    .resourcesOfType('AWS::ApiGateway::Authorizer')
    .find((a) => w.index.refOf(a) === route.authorizerId);
  if (!authorizer) return { pass: false, detail: `authorizer ${route.authorizerId ?? '(none)'} not in the assembly` };
  const ap = w.props(authorizer);
  const pools = w.index.resourcesOfType('AWS::Cognito::UserPool').map((u) => w.index.attOf(u, 'Arn'));
  const providers = asArray(ap.ProviderARNs).map(String);
  if (ap.Type !== 'COGNITO_USER_POOLS' || providers.length === 0 || !providers.every((x) => pools.includes(x)))
    return {
      pass: false,
      detail: `authorizer ${String(ap.Type)} with providers ${providers.join(', ')} (pools: ${pools.join(', ')})`,
    };
  return { pass: true, detail: `COGNITO_USER_POOLS, authorizer on ${providers.join(', ')}` };
}

interface GpuAlarms {
  readonly alarms: Array<{ name: string; namespace: string; metric: string; dimensions: Record<string, string> }>;
  readonly namespaces: string[];
  readonly asgName?: string;
}

function gpuAlarms(w: JourneyWorld, batch: string): GpuAlarms {
  const [asg] = w.find('AWS::AutoScaling::AutoScalingGroup', w.stackName(`workload-${batch}`));
  const asgName = asg ? w.index.refOf(asg) : undefined;
  const alarms = w.index
    .resourcesOfType('AWS::CloudWatch::Alarm')
    .map((r) => w.props(r))
    .filter((p) =>
      asArray(p.Dimensions).some(
        (d) => (d as { Value?: unknown }).Value !== undefined && String((d as { Value?: unknown }).Value) === asgName,
      ),
    )
    .map((p) => ({
      name: String(p.AlarmName),
      namespace: String(p.Namespace),
      metric: String(p.MetricName),
      dimensions: Object.fromEntries(
        asArray(p.Dimensions).map((d) => [
          String((d as { Name: unknown }).Name),
          String((d as { Value: unknown }).Value),
        ]),
      ),
    }));
  return { alarms, namespaces: [...new Set(alarms.map((a) => a.namespace))].sort(byString), asgName };
}

function checkGpuMetrics(w: JourneyWorld, batch: string, gpu: GpuAlarms): CheckOutcome {
  if (gpu.alarms.length === 0)
    return { pass: false, detail: `no alarm watches the ${batch} fleet (by its Auto Scaling group)` };
  const [lt] = w.find('AWS::EC2::LaunchTemplate', w.stackName(`workload-${batch}`));
  const userData = lt
    ? w.resolver.resolveString(
        lt.stack,
        (lt.properties.LaunchTemplateData as { UserData?: unknown } | undefined)?.UserData,
      )
    : '';
  const problems: string[] = [];
  for (const alarm of gpu.alarms) {
    if (!userData.includes(alarm.namespace))
      problems.push(`${alarm.name}: namespace ${alarm.namespace} is not in the fleet's CloudWatch agent configuration`);
    const measurement = alarm.metric.replace(/^nvidia_smi_/, '');
    if (!userData.includes(measurement) || !userData.includes('nvidia_gpu'))
      problems.push(`${alarm.name}: metric ${alarm.metric} is not collected (nvidia_gpu ${measurement})`);
    for (const name of Object.keys(alarm.dimensions)) {
      if (!userData.includes(name)) problems.push(`${alarm.name}: dimension ${name} is not appended by the agent`);
    }
  }
  if (!/amazon-cloudwatch-agent-ctl[^\n]*-a (fetch-config|start)/.test(userData))
    problems.push('the user data does not start the CloudWatch agent');
  return problems.length === 0
    ? {
        pass: true,
        detail: gpu.alarms
          .map((a) => `${a.name}: ${a.namespace} ${a.metric} ${JSON.stringify(a.dimensions)}`)
          .join('; '),
      }
    : { pass: false, detail: problems.join('; ') };
}

function checkRateAlarms(w: JourneyWorld): CheckOutcome {
  const rates: string[] = [];
  const bad: string[] = [];
  for (const alarm of w.index.resourcesOfType('AWS::CloudWatch::Alarm')) {
    const p = w.props(alarm);
    const stats = [
      { namespace: p.Namespace, metric: p.MetricName, stat: p.Statistic },
      ...asArray(p.Metrics).map((m) => {
        const ms = (m as { MetricStat?: { Metric?: Record<string, unknown>; Stat?: unknown } }).MetricStat;
        return { namespace: ms?.Metric?.Namespace, metric: ms?.Metric?.MetricName, stat: ms?.Stat };
      }),
    ];
    const rate = stats.some(
      (s) => s.namespace === 'AWS/ApiGateway' && /^[45]XXError$/.test(String(s.metric)) && s.stat === 'Average',
    );
    if (!rate) continue;
    const name = String(p.AlarmName ?? w.index.idOf(alarm));
    rates.push(`${name} > ${String(p.Threshold)}`);
    if (!(Number(p.Threshold) > 0 && Number(p.Threshold) < 1)) bad.push(`${name}: Threshold ${String(p.Threshold)}`);
  }
  if (rates.length === 0) return { pass: false, detail: 'no API error-rate alarm' };
  return bad.length === 0
    ? { pass: true, detail: rates.join('; ') }
    : { pass: false, detail: `a rate in [0, 1] never exceeds these: ${bad.join('; ')}` };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---------------------------------------------------------------------------------------------------------------
// Evaluation

export interface JourneyReport {
  readonly schemaVersion: 1;
  /** False when the assembly is not a platform (no `<name>-platform` stack): no journey is evaluated. */
  readonly applicable: boolean;
  readonly environment: { readonly account: string; readonly region: string };
  readonly profile: 'dev' | 'production';
  readonly journeys: JourneyResult[];
  readonly counts: Record<'pass' | 'fail' | 'error' | 'not-applicable', number>;
}

/** Evaluate every journey (or those with the given ids) against an assembly. */
export async function evaluateJourneys(
  assembly: CloudAssembly,
  options: PlaceholderEnvironment & { only?: number[] } = {},
): Promise<JourneyReport> {
  const w = new JourneyWorld(assembly, options);
  const counts = { pass: 0, fail: 0, error: 0, 'not-applicable': 0 };
  if (!w.isPlatform) {
    return {
      schemaVersion: 1,
      applicable: false,
      environment: { account: w.account, region: w.region },
      profile: w.profile,
      journeys: [],
      counts,
    };
  }
  const journeys: JourneyResult[] = [];
  for (const j of platformJourneys(w)) {
    if (options.only && !options.only.includes(j.id)) continue;
    const steps: StepResult[] = [];
    for (const step of j.steps) steps.push(await evaluateStep(w, step));
    for (const s of steps) counts[s.outcome]++;
    journeys.push({ id: j.id, slug: j.slug, title: j.title, summary: j.summary, steps });
  }
  return {
    schemaVersion: 1,
    applicable: true,
    environment: { account: w.account, region: w.region },
    profile: w.profile,
    journeys,
    counts,
  };
}
