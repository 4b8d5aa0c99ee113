import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { PlatformEndpoint, SegmentedNetwork } from '../../../constructs/index';
import { ModelAdmissionGate, ModelSignerRole, ModelSigningKey } from '../../../constructs/integrity';
import { describeFindings, nagFindings } from '../../helpers/nag';
import {
  BUCKET,
  ENDPOINTS_SG,
  KEY_ARN,
  KMS_ENDPOINT,
  LOG_KEY_ARN,
  PRIVATE,
  S3_PREFIX_LIST,
  TeamAccount,
  teamAccount,
  warnings,
} from '../existing-account';

/** The gate added to an existing VPC (data tier, KMS endpoint), bucket and keys; only its signing key is new. */
function gateIn(t: TeamAccount): ModelAdmissionGate {
  const signer = new ModelSignerRole(t.stack, 'Signer');
  const signingKey = new ModelSigningKey(t.stack, 'SigningKey', { signers: [signer.role] });
  return new ModelAdmissionGate(t.stack, 'Gate', {
    modelsBucket: t.bucket,
    signingKey,
    network: t.network,
    logsKey: t.logKey,
  });
}

describe('ModelAdmissionGate on an imported VPC, key and bucket', () => {
  let t: TeamAccount;
  let template: Template;

  beforeAll(() => {
    t = teamAccount();
    gateIn(t);
    template = Template.fromStack(t.stack);
  });

  test('the function runs in the subnets named as the data tier, admitted to the existing endpoints', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { VpcConfig: { SubnetIds: PRIVATE } });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { GroupId: ENDPOINTS_SG, FromPort: 443 });
    template.resourceCountIs('AWS::S3::Bucket', 0);
    template.resourceCountIs('AWS::S3::BucketPolicy', 0);
  });

  test('the trigger matches the existing bucket by name', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { detail: { bucket: { name: [BUCKET] } } },
    });
  });

  test('what cannot be changed here is named for its owner: the endpoint, bucket and key policies and the EventBridge switch', () => {
    const [endpoint] = warnings(t.stack, '/Team/Gate', 'ztai:imported-endpoint-policy');
    expect(endpoint).toContain(KMS_ENDPOINT);
    expect(endpoint).toContain('"Action":"kms:Verify"');
    expect(endpoint).toContain('"Sid":"ModelSignatureVerification"');

    const [eventBridge] = warnings(t.stack, '/Team/Gate', 'ztai:bucket-eventbridge-not-enabled');
    expect(eventBridge).toContain('Send notifications to Amazon EventBridge');

    const bucketPolicy = warnings(t.stack, '/Team/Models', 'ztai:imported-bucket-policy').join('\n');
    expect(bucketPolicy).toContain('DenyApprovedModelWritesExceptAdmission');
    expect(bucketPolicy).toContain(`arn:aws:s3:::${BUCKET}/approved/*`);

    const modelsKey = warnings(t.stack, '/Team/Gate', 'ztai:imported-key-policy').join('\n');
    expect(modelsKey).toContain(KEY_ARN);
    expect(modelsKey).toContain('"kms:ViaService":"s3.eu-west-1.amazonaws.com"');
    expect(modelsKey).toContain(LOG_KEY_ARN);
    expect(modelsKey).toContain('"Service":"logs.eu-west-1.amazonaws.com"');
  });

  test('every cdk-nag pack passes', () => {
    expect(describeFindings(nagFindings(t.stack))).toBe('');
  });
});

describe('ModelAdmissionGate on an imported VPC: what the network must name', () => {
  test('without the KMS endpoint it fails, naming the endpoint', () => {
    const t = teamAccount();
    const network = SegmentedNetwork.fromVpcAttributes(t.stack, 'NoKms', {
      vpc: t.vpc,
      gpuSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      dataSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      endpointsSecurityGroup: ec2.SecurityGroup.fromSecurityGroupId(t.stack, 'Sg', ENDPOINTS_SG),
      s3PrefixListId: S3_PREFIX_LIST,
    });
    expect(() => gateIn({ ...t, network })).toThrow(
      /network must have the KMS interface endpoint \(PlatformEndpoint\.KMS\)/,
    );
  });

  test('without a data tier it fails, naming dataSubnets', () => {
    const t = teamAccount();
    const endpointsSecurityGroup = ec2.SecurityGroup.fromSecurityGroupId(t.stack, 'Sg', ENDPOINTS_SG);
    const network = SegmentedNetwork.fromVpcAttributes(t.stack, 'NoData', {
      vpc: t.vpc,
      gpuSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      endpointsSecurityGroup,
      interfaceEndpoints: [
        {
          endpoint: PlatformEndpoint.KMS,
          vpcEndpoint: ec2.InterfaceVpcEndpoint.fromInterfaceVpcEndpointAttributes(t.stack, 'Kms', {
            vpcEndpointId: KMS_ENDPOINT,
            port: 443,
          }),
        },
      ],
      s3PrefixListId: S3_PREFIX_LIST,
    });
    expect(() => gateIn({ ...t, network })).toThrow(/Team\/NoData: the data tier is needed .* set dataSubnets/);
  });
});
