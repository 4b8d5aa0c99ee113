import type { AccessMatrix } from '../../../tools/review/access-matrix';
import type { CostEstimate } from '../../../tools/review/cost';
import { diffReviews, ReviewOutputs } from '../../../tools/review/diff';
import type { Posture } from '../../../tools/review/posture';

/** A small known review: two workload roles, their prefixes, one boundary control, one nag rule. */
function baseline(): ReviewOutputs {
  const matrix: AccessMatrix = {
    schemaVersion: 1,
    environment: { account: '111111111111', region: 'us-east-1' },
    requestContext: [],
    principals: [
      {
        id: 'W/RoleA',
        arn: 'arn:aws:iam::111111111111:role/a',
        stack: 'W',
        logicalId: 'RoleA',
        workload: 'a',
        permissionsBoundary: 'arn:b',
        identityPolicies: ['p'],
        unevaluatedPolicies: [],
        trustedBy: ['Service:sagemaker.amazonaws.com'],
      },
      {
        id: 'W/RoleB',
        arn: 'arn:aws:iam::111111111111:role/b',
        stack: 'W',
        logicalId: 'RoleB',
        workload: 'b',
        permissionsBoundary: 'arn:b',
        identityPolicies: ['p'],
        unevaluatedPolicies: [],
        trustedBy: ['Service:sagemaker.amazonaws.com'],
      },
    ],
    resources: [
      { id: 'D/Bucket#a/*', kind: 'object', arn: 'arn:aws:s3:::bkt/a/x', workload: 'a', actions: ['s3:GetObject'] },
      { id: 'D/Bucket#b/*', kind: 'object', arn: 'arn:aws:s3:::bkt/b/x', workload: 'b', actions: ['s3:GetObject'] },
    ],
    cells: [
      { principal: 'W/RoleA', resource: 'D/Bucket#a/*', action: 's3:GetObject', decision: 'Allowed' },
      { principal: 'W/RoleA', resource: 'D/Bucket#b/*', action: 's3:GetObject', decision: 'ImplicitlyDenied' },
      { principal: 'W/RoleB', resource: 'D/Bucket#a/*', action: 's3:GetObject', decision: 'ImplicitlyDenied' },
      { principal: 'W/RoleB', resource: 'D/Bucket#b/*', action: 's3:GetObject', decision: 'Allowed' },
    ],
    crossWorkloadAllowed: [],
    unresolved: [],
  };
  const posture: Posture = {
    schemaVersion: 1,
    network: { vpcs: [], endpoints: [], securityGroups: [], reachability: [] },
    publicSurfaces: [],
    controls: [
      {
        subject: 'W/RoleA',
        control: 'permissions boundary',
        area: 'access controls',
        value: 'arn:b',
        rank: 1,
        required: 1,
        pass: true,
      },
      {
        subject: 'D/Bucket',
        control: 'encryption at rest',
        area: 'encryption',
        value: 'SSE-KMS (customer key)',
        rank: 3,
        required: 3,
        pass: true,
      },
    ],
    validation: {
      reportPresent: true,
      plugins: {
        AwsSolutions: {
          conclusion: 'success',
          rules: { 'AwsSolutions-S1': { open: 0, acknowledged: 1, area: 'threat monitoring' } },
        },
      },
    },
  };
  const cost: CostEstimate = {
    schemaVersion: 1,
    priceTable: { region: 'us-east-1', currency: 'USD', asOf: '2000-01', source: 'test' },
    hoursPerMonth: 730,
    lines: [
      {
        resource: 'D/Key',
        type: 'AWS::KMS::Key',
        item: 'customer managed key',
        quantity: 1,
        unit: 'key-months',
        unitPrice: 1,
        monthly: 1,
      },
    ],
    totalMonthly: 1,
    partial: false,
    totalNote: 'complete: every resource with a fixed charge is priced',
    usageRates: [],
    noFixedCharge: [],
    notPriced: [],
    notes: [],
  };
  return { matrix, posture, cost };
}

/** A deep copy to change. */
function changed(mutate: (r: { matrix: AccessMatrix; posture: Posture; cost: CostEstimate }) => void): ReviewOutputs {
  const copy = JSON.parse(JSON.stringify(baseline())) as { matrix: AccessMatrix; posture: Posture; cost: CostEstimate };
  mutate(copy);
  return copy;
}

type Mutable<T> = { -readonly [K in keyof T]: Mutable<T[K]> };

describe('diffReviews', () => {
  test('identical reviews: nothing widens, nothing removed, no reasons', () => {
    const d = diffReviews(baseline(), baseline());
    expect(d).toMatchObject({
      widensAccess: false,
      removesControl: false,
      reasons: [],
      newAllowed: [],
      cost: { delta: 0, changes: [] },
    });
  });

  test("a grant of one workload's data to another widens access and names it", () => {
    const after = changed((r) => {
      (r.matrix.cells as Mutable<AccessMatrix['cells']>)[1].decision = 'Allowed';
    });
    const d = diffReviews(baseline(), after);
    expect(d.widensAccess).toBe(true);
    expect(d.removesControl).toBe(false);
    expect(d.newAllowed).toEqual([
      {
        principal: 'W/RoleA',
        resource: 'D/Bucket#b/*',
        action: 's3:GetObject',
        was: 'ImplicitlyDenied',
        crossWorkload: true,
        principalWorkload: 'a',
        resourceWorkload: 'b',
      },
    ]);
    expect(d.reasons).toEqual([
      'CROSS-WORKLOAD new access: W/RoleA (workload a) may s3:GetObject on D/Bucket#b/* (workload b) (was ImplicitlyDenied)',
    ]);
  });

  test('revoking access is reported but neither widens nor removes a control', () => {
    const after = changed((r) => {
      (r.matrix.cells as Mutable<AccessMatrix['cells']>)[0].decision = 'ExplicitlyDenied';
    });
    const d = diffReviews(baseline(), after);
    expect([d.widensAccess, d.removesControl]).toEqual([false, false]);
    expect(d.noLongerAllowed).toEqual([
      { principal: 'W/RoleA', resource: 'D/Bucket#a/*', action: 's3:GetObject', now: 'ExplicitlyDenied' },
    ]);
  });

  test('a new principal and a widened trust policy widen access', () => {
    const after = changed((r) => {
      const principals = r.matrix.principals as Mutable<AccessMatrix['principals']>;
      principals.push({ ...principals[0], id: 'W/RoleC', arn: 'arn:aws:iam::111111111111:role/c' });
      principals[1].trustedBy.push('AWS:arn:aws:iam::222222222222:root');
    });
    const d = diffReviews(baseline(), after);
    expect(d.widensAccess).toBe(true);
    expect(d.newPrincipals).toEqual(['W/RoleC']);
    expect(d.trustWidened).toEqual([{ principal: 'W/RoleB', added: ['AWS:arn:aws:iam::222222222222:root'] }]);
  });

  describe('a new workload', () => {
    /** The baseline plus workload c: its role, its prefix, and (optionally) more. */
    const withWorkloadC = (more: (r: { matrix: Mutable<AccessMatrix> }) => void = () => undefined): ReviewOutputs =>
      changed((r) => {
        const m = r.matrix as Mutable<AccessMatrix>;
        m.principals.push({ ...m.principals[0], id: 'C/Role', arn: 'arn:aws:iam::111111111111:role/c', workload: 'c' });
        m.resources.push({
          id: 'D/Bucket#c/*',
          kind: 'object',
          arn: 'arn:aws:s3:::bkt/c/x',
          workload: 'c',
          actions: ['s3:GetObject'],
        });
        m.cells.push({ principal: 'C/Role', resource: 'D/Bucket#c/*', action: 's3:GetObject', decision: 'Allowed' });
        m.cells.push({
          principal: 'C/Role',
          resource: 'D/Bucket#a/*',
          action: 's3:GetObject',
          decision: 'ImplicitlyDenied',
        });
        more({ matrix: m });
      });

    test('with access to its own data only: reported as such, widens nothing', () => {
      const d = diffReviews(baseline(), withWorkloadC());
      expect([d.widensAccess, d.removesControl, d.reasons]).toEqual([false, false, []]);
      expect(d.newPrincipalAccess).toEqual([
        expect.objectContaining({
          principal: 'C/Role',
          workload: 'c',
          access: 'own-data-only',
          ownResources: ['D/Bucket#c/*'],
        }),
      ]);
      expect(d.notes).toEqual([
        'new principal with access to its own data only: C/Role (workload c) reaches D/Bucket#c/*',
      ]);
    });

    test("with access to another workload's data: widens access, naming it", () => {
      const d = diffReviews(
        baseline(),
        withWorkloadC((r) => {
          r.matrix.cells[r.matrix.cells.length - 1].decision = 'Allowed';
        }),
      );
      expect(d.widensAccess).toBe(true);
      expect(d.reasons).toEqual([
        'new principal C/Role (arn:aws:iam::111111111111:role/c) (workload c) with access beyond its own data',
        'CROSS-WORKLOAD new access: C/Role (workload c) may s3:GetObject on D/Bucket#a/* (workload a) (was absent)',
      ]);
    });

    test('its own acknowledgements are notes; a new acknowledgement on an existing construct is a reason', () => {
      const rule = (r: { posture: Posture }) =>
        (
          r.posture.validation.plugins.AwsSolutions.rules as Record<
            string,
            { acknowledged: number; acknowledgedFindings?: string[] }
          >
        )['AwsSolutions-S1'];
      const before = changed((r) => {
        rule(r).acknowledgedFindings = ['D/Bucket/Resource AwsSolutions-S1'];
      });
      const own = changed((r) => {
        const m = withWorkloadC() as unknown as { matrix: AccessMatrix };
        (r as { matrix: AccessMatrix }).matrix = m.matrix;
        rule(r).acknowledged = 2;
        rule(r).acknowledgedFindings = [
          'ztai-workload-c/Identity/Policy/Resource AwsSolutions-S1',
          'D/Bucket/Resource AwsSolutions-S1',
        ];
      });
      const d = diffReviews(before, own);
      expect([d.removesControl, d.reasons]).toEqual([false, []]);
      expect(d.notes).toContainEqual(
        expect.stringMatching(
          /^more acknowledged findings of AwsSolutions AwsSolutions-S1: 1 -> 2, all on the new workload's own/,
        ),
      );
      const existing = changed((r) => {
        rule(r).acknowledged = 2;
        rule(r).acknowledgedFindings = ['D/Bucket/Resource AwsSolutions-S1', 'D/Other/Resource AwsSolutions-S1'];
      });
      const e = diffReviews(before, existing);
      expect(e.removesControl).toBe(true);
      expect(e.reasons).toEqual([
        'more acknowledged findings of AwsSolutions AwsSolutions-S1: 1 -> 2: D/Other/Resource AwsSolutions-S1',
      ]);
    });
  });

  test('a new public surface widens access', () => {
    const after = changed((r) => {
      (r.posture.publicSurfaces as Mutable<Posture['publicSurfaces']>).push({
        key: 'nat-gateway:N/Vpc/Nat',
        kind: 'nat-gateway',
        resource: 'N/Vpc/Nat',
        detail: 'NAT gateway',
      });
    });
    const d = diffReviews(baseline(), after);
    expect(d.widensAccess).toBe(true);
    expect(d.newPublicSurfaces.map((s) => s.key)).toEqual(['nat-gateway:N/Vpc/Nat']);
    expect(d.reasons).toEqual(['new public surface: nat-gateway N/Vpc/Nat: NAT gateway']);
  });

  test('a removed boundary and a downgraded encryption remove controls', () => {
    const after = changed((r) => {
      const controls = r.posture.controls as Mutable<Posture['controls']>;
      Object.assign(controls[0], { value: 'none', rank: 0, pass: false });
      Object.assign(controls[1], { value: 'SSE-S3', rank: 1, pass: false });
    });
    const d = diffReviews(baseline(), after);
    expect(d.removesControl).toBe(true);
    expect(d.widensAccess).toBe(false);
    expect(d.removedControls).toEqual([
      { subject: 'W/RoleA', control: 'permissions boundary', was: 'arn:b', now: 'none' },
      { subject: 'D/Bucket', control: 'encryption at rest', was: 'SSE-KMS (customer key)', now: 'SSE-S3' },
    ]);
  });

  test('a deleted resource takes its controls with it: not a removed control', () => {
    const after = changed((r) => {
      (r.posture as Mutable<Posture>).controls = r.posture.controls.filter((c) => c.subject !== 'D/Bucket') as Mutable<
        Posture['controls']
      >;
    });
    expect(diffReviews(baseline(), after).removesControl).toBe(false);
  });

  test('an added acknowledgement, a rising finding count and a validator no longer run remove controls', () => {
    const ack = changed((r) => {
      (r.posture.validation.plugins.AwsSolutions.rules as Mutable<Posture['validation']['plugins'][string]['rules']>)[
        'AwsSolutions-S1'
      ].acknowledged = 2;
    });
    expect(diffReviews(baseline(), ack)).toMatchObject({
      removesControl: true,
      reasons: ['more acknowledged findings of AwsSolutions AwsSolutions-S1: 1 -> 2'],
    });
    const rising = changed((r) => {
      (r.posture.validation.plugins.AwsSolutions.rules as Mutable<Posture['validation']['plugins'][string]['rules']>)[
        'AwsSolutions-IAM5'
      ] = { open: 1, acknowledged: 0, area: 'access controls' };
    });
    expect(diffReviews(baseline(), rising).removesControl).toBe(true);
    const dropped = changed((r) => {
      (r.posture.validation as Mutable<Posture['validation']>).plugins = {};
    });
    expect(diffReviews(baseline(), dropped)).toMatchObject({
      removesControl: true,
      validatorsNoLongerRun: ['AwsSolutions'],
    });
    const fixed = changed((r) => {
      (r.posture.validation.plugins.AwsSolutions.rules as Mutable<Posture['validation']['plugins'][string]['rules']>)[
        'AwsSolutions-S1'
      ].acknowledged = 0;
    });
    expect(diffReviews(baseline(), fixed).removesControl).toBe(false);
  });

  test('cost delta by line', () => {
    const after = changed((r) => {
      const c = r.cost as Mutable<CostEstimate>;
      c.lines.push({
        resource: 'N/Vpc/Nat',
        type: 'AWS::EC2::NatGateway',
        item: 'NAT gateway',
        quantity: 730,
        unit: 'hours',
        unitPrice: 0.045,
        monthly: 32.85,
      });
      c.totalMonthly = 33.85;
    });
    expect(diffReviews(baseline(), after).cost).toEqual({
      before: 1,
      after: 33.85,
      delta: 32.85,
      changes: [{ resource: 'N/Vpc/Nat', item: 'NAT gateway', before: 0, after: 32.85 }],
    });
  });
});
