/**
 * D1: the admission gate's S3 writes name no SSE parameters. The platform's buckets encrypt by default
 * with SSE-KMS and their own key and deny only a WRONG SSE header, so a copy, a multipart copy (whose
 * encryption is set at CreateMultipartUpload) and a rejection record all get the bucket's key without
 * naming it. (The wire-level check, against a local S3 endpoint, is admission-s3-store-wire.test.ts.)
 */
import {
  CompleteMultipartUploadCommand,
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

const SSE_PARAMETERS = ['ServerSideEncryption', 'SSEKMSKeyId', 'BucketKeyEnabled', 'SSEKMSEncryptionContext'];

describe('S3AdmissionStore writes', () => {
  test('a copy, a multipart copy and a rejection record name no SSE parameter', async () => {
    const { client, sent } = recordingClient();
    const store = new S3AdmissionStore(client, 'models');
    await store.copyObject({ key: 'incoming/a', size: 1, versionId: 'v' }, 'approved/a');
    await store.copyObject({ key: 'incoming/b', size: MAX_SINGLE_COPY_BYTES + 1, versionId: 'v' }, 'approved/b');
    await store.putObject('rejected/x.json', '{}');

    const kinds = [
      CopyObjectCommand,
      CreateMultipartUploadCommand,
      UploadPartCopyCommand,
      CompleteMultipartUploadCommand,
      PutObjectCommand,
    ];
    for (const kind of kinds) expect(sent.some((c) => c instanceof kind)).toBe(true);
    for (const command of sent) {
      for (const parameter of SSE_PARAMETERS) expect(command.input[parameter]).toBeUndefined();
    }
  });

  test('the handler builds its store from MODELS_BUCKET alone: a stale MODELS_KEY_ARN is not used', () => {
    const config = configFromEnvironment({
      MODELS_BUCKET: 'models',
      SIGNING_KEY_ARN: 'k',
      MODELS_KEY_ARN: 'arn:aws:kms:eu-west-1:111122223333:key/models',
    });
    expect(config.store).toBeInstanceOf(S3AdmissionStore);
    expect(Object.values(config.store as unknown as Record<string, unknown>)).not.toContain(
      'arn:aws:kms:eu-west-1:111122223333:key/models',
    );
  });
});
