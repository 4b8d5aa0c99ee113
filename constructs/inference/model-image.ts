import { Aws, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { PlatformValidationError } from '../private/validation';
import { grantEcrPull } from './grants';

/** An image digest: `sha256:` and 64 lower-case hex digits. */
export const IMAGE_DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** A private ECR image URI pinned by digest: `<account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>@sha256:<64 hex>`. */
export const PINNED_ECR_IMAGE_URI_PATTERN =
  /^(\d{12})\.dkr\.ecr\.([a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d)\.amazonaws\.com(?:\.cn)?\/((?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*)@(sha256:[0-9a-f]{64})$/;

/**
 * A repository images can be pulled from: an `ecr.IRepository`, or a `ModelImageRepository`
 * (whose `grantPull` also names the grantee in the repository policy).
 */
export interface IModelImageSource {
  /** Let the grantee pull images from the repository. */
  grantPull(grantee: iam.IGrantable): iam.Grant;
  /** The URI of the image with this digest. */
  repositoryUriForDigest(digest?: string): string;
}

/** What a bound image gives the model. */
export interface ModelImageConfig {
  /** The image URI, always pinned by digest. */
  readonly imageUri: string;
}

/**
 * The container image of a model: always pinned by digest, so what runs is what was reviewed and
 * scanned, and a pushed image with a reused tag can never change a running endpoint.
 */
export abstract class ModelImage {
  /** An image of a private repository of the platform, by digest (`sha256:<64 hex>`). */
  public static fromRepository(repository: IModelImageSource, digest: string): ModelImage {
    if (!Token.isUnresolved(digest) && !IMAGE_DIGEST_PATTERN.test(digest)) {
      throw new PlatformValidationError(
        undefined,
        `ModelImage.fromRepository: digest must be 'sha256:' followed by 64 lower-case hex digits (an image pinned by digest, not a tag), got '${digest}'`,
      );
    }
    return new RepositoryImage(repository, digest);
  }

  /**
   * A private ECR image by URI, pinned by digest
   * (`111122223333.dkr.ecr.eu-west-1.amazonaws.com/models/fraud@sha256:<64 hex>`). A tag-only URI is refused.
   */
  public static fromImageUri(imageUri: string): ModelImage {
    if (Token.isUnresolved(imageUri)) {
      throw new PlatformValidationError(
        undefined,
        'ModelImage.fromImageUri: imageUri must be a literal URI, so its pinning can be checked at synth; got an unresolved token. Use ModelImage.fromRepository(repository, digest) for a repository defined in the app',
      );
    }
    const match = PINNED_ECR_IMAGE_URI_PATTERN.exec(imageUri);
    if (!match) {
      throw new PlatformValidationError(
        undefined,
        `ModelImage.fromImageUri: imageUri must be a private ECR image pinned by digest, '<account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<64 hex>', got '${imageUri}'`,
      );
    }
    const [, account, region, repositoryName] = match;
    return new UriImage(imageUri, `arn:${Aws.PARTITION}:ecr:${region}:${account}:repository/${repositoryName}`);
  }

  /** Grant the grantee the pull of this image and return its URI. */
  public abstract bind(scope: Construct, grantee: iam.IGrantable): ModelImageConfig;
}

class RepositoryImage extends ModelImage {
  constructor(
    private readonly repository: IModelImageSource,
    private readonly digest: string,
  ) {
    super();
  }

  public bind(_scope: Construct, grantee: iam.IGrantable): ModelImageConfig {
    this.repository.grantPull(grantee);
    return { imageUri: this.repository.repositoryUriForDigest(this.digest) };
  }
}

class UriImage extends ModelImage {
  constructor(
    private readonly imageUri: string,
    private readonly repositoryArn: string,
  ) {
    super();
  }

  public bind(_scope: Construct, grantee: iam.IGrantable): ModelImageConfig {
    grantEcrPull(grantee, this.repositoryArn);
    return { imageUri: this.imageUri };
  }
}
