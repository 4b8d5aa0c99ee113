import { validatePlatformConfig } from '../../lib/config/validate-config';
import { buildPlatform } from '../../lib/platform-app';
import { newApp, resourcesOfType } from '../helpers/stacks';
import { Template } from 'aws-cdk-lib/assertions';

/**
 * The vector store admits its clients group, not each workload (issue #13: nothing in a shared stack grows
 * with the workloads; EC2 allows 60 inbound rules a security group by default). Three retrieving genai
 * workloads: each carries the clients group, and the endpoint's group holds one rule.
 */
describe('retrieving genai workloads reach the vector store through its clients group', () => {
  const genai = (name: string) => ({
    name,
    kind: 'genai',
    genai: { models: ['anthropic.claude-3-haiku-20240307-v1:0'], retrieval: { knowledgeBase: name === 'rag-a' } },
  });
  const config = validatePlatformConfig(
    {
      workloads: [
        genai('rag-a'),
        genai('rag-b'),
        genai('rag-c'),
        { ...genai('chat'), genai: { models: ['anthropic.claude-3-haiku-20240307-v1:0'] } },
      ],
    },
    'test',
    { referenceWorkloads: false },
  );
  const platform = buildPlatform(newApp(), config);
  const store = platform.platform.genai!.store!;

  test('each retrieving workload carries the clients group besides its own; a workload that does not retrieve does not', () => {
    for (const name of ['rag-a', 'rag-b', 'rag-c']) {
      const w = platform.workloads.get(name)!;
      expect(w.securityGroups).toContain(store.clientsSecurityGroup);
      expect(w.securityGroups![0]).toBe(w.securityGroup);
    }
    expect(platform.workloads.get('chat')!.securityGroups).not.toContain(store.clientsSecurityGroup);
  });

  test('one inbound rule on the collection endpoint’s group, from the clients group, in the whole platform', () => {
    const storeSg = platform.platform.resolve(store.securityGroup.securityGroupId);
    const rules = [platform.platform, ...platform.workloads.values()].flatMap((stack) =>
      resourcesOfType(Template.fromStack(stack).toJSON(), 'AWS::EC2::SecurityGroupIngress')
        .map(([, r]) => r.Properties)
        .filter((p) => stack === platform.platform && JSON.stringify(p.GroupId) === JSON.stringify(storeSg)),
    );
    expect(rules).toEqual([
      expect.objectContaining({
        FromPort: 443,
        ToPort: 443,
        SourceSecurityGroupId: platform.platform.resolve(store.clientsSecurityGroup.securityGroupId),
      }),
    ]);
    for (const stack of platform.workloads.values()) {
      expect(resourcesOfType(Template.fromStack(stack).toJSON(), 'AWS::EC2::SecurityGroupIngress')).toEqual([]);
    }
  });
});
