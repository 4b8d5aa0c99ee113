import { Aws, StringConcat, Token, Tokenization } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53resolver from 'aws-cdk-lib/aws-route53resolver';
import { Construct } from 'constructs';
import { PlatformValidationError, validateIntegerRange } from '../private/validation';

export interface DnsFirewallProps {
  /** The VPC whose DNS queries (through the Route 53 Resolver, `AmazonProvidedDNS`) are filtered. */
  readonly vpc: ec2.IVpc;
  /**
   * The domains that resolve; every other query is answered NODATA. An entry is a domain name
   * (`kms.eu-west-1.amazonaws.com`) or a wildcard over its subdomains (`*.execute-api.eu-west-1.amazonaws.com`,
   * which does not match the name itself). Entries may hold tokens such as `Aws.REGION`.
   */
  readonly allowedDomains: string[];
  /**
   * Priority of the rule group among the DNS Firewall rule groups associated with the VPC (lower
   * runs first), from 101 to 9899.
   * @default 101
   */
  readonly associationPriority?: number;
  /**
   * Mutation protection of the association: nobody, CloudFormation included, can disassociate the rule
   * group from the VPC or change the association until protection is turned off. It also means the
   * rollback of the create that made the association, and any stack delete, fail at the association
   * (`ROLLBACK_FAILED`), so it is off by default: a failed first deploy must be retryable. Platform roles
   * cannot touch the association either way (the permissions boundary grants no `route53resolver:*`);
   * turn this on once the platform runs, to bind administrators too.
   * @default false
   */
  readonly mutationProtection?: boolean;
}

/**
 * A Route 53 Resolver DNS Firewall for one VPC that resolves only an allow-list of domains: rule 1
 * ALLOWs the list, rule 2 BLOCKs every other domain (`*`) with a NODATA answer. DNS is the one path
 * out of an isolated VPC (a query for `<data>.attacker.example` leaves through the Resolver); the
 * allow-list closes it. With no rule group that matches, DNS Firewall would let a query through, so
 * the block rule is what makes the list an allow-list
 * (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resolver-dns-firewall.html).
 *
 * The ALLOW rule trusts the redirection chain of an allowed name (`TRUST_REDIRECTION_DOMAIN`): AWS
 * service names answer with CNAMEs to AWS-internal names (S3's `s3-r-w.<region>.amazonaws.com`) that
 * would otherwise fall to the block rule
 * (https://docs.aws.amazon.com/Route53/latest/APIReference/API_route53resolver_FirewallRule.html).
 * The association is mutation-protected by default. When the Resolver cannot reach DNS Firewall it
 * fails closed unless the VPC's firewall configuration says otherwise (`FirewallFailOpen`, off by default).
 */
export class DnsFirewall extends Construct {
  /** The allow-list, as written to the domain list. */
  public readonly allowedDomains: string[];
  /** The rule group: ALLOW the allow-list (priority 100), then BLOCK `*` with NODATA (priority 200). */
  public readonly ruleGroup: route53resolver.CfnFirewallRuleGroup;
  /** The association of the rule group with the VPC. */
  public readonly association: route53resolver.CfnFirewallRuleGroupAssociation;
  public readonly allowedDomainList: route53resolver.CfnFirewallDomainList;
  public readonly blockedDomainList: route53resolver.CfnFirewallDomainList;

  constructor(scope: Construct, id: string, props: DnsFirewallProps) {
    super(scope, id);
    const problems = props.allowedDomains.flatMap((domain, i) => {
      const problem = dnsDomainProblem(domain);
      return problem ? [`allowedDomains[${i}] ${problem}`] : [];
    });
    if (props.allowedDomains.length === 0) problems.push('allowedDomains must name at least one domain, got []');
    if (problems.length > 0) throw new PlatformValidationError(this, problems.join('; '));
    const priority = props.associationPriority ?? 101;
    validateIntegerRange(this, 'associationPriority', priority, 101, 9899);

    this.allowedDomains = [...new Set(props.allowedDomains)];
    this.allowedDomainList = new route53resolver.CfnFirewallDomainList(this, 'AllowedDomains', {
      domains: this.allowedDomains,
    });
    this.blockedDomainList = new route53resolver.CfnFirewallDomainList(this, 'AllDomains', { domains: ['*'] });
    this.ruleGroup = new route53resolver.CfnFirewallRuleGroup(this, 'Resource', {
      firewallRules: [
        {
          action: 'ALLOW',
          priority: 100,
          firewallDomainListId: this.allowedDomainList.attrId,
          firewallDomainRedirectionAction: 'TRUST_REDIRECTION_DOMAIN',
        },
        {
          action: 'BLOCK',
          priority: 200,
          firewallDomainListId: this.blockedDomainList.attrId,
          blockResponse: 'NODATA',
        },
      ],
    });
    const protect = props.mutationProtection ?? false;
    this.association = new route53resolver.CfnFirewallRuleGroupAssociation(this, 'Association', {
      firewallRuleGroupId: this.ruleGroup.attrId,
      vpcId: props.vpc.vpcId,
      priority,
      mutationProtection: protect ? 'ENABLED' : 'DISABLED',
    });
  }
}

/**
 * The domains a platform VPC resolves besides its interface endpoints' names: S3 through the gateway
 * endpoint (path- and virtual-hosted-style, ECR image layers included: `prod-<region>-starport-layer-bucket.s3.…`)
 * and the VPC's own instance names (`ip-….<region>.compute.internal`; `….ec2.internal` in us-east-1),
 * answered by the Resolver itself (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-dns.html).
 */
export function platformBaseDomains(): string[] {
  return [
    `s3.${Aws.REGION}.amazonaws.com`,
    `*.s3.${Aws.REGION}.amazonaws.com`,
    `*.${Aws.REGION}.compute.internal`,
    '*.ec2.internal',
  ];
}

/**
 * Why `domain` is not a DNS Firewall domain specification this platform accepts, or undefined: a
 * name of at least two labels (letters, digits, '-', '_'; 1-63 characters each, no leading or
 * trailing '-'), optionally after `*.` (then at least two labels follow, so no `*.com`), at most
 * 255 characters. Tokens count as one label each.
 */
export function dnsDomainProblem(domain: string): string | undefined {
  const shape: string = Token.isUnresolved(domain)
    ? Tokenization.reverseString(domain)
        .mapTokens({ mapToken: () => 'token' })
        .join(new StringConcat())
    : domain;
  const name = shape.startsWith('*.') ? shape.slice(2) : shape;
  const labels = name.replace(/\.$/, '').split('.');
  const ok =
    typeof domain === 'string' &&
    shape.length <= 255 &&
    labels.length >= 2 &&
    labels.every((label) => /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(label));
  if (ok) return undefined;
  return (
    `must be a domain name of at least two labels, optionally starting with '*.' ` +
    `(e.g. 'api.example.com' or '*.example.com'; no other wildcard, no scheme or path), got '${domain}'`
  );
}
