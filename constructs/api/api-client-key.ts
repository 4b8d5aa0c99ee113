import { Aws, DefaultStackSynthesizer, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, IConstruct } from 'constructs';
import { acknowledgeFindings } from '../private/nag';
import { describeValue, PlatformValidationError } from '../private/validation';
import * as perms from './private/api-perms';

/** The JSON field of the secret that holds the API key's value. */
export const API_KEY_SECRET_FIELD = 'apiKey';
/** Characters of a generated API key: letters and digits (API Gateway wants 20 to 128 alphanumerics). */
export const API_KEY_LENGTH = 40;
/** Secrets Manager secret names: 1-512 letters, digits and `/_+=.@-`. */
const SECRET_NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const MAX_KEY_VERSION = 1_000_000;

export interface ApiClientKeyProps {
  /**
   * The secret's name, fixed so that the client's role can be granted read access by name from a
   * stack deployed before this one (e.g. `apiClientSecretName(platformName, caller)` from
   * lib/config/names.ts). 1-512 letters, digits and `/_+=.@-`.
   */
  readonly secretName: string;
  /**
   * The customer-managed key the secret is encrypted with. Its key policy must let Secrets Manager
   * use it for principals of this account (`kms:ViaService` secretsmanager.<region>.amazonaws.com,
   * e.g. a PlatformKey with `KeyUsageService.of('secretsmanager')`). This construct never edits the
   * key's policy (the CDK `Secret` would add account-wide use and an unconditioned `kms:CreateGrant`).
   */
  readonly encryptionKey: kms.IKey;
  /**
   * The client's roles: with the deployment role, the only principals the secret's resource policy
   * lets read the value (`secretsmanager:GetSecretValue`). Give their ARNs with the role's path
   * (`aws:PrincipalArn` of a role session is the role ARN, path included). At least one.
   */
  readonly clientRoles: iam.IRole[];
  /**
   * The role CloudFormation deploys this stack with. CloudFormation resolves the API key's dynamic
   * reference with it (`GetSecretValue`), so the secret's policy must admit it too.
   * @default - the CloudFormation execution role of the stack's `DefaultStackSynthesizer` (`cdk bootstrap`)
   */
  readonly deploymentRoleArn?: string;
  /**
   * The key's version: change it (e.g. 1 → 2) to replace the key. The secret's generation template
   * carries it, so CloudFormation generates a new value, and the API key named after it is replaced
   * (its Value and Name can only be set at creation).
   * @default 1
   */
  readonly keyVersion?: number;
  /** Description of the secret. @default - names the secret's purpose */
  readonly description?: string;
}

/** An API key whose value CloudFormation reads from a secret at deploy (`ApiClient.key`). */
export interface IApiClientKey extends IConstruct {
  /** The secret holding the value, in its JSON field `API_KEY_SECRET_FIELD`. */
  readonly secret: secretsmanager.ISecret;
  /** The value, as a dynamic reference CloudFormation resolves at deploy (never in the template). */
  readonly apiKeyValue: string;
  /** The key's version (see `ApiClientKeyProps.keyVersion`). */
  readonly keyVersion: number;
}

/**
 * The API key of one API client, delivered through Secrets Manager.
 *
 * The value is generated at deploy (`GenerateSecretString`: 40 letters and digits) into the JSON
 * field `apiKey` of a secret with a fixed name, encrypted with a customer-managed key, retained on
 * deletion and update rollback. The API key takes its value from the secret with a dynamic
 * reference, `{{resolve:secretsmanager:<arn>:SecretString:apiKey::}}`, which CloudFormation
 * resolves in any resource property
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html;
 * the value is not part of the API key's identifier, whose `Ref` is the key id).
 *
 * The secret's resource policy denies `secretsmanager:GetSecretValue` to every principal but the
 * client's roles and the deployment role: CloudFormation makes its calls with the stack's service
 * role (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-iam-servicerole.html),
 * the CDK bootstrap's `cfn-exec-role`, and resolving the dynamic reference is a `GetSecretValue` by
 * that role (the AccessDenied in https://github.com/aws-samples/cdk-assume-role-credential-plugin/issues/49
 * names it). The deny targets that one action only: whoever deploys or administers the secret can
 * still describe, update, re-encrypt, tag or delete it, and change this policy.
 *
 * Rotation: an API key's `Value` and `Name` can only be set when the key is created
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-apigateway-apikey.html),
 * so Secrets Manager rotation cannot rotate it, and CloudFormation re-reads a dynamic reference only
 * when the resource holding it is updated. Change `keyVersion` instead: the secret's generation
 * template changes, and CloudFormation generates a new value when it does (not stated by the
 * CloudFormation reference; reported in https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/2210
 * and https://github.com/aws/aws-cdk/issues/19985); the API key, named with the version, is
 * replaced and created with the new value. Until the new key is in the usage plan, a client holding
 * the new value is refused: re-read the secret after a 403.
 *
 * The client reads the key with `grantReadByName` (its stack may deploy before this one).
 */
export class ApiClientKey extends Construct implements IApiClientKey {
  /**
   * The ARN pattern of the secret named `secretName` in this account and region: Secrets Manager
   * appends `-` and six random characters to a secret's name in its ARN.
   */
  public static secretArnPattern(secretName: string): string {
    return `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${secretName}-??????`;
  }

  /**
   * Let `grantee` read the API key in the secret named `secretName`, by name (no reference to the
   * stack that creates it): `GetSecretValue` and `DescribeSecret` on that secret, and `kms:Decrypt`
   * on `encryptionKey` only through Secrets Manager and only for that secret (its encryption context
   * `SecretARN`, https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html).
   */
  public static grantReadByName(grantee: iam.IGrantable, secretName: string, encryptionKey: kms.IKey): iam.Grant {
    validateSecretName(undefined, secretName);
    const secretArn = ApiClientKey.secretArnPattern(secretName);
    const read = iam.Grant.addToPrincipal({
      grantee,
      actions: perms.API_KEY_SECRET_READ,
      resourceArns: [secretArn],
    });
    const decrypt = iam.Grant.addToPrincipal({
      grantee,
      actions: perms.API_KEY_SECRET_DECRYPT,
      resourceArns: [encryptionKey.keyArn],
      conditions: {
        StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` },
        StringLike: { 'kms:EncryptionContext:SecretARN': secretArn },
      },
    });
    return read.combine(decrypt);
  }

  public readonly secret: secretsmanager.Secret;
  public readonly apiKeyValue: string;
  public readonly keyVersion: number;
  /** The principals the secret's policy lets read the value: the client roles, then the deployment role. */
  public readonly valueReaderArns: readonly string[];

  constructor(scope: Construct, id: string, props: ApiClientKeyProps) {
    super(scope, id);
    validateSecretName(this, props.secretName);
    this.keyVersion = props.keyVersion ?? 1;
    if (
      Token.isUnresolved(this.keyVersion) ||
      !Number.isInteger(this.keyVersion) ||
      this.keyVersion < 1 ||
      this.keyVersion > MAX_KEY_VERSION
    ) {
      throw new PlatformValidationError(
        this,
        `keyVersion must be a literal integer from 1 to ${MAX_KEY_VERSION}, got ${describeValue(this.keyVersion)}`,
      );
    }
    if (props.clientRoles.length === 0) {
      throw new PlatformValidationError(
        this,
        'clientRoles must name at least one role, got [] (a key nobody may read)',
      );
    }
    const deploymentRoleArn = props.deploymentRoleArn ?? this.synthesizerDeploymentRole();

    // Imported by ARN: the CDK Secret adds account-wide use of a key it is given (and kms:CreateGrant
    // without kms:GrantIsForAWSResource) to that key's policy; the key's owner decides its policy.
    const encryptionKey = kms.Key.fromKeyArn(this, 'EncryptionKey', props.encryptionKey.keyArn);
    this.secret = new secretsmanager.Secret(this, 'Resource', {
      secretName: props.secretName,
      description: props.description ?? `API key of an API client (x-api-key), version ${this.keyVersion}`,
      encryptionKey,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ keyVersion: this.keyVersion }),
        generateStringKey: API_KEY_SECRET_FIELD,
        passwordLength: API_KEY_LENGTH,
        excludePunctuation: true,
        includeSpace: false,
      },
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    this.valueReaderArns = [...props.clientRoles.map((r) => r.roleArn), deploymentRoleArn];
    this.secret.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyReadingTheKeyButByTheClientAndTheDeployment',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: perms.API_KEY_SECRET_VALUE,
        resources: ['*'],
        conditions: { StringNotEquals: { 'aws:PrincipalArn': this.valueReaderArns } },
      }),
    );
    this.apiKeyValue = this.secret.secretValueFromJson(API_KEY_SECRET_FIELD).unsafeUnwrap();
    acknowledgeFindings(
      this.secret,
      [
        'AwsSolutions-SMG4',
        'NIST.800.53.R5-SecretsManagerRotationEnabled',
        'HIPAA.Security-SecretsManagerRotationEnabled',
      ],
      'An API Gateway API key value can only be set when the key is created, so Secrets Manager rotation cannot rotate it; ' +
        'it is rotated by raising keyVersion, which regenerates the secret and replaces the API key.',
    );
  }

  /** The CloudFormation execution role of the stack's `DefaultStackSynthesizer`, as a template value. */
  private synthesizerDeploymentRole(): string {
    const synthesizer = Stack.of(this).synthesizer;
    let arn: string | undefined;
    try {
      arn = synthesizer instanceof DefaultStackSynthesizer ? synthesizer.cloudFormationExecutionRoleArn : undefined;
    } catch {
      arn = undefined; // e.g. a BootstraplessSynthesizer with no execution role
    }
    if (!arn) {
      throw new PlatformValidationError(
        this,
        `deploymentRoleArn is required with a ${synthesizer.constructor.name} that names no CloudFormation execution role: CloudFormation reads the key with the role it deploys the stack with`,
      );
    }
    // `${AWS::Partition}`, `${AWS::AccountId}` and `${AWS::Region}` are left in it for environment-agnostic stacks.
    return arn
      .split('${AWS::Partition}')
      .join(Aws.PARTITION)
      .split('${AWS::AccountId}')
      .join(Aws.ACCOUNT_ID)
      .split('${AWS::Region}')
      .join(Aws.REGION);
  }
}

function validateSecretName(scope: IConstruct | undefined, secretName: string): void {
  if (!Token.isUnresolved(secretName) && !SECRET_NAME_PATTERN.test(secretName)) {
    throw new PlatformValidationError(
      scope,
      `secretName must be 1-512 letters, digits and /_+=.@-, got ${describeValue(secretName)}`,
    );
  }
}
