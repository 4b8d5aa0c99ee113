/**
 * Issue #15, both ways on the whole reference platform (every cdk-nag pack and our Guard rules,
 * findings as errors): without `network.s3PrefixListId` the region's S3 list is looked up when the
 * platform deploys; with it, the given id is used and nothing is looked up. Either way, no security
 * group sends anything to 0.0.0.0/0, and every workload group's egress is inline (so EC2 never gives
 * it the default allow-all rule, which ZTAI_ISOLATION_SG_NO_ALLOW_ALL_EGRESS refuses).
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadPlatformConfig } from '../../lib/config/load-config';
import { PlatformConfig } from '../../lib/config/platform-config';
import { runCfnGuard } from '../helpers/guard';
import { synthesizedReference } from '../helpers/reference-fixture';
import { resourcesOfType } from '../helpers/stacks';

const S3_PREFIX_LIST = 'pl-6da54004';

function synth(config: PlatformConfig) {
  const reference = synthesizedReference(config);
  const files = fs.readdirSync(reference.directory).filter((f) => f.endsWith('.template.json'));
  const templates = files.map((f) => JSON.parse(fs.readFileSync(path.join(reference.directory, f), 'utf8')));
  const all = (type: string) => templates.flatMap((t) => resourcesOfType(t, type));
  return { reference, files, all };
}

describe.each([
  ['without s3PrefixListId (looked up at deploy time)', undefined],
  ['with s3PrefixListId', S3_PREFIX_LIST],
])('reference platform %s', (_title, s3PrefixListId) => {
  let result: ReturnType<typeof synth>;
  beforeAll(() => {
    const config = loadPlatformConfig();
    result = synth({ ...config, network: { ...config.network, s3PrefixListId } });
  });

  test('synthesizes with every nag pack and Guard rule, no unacknowledged finding', () => {
    expect(result.reference.validationError).toBeUndefined();
    const failures = runCfnGuard(result.files.map((f) => path.join(result.reference.directory, f)));
    expect([...failures.values()].flatMap((rules) => [...rules])).toEqual([]);
  });

  test('no security group egress to 0.0.0.0/0 or ::/0, and no standalone egress rule', () => {
    expect(result.all('AWS::EC2::SecurityGroupEgress')).toEqual([]);
    const open = result
      .all('AWS::EC2::SecurityGroup')
      .flatMap(([id, g]) => (g.Properties.SecurityGroupEgress ?? []).map((r: any) => ({ id, ...r })))
      .filter((r) => r.CidrIp === '0.0.0.0/0' || r.CidrIpv6 === '::/0');
    expect(open).toEqual([]);
  });

  test('S3 egress goes to the given list, or to the list the lookup reads', () => {
    const s3Rules = result
      .all('AWS::EC2::SecurityGroup')
      .flatMap(([, g]) => (g.Properties.SecurityGroupEgress ?? []) as any[])
      .filter((r) => r.DestinationPrefixListId !== undefined);
    expect(s3Rules.length).toBeGreaterThanOrEqual(4);
    const lookups = result
      .all('Custom::AWS')
      .filter(([, r]) => JSON.stringify(r.Properties.Create).includes('describeManagedPrefixLists'));
    if (s3PrefixListId) {
      expect(lookups).toEqual([]);
      for (const r of s3Rules) expect(r.DestinationPrefixListId).toBe(S3_PREFIX_LIST);
    } else {
      expect(lookups).toHaveLength(1);
      const [[lookupId]] = lookups;
      for (const r of s3Rules) expect(JSON.stringify(r.DestinationPrefixListId)).toContain(lookupId);
    }
  });
});
