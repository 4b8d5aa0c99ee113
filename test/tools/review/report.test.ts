import * as fs from 'fs';
import * as path from 'path';
import { Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildAccessMatrix } from '../../../tools/review/access-matrix';
import { loadAssembly } from '../../../tools/review/assembly';
import { estimateCost } from '../../../tools/review/cost';
import { renderNetworkSvg } from '../../../tools/review/network-diagram';
import { buildPosture, Posture } from '../../../tools/review/posture';
import type { JourneyReport } from '../../../tools/review/journeys';
import {
  areaSummaries,
  journeyRows,
  renderHtml,
  renderMarkdown,
  ReviewData,
  SECTIONS,
} from '../../../tools/review/report';
import { toSarif } from '../../../tools/review/sarif';
import { noteMissingBrowser, openInChromium, withChromium } from './chromium';
import { ENV, synthApp, tmpDir } from './helpers';

/** A segmented network: a workload tier reaching a KMS interface endpoint in an endpoint tier, and a public tier with NAT. */
function networkApp(): string {
  return synthApp((app) => {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const stack = new Stack(app, 'Net', { env: ENV });
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      maxAzs: 2,
      natGateways: 1,
      subnetConfiguration: [
        { name: 'ingress', subnetType: ec2.SubnetType.PUBLIC },
        { name: 'workload', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        { name: 'endpoints', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      ],
    });
    const endpointSg = new ec2.SecurityGroup(stack, 'EndpointSg', {
      vpc,
      allowAllOutbound: false,
      description: 'endpoints',
    });
    vpc.addInterfaceEndpoint('Kms', {
      service: ec2.InterfaceVpcEndpointAwsService.KMS,
      subnets: { subnetGroupName: 'endpoints' },
      securityGroups: [endpointSg],
      open: false,
    });
    const workloadSg = new ec2.SecurityGroup(stack, 'WorkloadSg', {
      vpc,
      allowAllOutbound: false,
      description: 'workload',
    });
    endpointSg.connections.allowFrom(workloadSg, ec2.Port.tcp(443), 'workload to KMS');
    workloadSg.connections.allowTo(endpointSg, ec2.Port.tcp(443));
    new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_20_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => 1;'),
      vpc,
      vpcSubnets: { subnetGroupName: 'workload' },
      securityGroups: [workloadSg],
    });
    const api = new apigw.RestApi(stack, 'Api', { endpointTypes: [apigw.EndpointType.REGIONAL] });
    api.root
      .addResource('items')
      .addMethod('GET', new apigw.MockIntegration(), { authorizationType: apigw.AuthorizationType.IAM });
    new s3.Bucket(stack, 'Bucket');
  });
}

describe('posture of a segmented network', () => {
  let posture: Posture;
  beforeAll(() => {
    posture = buildPosture(loadAssembly(networkApp()));
  });

  test('tiers by subnet-name tag, with where their default route goes', () => {
    expect(posture.network.vpcs.map((v) => v.tiers.map((t) => [t.name, t.subnets, t.egress]))).toEqual([
      [
        ['ingress', 2, 'internet-gateway'],
        ['workload', 2, 'nat-gateway'],
        ['endpoints', 2, 'none'],
      ],
    ]);
  });

  test('the endpoint sits in its tier; the workload group reaches it on 443 and its egress allows it', () => {
    expect(posture.network.endpoints).toEqual([
      expect.objectContaining({
        id: 'Net/Vpc/Kms',
        service: 'kms',
        type: 'Interface',
        tiers: ['Net/Vpc:endpoints'],
        securityGroups: ['Net/EndpointSg'],
      }),
    ]);
    expect(posture.network.reachability).toContainEqual({
      from: 'Net/WorkloadSg',
      to: 'Net/EndpointSg',
      ports: 'tcp/443',
      egressAllowed: true,
    });
    expect(posture.network.securityGroups.find((g) => g.id === 'Net/WorkloadSg')).toMatchObject({
      tiers: ['Net/Vpc:workload'],
      attachedTo: ['Net/Fn'],
    });
  });

  test('the diagram draws every tier, endpoint and group, and its elements are balanced', () => {
    const svg = renderNetworkSvg(posture.network);
    for (const text of [
      'ingress',
      'workload',
      'endpoints',
      'endpoint: kms (Interface)',
      'Net/EndpointSg',
      'Net/WorkloadSg',
      'tcp/443',
    ]) {
      expect(svg).toContain(`>${text}<`);
    }
    for (const tag of ['g', 'text', 'svg', 'title']) {
      expect((svg.match(new RegExp(`<${tag}[\\s>]`, 'g')) ?? []).length).toBe(
        (svg.match(new RegExp(`</${tag}>`, 'g')) ?? []).length,
      );
    }
  });

  test('public surfaces: the IGW, the NAT and its EIP, the public tier, the regional API stage', () => {
    expect([...new Set(posture.publicSurfaces.map((s) => s.kind))].sort()).toEqual([
      'elastic-ip',
      'internet-gateway',
      'nat-gateway',
      'public-api-stage',
      'public-subnet-tier',
    ]);
  });
});

describe('report', () => {
  let data: ReviewData;
  let html: string;
  beforeAll(async () => {
    const assembly = loadAssembly(networkApp());
    data = {
      sarif: toSarif(assembly),
      matrix: await buildAccessMatrix(assembly),
      posture: buildPosture(assembly),
      cost: estimateCost(assembly),
    };
    html = renderHtml(data);
  });

  test('per-area summary counts controls and findings', () => {
    const summaries = areaSummaries(data);
    expect(summaries.map((s) => s.area)).toEqual([
      'access controls',
      'workload isolation',
      'encryption',
      'governance',
      'threat monitoring',
      'compliance validation',
    ]);
    const monitoring = summaries.find((s) => s.area === 'threat monitoring')!;
    expect(monitoring.failedChecks).toBeGreaterThan(0); // no flow logs, no access logs
    expect(monitoring.openFindings).toBeGreaterThan(0); // AwsSolutions-VPC7
    expect(monitoring.fail).toBe(monitoring.failedChecks + monitoring.openFindings);
  });

  test('markdown has every section, the findings with their construct paths, and the cost', () => {
    const md = renderMarkdown(data);
    for (const heading of [
      '## Summary',
      '## Findings',
      '## Network segmentation',
      '## Access matrix',
      '## Journeys',
      '## Cost',
      '## What changed',
    ])
      expect(md).toContain(heading);
    expect(md).toContain('| AwsSolutions | AwsSolutions-VPC7 | error | `Net/Vpc/Resource` |');
    expect(md).toMatch(/Fixed monthly cost: \*\*\d+\.\d{2} USD\*\*/);
  });

  test('the HTML is self-contained: a CSP that forbids fetches, no script, no external reference', () => {
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["'](?!#|data:)/i);
    expect(html).not.toMatch(/@import|url\((?!#)/i);
    for (const id of SECTIONS) expect(html).toContain(`<section id="${id}">`);
    expect(html).toMatch(/<svg[^>]+aria-label="Network segmentation"/);
  });
});

describe('the Journeys section', () => {
  const report: JourneyReport = {
    schemaVersion: 1,
    applicable: true,
    environment: { account: '111122223333', region: 'eu-west-1' },
    profile: 'dev',
    counts: { pass: 1, fail: 1, error: 0, 'not-applicable': 0 },
    journeys: [
      {
        id: 3,
        slug: 'model-release',
        title: 'Model release',
        summary: 'The release role uploads; the gate admits.',
        steps: [
          {
            id: '3.5',
            title: 'UploadPart (no SSE headers)',
            kind: 'request',
            actor: 'arn:aws:iam::111122223333:role/p/model-signer/p-model-release',
            request: 's3:PutObject arn:aws:s3:::models/incoming/w/m/1/files/weights',
            network: 'outside the VPC',
            expected: 'Allowed',
            decision: 'Allowed',
            outcome: 'pass',
            deciding: ['identity: ReleaseUploads', 'resource: (no deny)'],
            doc: ['https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html'],
          },
          {
            id: '3.25',
            title: 'abuse: the release role writes approved/ itself',
            kind: 'request',
            actor: 'arn:aws:iam::111122223333:role/p/model-signer/p-model-release',
            request: 's3:PutObject arn:aws:s3:::models/approved/w/m/1/files/weights',
            network: 'outside the VPC',
            expected: 'Denied',
            decision: 'Allowed',
            outcome: 'fail',
            deciding: ['identity: TooWide'],
            problem: 'expected Denied, got Allowed',
            abuse: true,
            doc: ['https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html'],
          },
        ],
      },
    ],
  };
  const withJourneys = (journeys: JourneyReport | undefined): ReviewData => ({
    sarif: { version: '2.1.0', $schema: '', runs: [] } as unknown as ReviewData['sarif'],
    matrix: {
      principals: [],
      resources: [],
      cells: [],
      requestContext: [],
      crossWorkloadAllowed: [],
    } as unknown as ReviewData['matrix'],
    posture: {
      controls: [],
      publicSurfaces: [],
      validation: { reportPresent: true, plugins: {} },
      network: { vpcs: [], endpoints: [], reachability: [], securityGroups: [] },
    } as unknown as ReviewData['posture'],
    cost: {
      totalMonthly: 0,
      partial: false,
      totalNote: 'complete: every resource with a fixed charge is priced',
      hoursPerMonth: 730,
      priceTable: { currency: 'USD', region: 'us-east-1', asOf: '2026-01-01', source: '' },
      lines: [],
      usageRates: [],
      notPriced: [],
      notes: [],
    } as unknown as ReviewData['cost'],
    ...(journeys ? { journeys } : {}),
  });

  test('one row per step: step, actor, request, network, expected, decision, deciding statements', () => {
    expect(journeyRows(report)).toEqual([
      expect.objectContaining({
        journey: '3. Model release',
        step: '3.5',
        expected: 'Allowed',
        decision: 'Allowed',
        deciding: 'identity: ReleaseUploads; resource: (no deny)',
        outcome: 'pass',
      }),
      expect.objectContaining({
        step: '3.25',
        decision: 'Allowed',
        outcome: 'fail',
        problem: 'expected Denied, got Allowed',
      }),
    ]);
  });

  test('markdown: a table per journey; a step that does not come out as expected is bold with why', () => {
    const md = renderMarkdown(withJourneys(report));
    expect(md).toContain('### 3. Model release');
    expect(md).toContain('| Step | Actor | Request | Network | Expected | Decision | Deciding statement |');
    expect(md).toContain('1 pass, 1 fail, 0 error, 0 not applicable');
    expect(md).toContain(
      '| 3.5 UploadPart (no SSE headers) | `arn:aws:iam::111122223333:role/p/model-signer/p-model-release` | `s3:PutObject arn:aws:s3:::models/incoming/w/m/1/files/weights` | outside the VPC | Allowed | Allowed | identity: ReleaseUploads; resource: (no deny) |',
    );
    expect(md).toContain('| Denied | **Allowed** (expected Denied, got Allowed) | identity: TooWide |');
  });

  test('HTML: the section, its counts marked failed, the failing decision marked', () => {
    const html = renderHtml(withJourneys(report));
    expect(html).toContain('<section id="journeys"><h2>Journeys</h2>');
    expect(html).toContain('<strong class="fail">1 pass, 1 fail, 0 error, 0 not applicable</strong>');
    expect(html).toContain('<td class="fail">Allowed (expected Denied, got Allowed)</td>');
    expect(renderHtml(withJourneys(undefined))).toContain('<p>Not evaluated: the assembly is not a platform');
  });
});

describe('WAF check of an API stage', () => {
  const posture = (): Posture =>
    buildPosture(
      loadAssembly(
        synthApp((app) => {
          const stack = new Stack(app, 'Apis', { env: ENV });
          for (const [id, type] of [
            ['Private', apigw.EndpointType.PRIVATE],
            ['Regional', apigw.EndpointType.REGIONAL],
          ] as const) {
            const api = new apigw.RestApi(stack, id, {
              endpointTypes: [type],
              ...(type === apigw.EndpointType.PRIVATE
                ? {
                    policy: new iam.PolicyDocument({
                      statements: [
                        new iam.PolicyStatement({
                          actions: ['execute-api:Invoke'],
                          principals: [new iam.AccountRootPrincipal()],
                          resources: ['execute-api:/*'],
                        }),
                      ],
                    }),
                  }
                : {}),
            });
            api.root.addMethod('GET', new apigw.MockIntegration(), {
              authorizationType: apigw.AuthorizationType.IAM,
            });
          }
        }),
      ),
    );

  test('a private API without a web ACL is not applicable (passes); a regional one without fails', () => {
    const waf = posture().controls.filter((c) => c.control === 'WAF web ACL');
    expect(waf.map((c) => [c.subject, c.value, c.pass])).toEqual([
      [
        'Apis/Private/DeploymentStage.prod',
        'not applicable (private API, reachable only through its VPC endpoint)',
        true,
      ],
      ['Apis/Regional/DeploymentStage.prod', 'none', false],
    ]);
  });
});

noteMissingBrowser();
withChromium('report.html in headless Chromium', () => {
  test('renders every section and the diagram, and logs no console message', async () => {
    const assembly = loadAssembly(networkApp());
    const html = renderHtml({
      sarif: toSarif(assembly),
      matrix: await buildAccessMatrix(assembly),
      posture: buildPosture(assembly),
      cost: estimateCost(assembly),
    });
    const file = path.join(tmpDir('html'), 'report.html');
    fs.writeFileSync(file, html);
    const page = openInChromium(file);
    expect(page.status).toBe(0);
    expect(page.console).toEqual([]);
    for (const id of SECTIONS) expect(page.dom).toContain(`<section id="${id}">`);
    expect(page.dom).toMatch(/<svg[^>]+aria-label="Network segmentation"/);
    expect(page.dom).toContain('endpoint: kms (Interface)');
  });

  test('network.svg on its own is well-formed XML that Chromium renders', () => {
    const file = path.join(tmpDir('svg'), 'network.svg');
    fs.writeFileSync(file, renderNetworkSvg(buildPosture(loadAssembly(networkApp())).network));
    const page = openInChromium(file);
    expect(page.dom).not.toContain('This page contains the following errors');
    expect(page.dom).toContain('Network segmentation');
    expect(page.console).toEqual([]);
  });

  test('negative control: a page that tries to fetch is caught by its console log', () => {
    const file = path.join(tmpDir('html-bad'), 'bad.html');
    fs.writeFileSync(
      file,
      renderHtml(emptyData()).replace('</main>', '<img src="https://example.invalid/x.png"></main>'),
    );
    const page = openInChromium(file);
    expect(page.console.join('\n')).toMatch(/Content Security Policy/);
  });
});

function emptyData(): ReviewData {
  return {
    sarif: { $schema: '', version: '2.1.0', runs: [] },
    matrix: {
      schemaVersion: 1,
      environment: { account: '1', region: 'r' },
      requestContext: [],
      principals: [],
      resources: [],
      cells: [],
      crossWorkloadAllowed: [],
      unresolved: [],
    },
    posture: {
      schemaVersion: 1,
      network: { vpcs: [], endpoints: [], securityGroups: [], reachability: [] },
      publicSurfaces: [],
      controls: [],
      validation: { plugins: {}, reportPresent: false },
    },
    cost: {
      schemaVersion: 1,
      priceTable: { region: 'r', currency: 'USD', asOf: '2000-01', source: 's' },
      hoursPerMonth: 730,
      lines: [],
      totalMonthly: 0,
      partial: false,
      totalNote: 'complete: every resource with a fixed charge is priced',
      usageRates: [],
      noFixedCharge: [],
      notPriced: [],
      notes: [],
    },
  };
}
