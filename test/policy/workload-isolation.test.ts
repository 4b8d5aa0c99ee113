import { Stack, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { IConstruct } from 'constructs';
import { cfn } from './fixtures';
import { fails, GuardFragment, passes, describeRuleFile } from '../helpers/guard';

const IGW = 'ZTAI_ISOLATION_NO_INTERNET_GATEWAY';
const NAT = 'ZTAI_ISOLATION_NO_NAT_GATEWAY';
const EIP = 'ZTAI_ISOLATION_NO_ELASTIC_IP';
const PUBLIC_IP = 'ZTAI_ISOLATION_NO_PUBLIC_IP';
const ROUTE = 'ZTAI_ISOLATION_NO_DEFAULT_ROUTE';
const MODEL_VPC = 'ZTAI_ISOLATION_SAGEMAKER_MODEL_VPC';
const MODEL_ISOLATION = 'ZTAI_ISOLATION_SAGEMAKER_MODEL_NETWORK_ISOLATION';
const IMDS = 'ZTAI_ISOLATION_LAUNCH_TEMPLATE_IMDSV2';
const INGRESS = 'ZTAI_ISOLATION_SG_NO_WORLD_INGRESS';
const EGRESS = 'ZTAI_ISOLATION_SG_NO_ALLOW_ALL_EGRESS';
const ENDPOINT = 'ZTAI_ISOLATION_VPC_ENDPOINT_POLICY';

const EGRESS_TIER = 'ai-platform:egress-tier';

/** A VPC with isolated subnets only: no gateway, no public IP, no default route. */
function isolatedVpc(stack: Stack): ec2.Vpc {
  return new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 1,
    natGateways: 0,
    restrictDefaultSecurityGroup: false,
    subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
}

/** A VPC with a public subnet and a NAT gateway: internet gateway, NAT, EIP, public IPs, default routes. */
function egressVpc(stack: Stack, declared: boolean): ec2.Vpc {
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 1,
    natGateways: 1,
    restrictDefaultSecurityGroup: false,
    subnetConfiguration: [
      { name: 'public', subnetType: ec2.SubnetType.PUBLIC },
      { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    ],
  });
  if (declared) Tags.of(vpc).add(EGRESS_TIER, 'declared');
  return vpc;
}

function publicSubnetChild(vpc: ec2.Vpc, id: string): IConstruct {
  return vpc.publicSubnets[0].node.findChild(id);
}

function model(stack: Stack): sagemaker.CfnModel {
  return new sagemaker.CfnModel(stack, 'Model', {
    executionRoleArn: 'arn:aws:iam::111122223333:role/model',
    primaryContainer: {
      image: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/model:1',
      modelDataUrl: 's3://models/m.tar.gz',
    },
    enableNetworkIsolation: true,
    vpcConfig: { subnets: ['subnet-0123456789abcdef0'], securityGroupIds: ['sg-0123456789abcdef0'] },
  });
}

function closedSecurityGroup(stack: Stack): ec2.SecurityGroup {
  return new ec2.SecurityGroup(stack, 'Sg', { vpc: isolatedVpc(stack), allowAllOutbound: false });
}

const fragments: GuardFragment[] = [
  passes(IGW, 'internet gateway of the declared egress tier', (stack) => {
    egressVpc(stack, true);
  }),
  fails(IGW, 'untagged internet gateway', (stack) => egressVpc(stack, false).node.findChild('IGW')),
  fails(IGW, 'declared tag replaced by an escape hatch', (stack) => {
    const igw = egressVpc(stack, true).node.findChild('IGW') as ec2.CfnInternetGateway;
    igw.addPropertyOverride('Tags', [{ Key: EGRESS_TIER, Value: 'none' }]);
    return igw;
  }),
  fails(IGW, 'untagged egress-only internet gateway (IPv6 egress)', (stack) => {
    return new ec2.CfnEgressOnlyInternetGateway(stack, 'Eigw', { vpcId: isolatedVpc(stack).vpcId });
  }),

  passes(NAT, 'NAT gateway of the declared egress tier', (stack) => {
    egressVpc(stack, true);
  }),
  passes(NAT, 'private NAT gateway (no internet path)', (stack) => {
    new ec2.CfnNatGateway(stack, 'Nat', {
      subnetId: isolatedVpc(stack).isolatedSubnets[0].subnetId,
      connectivityType: 'private',
    });
  }),
  fails(NAT, 'untagged public NAT gateway', (stack) => publicSubnetChild(egressVpc(stack, false), 'NATGateway')),

  passes(EIP, 'Elastic IP of the declared egress tier', (stack) => {
    egressVpc(stack, true);
  }),
  fails(EIP, 'untagged Elastic IP', (stack) => publicSubnetChild(egressVpc(stack, false), 'EIP')),

  passes(PUBLIC_IP, 'isolated subnets map no public IP', (stack) => {
    isolatedVpc(stack);
  }),
  passes(PUBLIC_IP, 'public subnet and launch template of the declared tier', (stack) => {
    egressVpc(stack, true);
    const lt = new ec2.LaunchTemplate(stack, 'Lt', { associatePublicIpAddress: true });
    Tags.of(lt).add(EGRESS_TIER, 'declared');
  }),
  fails(PUBLIC_IP, 'untagged public subnet', (stack) => egressVpc(stack, false).publicSubnets[0]),
  fails(PUBLIC_IP, 'isolated subnet switched to public IPs by an escape hatch', (stack) => {
    const subnet = isolatedVpc(stack).isolatedSubnets[0];
    cfn(subnet).addPropertyOverride('MapPublicIpOnLaunch', true);
    return subnet;
  }),
  fails(PUBLIC_IP, 'untagged launch template with a public IP', (stack) => {
    return new ec2.LaunchTemplate(stack, 'Lt', { associatePublicIpAddress: true });
  }),

  passes(ROUTE, 'default routes through the declared tier’s gateways', (stack) => {
    egressVpc(stack, true);
  }),
  passes(ROUTE, 'isolated VPC with no default route', (stack) => {
    isolatedVpc(stack);
  }),
  fails(ROUTE, 'default route to an untagged internet gateway', (stack) => {
    return publicSubnetChild(egressVpc(stack, false), 'DefaultRoute');
  }),
  fails(ROUTE, 'default route to a transit gateway outside the template', (stack) => {
    const subnet = isolatedVpc(stack).isolatedSubnets[0] as ec2.Subnet;
    subnet.addRoute('ToTgw', { routerId: 'tgw-0123456789abcdef0', routerType: ec2.RouterType.TRANSIT_GATEWAY });
    return subnet.node.findChild('ToTgw');
  }),
  fails(ROUTE, 'declared route re-pointed at a gateway ID by an escape hatch', (stack) => {
    const route = publicSubnetChild(egressVpc(stack, true), 'DefaultRoute') as ec2.CfnRoute;
    route.addPropertyOverride('GatewayId', 'igw-0123456789abcdef0');
    return route;
  }),

  passes(MODEL_VPC, 'model in VPC subnets with security groups', (stack) => {
    model(stack);
  }),
  fails(MODEL_VPC, 'VpcConfig removed by an escape hatch', (stack) => {
    const m = model(stack);
    m.addPropertyDeletionOverride('VpcConfig');
    return m;
  }),
  fails(MODEL_VPC, 'VpcConfig without subnets', (stack) => {
    const m = model(stack);
    m.addPropertyOverride('VpcConfig.Subnets', []);
    return m;
  }),

  passes(MODEL_ISOLATION, 'model with network isolation', (stack) => {
    model(stack);
  }),
  fails(MODEL_ISOLATION, 'EnableNetworkIsolation removed by an escape hatch', (stack) => {
    const m = model(stack);
    m.addPropertyDeletionOverride('EnableNetworkIsolation');
    return m;
  }),
  fails(MODEL_ISOLATION, 'EnableNetworkIsolation false', (stack) => {
    const m = model(stack);
    m.addPropertyOverride('EnableNetworkIsolation', false);
    return m;
  }),

  passes(IMDS, 'IMDSv2 required with a hop limit of 1', (stack) => {
    new ec2.LaunchTemplate(stack, 'Lt', { requireImdsv2: true, httpPutResponseHopLimit: 1 });
  }),
  fails(IMDS, 'IMDSv2 required but the hop limit left to the AMI', (stack) => {
    return new ec2.LaunchTemplate(stack, 'Lt', { requireImdsv2: true });
  }),
  fails(IMDS, 'IMDSv1 re-enabled by an escape hatch', (stack) => {
    const lt = new ec2.LaunchTemplate(stack, 'Lt', { requireImdsv2: true, httpPutResponseHopLimit: 1 });
    cfn(lt).addPropertyOverride('LaunchTemplateData.MetadataOptions.HttpTokens', 'optional');
    return lt;
  }),

  passes(INGRESS, 'ingress from a private CIDR only', (stack) => {
    closedSecurityGroup(stack).addIngressRule(ec2.Peer.ipv4('10.0.0.0/16'), ec2.Port.tcp(443));
  }),
  fails(INGRESS, 'ingress from 0.0.0.0/0', (stack) => {
    const sg = closedSecurityGroup(stack);
    sg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443));
    return sg;
  }),
  fails(INGRESS, 'ingress from ::/0', (stack) => {
    const sg = closedSecurityGroup(stack);
    sg.addIngressRule(ec2.Peer.anyIpv6(), ec2.Port.tcp(443));
    return sg;
  }),
  fails(INGRESS, 'standalone ingress rule opened to the world by an escape hatch', (stack) => {
    const rule = new ec2.CfnSecurityGroupIngress(stack, 'Ingress', {
      groupId: closedSecurityGroup(stack).securityGroupId,
      ipProtocol: 'tcp',
      fromPort: 22,
      toPort: 22,
      cidrIp: '10.0.0.0/16',
    });
    rule.addPropertyOverride('CidrIp', '0.0.0.0/0');
    return rule;
  }),

  passes(EGRESS, 'no outbound rules (CDK match-nothing rule)', (stack) => {
    closedSecurityGroup(stack);
  }),
  passes(EGRESS, 'HTTPS to anywhere is not allow-all', (stack) => {
    closedSecurityGroup(stack).addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443));
  }),
  fails(EGRESS, 'allowAllOutbound (the CDK default)', (stack) => {
    return new ec2.SecurityGroup(stack, 'Sg', { vpc: isolatedVpc(stack) });
  }),
  fails(EGRESS, 'egress rules removed by an escape hatch (implicit allow-all)', (stack) => {
    const sg = closedSecurityGroup(stack);
    cfn(sg).addPropertyDeletionOverride('SecurityGroupEgress');
    return sg;
  }),
  passes(EGRESS, 'inline HTTPS to a security group and a prefix list (an admitted workload)', (stack) => {
    const vpc = isolatedVpc(stack);
    const endpoints = new ec2.SecurityGroup(stack, 'Endpoints', { vpc, allowAllOutbound: false });
    new ec2.CfnSecurityGroup(stack, 'Workload', {
      groupDescription: 'workload',
      vpcId: vpc.vpcId,
      securityGroupEgress: [
        { ipProtocol: 'tcp', fromPort: 443, toPort: 443, destinationSecurityGroupId: endpoints.securityGroupId },
        { ipProtocol: 'tcp', fromPort: 443, toPort: 443, destinationPrefixListId: 'pl-6da54004' },
      ],
    });
  }),
  fails(EGRESS, 'egress only through standalone rules (allow-all until CloudFormation creates them)', (stack) => {
    const sg = closedSecurityGroup(stack);
    sg.addEgressRule(ec2.Peer.prefixList('pl-6da54004'), ec2.Port.tcp(443));
    return sg;
  }),
  fails(EGRESS, 'standalone allow-all egress to ::/0', (stack) => {
    return new ec2.CfnSecurityGroupEgress(stack, 'Egress', {
      groupId: closedSecurityGroup(stack).securityGroupId,
      ipProtocol: '-1',
      cidrIpv6: '::/0',
    });
  }),

  passes(ENDPOINT, 'interface endpoint with a policy', (stack) => {
    const endpoint = isolatedVpc(stack).addInterfaceEndpoint('Sts', {
      service: ec2.InterfaceVpcEndpointAwsService.STS,
    });
    endpoint.addToPolicy(
      new iam.PolicyStatement({
        principals: [new iam.AccountRootPrincipal()],
        actions: ['sts:AssumeRole'],
        resources: ['*'],
      }),
    );
  }),
  passes(ENDPOINT, 'Gateway Load Balancer endpoint (no endpoint policy support)', (stack) => {
    const vpc = isolatedVpc(stack);
    new ec2.CfnVPCEndpoint(stack, 'Gwlb', {
      vpcId: vpc.vpcId,
      serviceName: 'com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0',
      vpcEndpointType: 'GatewayLoadBalancer',
      subnetIds: [vpc.isolatedSubnets[0].subnetId],
    });
  }),
  fails(ENDPOINT, 'interface endpoint without a policy', (stack) => {
    return isolatedVpc(stack).addInterfaceEndpoint('Sts', { service: ec2.InterfaceVpcEndpointAwsService.STS });
  }),
  fails(ENDPOINT, 'gateway endpoint policy removed by an escape hatch', (stack) => {
    const endpoint = isolatedVpc(stack).addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    endpoint.addToPolicy(
      new iam.PolicyStatement({
        principals: [new iam.AccountRootPrincipal()],
        actions: ['s3:GetObject'],
        resources: ['*'],
      }),
    );
    cfn(endpoint).addPropertyDeletionOverride('PolicyDocument');
    return endpoint;
  }),
];

describeRuleFile('workload-isolation.guard', fragments);
