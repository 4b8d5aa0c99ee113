import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { describeValue, PlatformValidationError } from '../private/validation';

/** Shortest and longest access/ID token lifetimes the platform accepts. */
const TOKEN_MIN = Duration.minutes(5);
const TOKEN_MAX = Duration.hours(1);
/** Shortest and longest refresh token lifetimes the platform accepts. */
const REFRESH_MIN = Duration.hours(1);
const REFRESH_MAX = Duration.hours(24);
const SCOPE_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** OAuth sign-in (authorization code with PKCE) through the pool's managed login, needed for custom scopes. */
export interface ApiUserPoolOAuthProps {
  /** Where managed login sends users back after sign-in (https only). */
  readonly callbackUrls: string[];
  /** Where users land after sign-out. @default - the callback URLs */
  readonly logoutUrls?: string[];
  /** Prefix of the pool's `<prefix>.auth.<region>.amazoncognito.com` domain. */
  readonly domainPrefix: string;
}

export interface ApiUserPoolProps {
  /** Name of the user pool. @default - derived from the construct path */
  readonly userPoolName?: string;
  /** Lifetime of access and ID tokens, 5 minutes to 1 hour. @default Duration.minutes(15) */
  readonly tokenValidity?: Duration;
  /** Lifetime of refresh tokens, 1 to 24 hours. @default Duration.hours(8) */
  readonly refreshTokenValidity?: Duration;
  /**
   * Custom OAuth scopes of the API's resource server (e.g. `invoke`), which routes may require.
   * Requires `oAuth`: Cognito puts custom scopes only in tokens issued through OAuth flows.
   * @default - none
   */
  readonly scopes?: string[];
  /** Identifier of the API's resource server; scopes are `<identifier>/<scope>`. @default 'model-gateway' */
  readonly resourceServerIdentifier?: string;
  /** OAuth sign-in through managed login. @default - no OAuth: users sign in with SRP and get no custom scopes */
  readonly oAuth?: ApiUserPoolOAuthProps;
}

/**
 * The user pool people reach the model gateway with: administrators create users (no self
 * sign-up), MFA is required (authenticator apps; no SMS), threat protection is enforced (Plus
 * feature plan, `StandardThreatProtectionMode.FULL_FUNCTION`: risky sign-ins are blocked or
 * challenged and compromised credentials refused), passwords are long, tokens short-lived and
 * revocable. One public app client (no secret) for the people-facing application.
 */
export class ApiUserPool extends Construct {
  public readonly userPool: cognito.UserPool;
  public readonly client: cognito.UserPoolClient;
  /** The API's resource server, when scopes are declared. */
  public readonly resourceServer?: cognito.UserPoolResourceServer;
  /** Full names (`<identifier>/<scope>`) of the declared scopes. */
  public readonly scopeNames: readonly string[];
  private readonly resourceServerIdentifier: string;

  constructor(scope: Construct, id: string, props: ApiUserPoolProps = {}) {
    super(scope, id);
    const tokenValidity = props.tokenValidity ?? Duration.minutes(15);
    const refreshTokenValidity = props.refreshTokenValidity ?? Duration.hours(8);
    const scopes = props.scopes ?? [];
    this.resourceServerIdentifier = props.resourceServerIdentifier ?? 'model-gateway';
    this.validate(props, tokenValidity, refreshTokenValidity, scopes);

    this.userPool = new cognito.UserPool(this, 'Resource', {
      userPoolName: props.userPoolName,
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
        passwordHistorySize: 24,
      },
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      deletionProtection: true,
      // RETAIN, not RETAIN_ON_UPDATE_OR_DELETE: when a first create rolls back, CloudFormation would
      // delete the pool, which deletion protection refuses (DeleteUserPool: InvalidParameterException),
      // so the rollback itself would fail. A pool left behind blocks no retry: user pool names are not
      // unique, and the domain (the one unique name) is a separate resource that the rollback deletes.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    let oAuthScopes: cognito.OAuthScope[] = [];
    if (scopes.length > 0) {
      const resourceScopes = scopes.map((s) => new cognito.ResourceServerScope({ scopeName: s, scopeDescription: s }));
      this.resourceServer = this.userPool.addResourceServer('ResourceServer', {
        identifier: this.resourceServerIdentifier,
        scopes: resourceScopes,
      });
      oAuthScopes = resourceScopes.map((s) => cognito.OAuthScope.resourceServer(this.resourceServer!, s));
    }
    this.scopeNames = scopes.map((s) => `${this.resourceServerIdentifier}/${s}`);

    if (props.oAuth) {
      this.userPool.addDomain('Domain', { cognitoDomain: { domainPrefix: props.oAuth.domainPrefix } });
    }
    this.client = this.userPool.addClient('Client', {
      generateSecret: false,
      authFlows: { userSrp: true },
      disableOAuth: !props.oAuth,
      oAuth: props.oAuth
        ? {
            flows: { authorizationCodeGrant: true },
            scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, ...oAuthScopes],
            callbackUrls: props.oAuth.callbackUrls,
            logoutUrls: props.oAuth.logoutUrls ?? props.oAuth.callbackUrls,
          }
        : undefined,
      accessTokenValidity: tokenValidity,
      idTokenValidity: tokenValidity,
      refreshTokenValidity,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
    });
  }

  /** The full scope name (`<identifier>/<scope>`) of a declared scope; throws for an undeclared one. */
  public scopeName(scope: string): string {
    const name = `${this.resourceServerIdentifier}/${scope}`;
    if (!this.scopeNames.includes(name)) {
      throw new PlatformValidationError(
        this,
        `scope ${describeValue(scope)} is not declared on the user pool; declared: ${this.scopeNames.join(', ') || 'none'}`,
      );
    }
    return name;
  }

  private validate(props: ApiUserPoolProps, token: Duration, refresh: Duration, scopes: string[]): void {
    checkDuration(this, 'tokenValidity', token, TOKEN_MIN, TOKEN_MAX);
    checkDuration(this, 'refreshTokenValidity', refresh, REFRESH_MIN, REFRESH_MAX);
    for (const s of scopes) {
      if (!SCOPE_PATTERN.test(s)) {
        throw new PlatformValidationError(
          this,
          `scopes: each scope must be 1-64 letters, digits, '_', '.' or '-', got ${describeValue(s)}`,
        );
      }
    }
    if (scopes.length > 0 && !props.oAuth) {
      throw new PlatformValidationError(
        this,
        `scopes ${describeValue(scopes)} need oAuth (callbackUrls and domainPrefix): Cognito issues custom scopes only through OAuth flows`,
      );
    }
    for (const url of [...(props.oAuth?.callbackUrls ?? []), ...(props.oAuth?.logoutUrls ?? [])]) {
      if (!Token.isUnresolved(url) && !url.startsWith('https://')) {
        throw new PlatformValidationError(
          this,
          `oAuth callback and logout URLs must use https://, got ${describeValue(url)}`,
        );
      }
    }
    if (props.oAuth && props.oAuth.callbackUrls.length === 0) {
      throw new PlatformValidationError(this, 'oAuth.callbackUrls must name at least one https:// URL, got []');
    }
  }
}

function checkDuration(scope: Construct, field: string, d: Duration, min: Duration, max: Duration): void {
  if (d.isUnresolved()) return;
  const s = d.toSeconds();
  if (s < min.toSeconds() || s > max.toSeconds()) {
    throw new PlatformValidationError(
      scope,
      `${field} must be from ${min.toHumanString()} to ${max.toHumanString()}, got ${d.toHumanString()}`,
    );
  }
}
