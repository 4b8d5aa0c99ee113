import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ApiUserPool, ApiUserPoolProps } from '../../../constructs/api';
import { describeFindings, nagFindings } from '../../helpers/nag';
import { newStack } from '../../helpers/stacks';

function build(props: ApiUserPoolProps = {}) {
  const { app, stack } = newStack();
  const pool = new ApiUserPool(stack, 'People', props);
  return { app, stack, pool, t: Template.fromStack(stack) };
}

const OAUTH = { callbackUrls: ['https://console.example.com/cb'], domainPrefix: 'ztai-people' };

describe('ApiUserPool', () => {
  test('no self sign-up, MFA required (authenticator apps only), strong passwords', () => {
    const { t } = build();
    t.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      Policies: {
        PasswordPolicy: Match.objectLike({
          MinimumLength: 14,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        }),
      },
      DeletionProtection: 'ACTIVE',
    });
  });

  test('retained with a plain Retain (not RetainExceptOnCreate): deletion protection would make a create rollback fail', () => {
    const { t } = build();
    // A rolled-back create would have CloudFormation delete the pool, which deletion protection refuses;
    // a pool left behind blocks no retry (pool names are not unique; the domain is its own resource).
    t.hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtection: 'ACTIVE' }),
    });
    for (const [, r] of Object.entries(t.findResources('AWS::Cognito::UserPoolDomain'))) {
      expect(r.DeletionPolicy).toBeUndefined();
    }
  });

  test('threat protection enforced on the Plus feature plan', () => {
    const { t } = build();
    t.hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
    });
  });

  test('short-lived, revocable tokens; no secret; no user-existence leaks; no OAuth by default', () => {
    const { t } = build();
    t.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      AccessTokenValidity: 15,
      IdTokenValidity: 15,
      RefreshTokenValidity: 480,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'minutes' },
      GenerateSecret: false,
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
      AllowedOAuthFlowsUserPoolClient: false,
    });
    t.resourceCountIs('AWS::Cognito::UserPoolResourceServer', 0);
  });

  test('scopes: a resource server and an authorization-code client carrying them', () => {
    const { t, pool } = build({ scopes: ['invoke'], oAuth: OAUTH });
    t.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      Identifier: 'model-gateway',
      Scopes: [{ ScopeName: 'invoke', ScopeDescription: 'invoke' }],
    });
    t.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: [
        'openid',
        'email',
        { 'Fn::Join': ['', [{ Ref: Match.stringLikeRegexp('^PeopleResourceServer') }, '/invoke']] },
      ],
      CallbackURLs: OAUTH.callbackUrls,
    });
    expect(pool.scopeName('invoke')).toBe('model-gateway/invoke');
    expect(() => pool.scopeName('admin')).toThrow(/scope 'admin' is not declared/);
  });

  test('nag packs are clean', () => {
    const { app } = build({ scopes: ['invoke'], oAuth: OAUTH });
    expect(describeFindings(nagFindings(app))).toBe('');
  });

  test.each<[ApiUserPoolProps, RegExp]>([
    [{ tokenValidity: Duration.hours(2) }, /tokenValidity must be from 5 minutes to 1 hour, got 2 hours/],
    [{ tokenValidity: Duration.minutes(1) }, /tokenValidity must be from 5 minutes to 1 hour, got 1 minute/],
    [{ refreshTokenValidity: Duration.days(30) }, /refreshTokenValidity must be from 1 hour to 1 day, got 30 days/],
    [{ scopes: ['invoke'] }, /scopes \["invoke"\] need oAuth/],
    [{ scopes: ['in voke'], oAuth: OAUTH }, /each scope must be .* got 'in voke'/],
    [
      { oAuth: { ...OAUTH, callbackUrls: ['http://insecure.example.com'] } },
      /must use https:\/\/, got 'http:\/\/insecure/,
    ],
    [{ oAuth: { ...OAUTH, callbackUrls: [] } }, /oAuth\.callbackUrls must name at least one/],
  ])('bad input %j fails at synth', (props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});
