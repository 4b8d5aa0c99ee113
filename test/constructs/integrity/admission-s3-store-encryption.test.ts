/**
 * The admission gate's S3 writes name SSE-KMS and the models key: the platform's buckets deny object
 * writes without `x-amz-server-side-encryption-aws-kms-key-id` (`StringNotEqualsIfExists` in a Deny
 * denies a request that lacks the header), so a copy that relied on default encryption would be refused.
 */
import {
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { configFromEnvironment } from '../../../constructs/integrity/admission/handler';
import { MAX_SINGLE_COPY_BYTES, S3AdmissionStore } from '../../../constructs/integrity/admission/s3-store';

type Command = { input: Record<string, unknown> };

function recordingClient(): { client: S3Client; sent: Command[] } {
  const sent: Command[] = [];
  const client = {
    send: async (command: Command) => {
      sent.push(command);
      if (command instanceof CreateMultipartUploadCommand) return { UploadId: 'u' };
      if (command instanceof UploadPartCopyCommand) return { CopyPartResult: { ETag: '"p"' } };
      return {};
    },
  };
  return { client: client as unknown as S3Client, sent };
}

const KEY = 'arn:aws:kms:eu-west-1:111122223333:key/models';
const SSE = { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KEY, BucketKeyEnabled: true };

describe('S3AdmissionStore with the models key', () => {
  test('a copy, a multipart copy and a rejection record all name SSE-KMS with the key', async () => {
    const { client, sent } = recordingClient();
    const store = new S3AdmissionStore(client, 'models', KEY);
    await store.copyObject({ key: 'incoming/a', size: 1, versionId: 'v' }, 'approved/a');
    await store.copyObject({ key: 'incoming/b', size: MAX_SINGLE_COPY_BYTES + 1, versionId: 'v' }, 'approved/b');
    await store.putObject('rejected/x.json', '{}');

    const copy = sent.find((c) => c instanceof CopyObjectCommand)!;
    const multipart = sent.find((c) => c instanceof CreateMultipartUploadCommand)!;
    const put = sent.find((c) => c instanceof PutObjectCommand)!;
    for (const command of [copy, multipart, put]) expect(command.input).toMatchObject(SSE);
  });

  test('without a key, writes carry no encryption parameters (the bucket default applies)', async () => {
    const { client, sent } = recordingClient();
    await new S3AdmissionStore(client, 'models').putObject('rejected/x.json', '{}');
    expect(sent[0].input.SSEKMSKeyId).toBeUndefined();
    expect(sent[0].input.ServerSideEncryption).toBeUndefined();
  });

  test('the handler takes the key from MODELS_KEY_ARN', async () => {
    const config = configFromEnvironment({ MODELS_BUCKET: 'models', SIGNING_KEY_ARN: 'k', MODELS_KEY_ARN: KEY });
    const store = config.store as unknown as { sse: Record<string, unknown> };
    expect(store.sse).toEqual(SSE);
  });
});
