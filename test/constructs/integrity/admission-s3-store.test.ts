/**
 * The S3 adapter of the admission gate, against a stand-in client that records the commands it is sent.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import {
  COPY_PART_BYTES,
  MAX_SINGLE_COPY_BYTES,
  S3AdmissionStore,
  copySourceOf,
} from '../../../constructs/integrity/admission/s3-store';

type Command = { constructor: { name: string }; input: Record<string, unknown> };

/** A client whose `send` records commands and answers with `respond`. */
function stubClient(respond: (command: Command) => unknown) {
  const sent: Command[] = [];
  const client = {
    send: async (command: Command) => {
      sent.push(command);
      const answer = respond(command);
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  return { client: client as unknown as S3Client, sent };
}

function s3Error(name: string, status: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}

describe('copySourceOf', () => {
  test('URL-encodes each key segment and pins the version', () => {
    expect(copySourceOf('models', { key: 'incoming/w/m/1.0+2/files/a b/café?.bin', size: 1, versionId: 'v/1+x' })).toBe(
      'models/incoming/w/m/1.0%2B2/files/a%20b/caf%C3%A9%3F.bin?versionId=v%2F1%2Bx',
    );
  });

  test('without a version id, names the key only', () => {
    expect(copySourceOf('models', { key: 'a/b', size: 1 })).toBe('models/a/b');
  });
});

describe('S3AdmissionStore', () => {
  test('copyObject: one CopyObject pinned by version id and ETag', async () => {
    const { client, sent } = stubClient(() => ({}));
    await new S3AdmissionStore(client, 'models').copyObject(
      { key: 'incoming/a', size: 10, versionId: 'v1', etag: '"e1"' },
      'approved/a',
    );
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeInstanceOf(CopyObjectCommand);
    expect(sent[0].input).toEqual({
      Bucket: 'models',
      Key: 'approved/a',
      CopySource: 'models/incoming/a?versionId=v1',
      CopySourceIfMatch: '"e1"',
    });
  });

  test('copyObject over 5 GiB: multipart UploadPartCopy ranges covering every byte once', async () => {
    const size = MAX_SINGLE_COPY_BYTES + 123;
    const { client, sent } = stubClient((c) => {
      if (c instanceof CreateMultipartUploadCommand) return { UploadId: 'up-1' };
      if (c instanceof UploadPartCopyCommand) return { CopyPartResult: { ETag: `"p${c.input.PartNumber}"` } };
      return {};
    });
    await new S3AdmissionStore(client, 'models').copyObject(
      { key: 'incoming/big', size, versionId: 'v9', etag: '"e9"' },
      'approved/big',
    );

    const parts = sent.filter((c) => c instanceof UploadPartCopyCommand).map((c) => c.input);
    expect(parts).toHaveLength(Math.ceil(size / COPY_PART_BYTES));
    let next = 0;
    for (const [i, part] of parts.entries()) {
      expect(part).toMatchObject({
        UploadId: 'up-1',
        PartNumber: i + 1,
        CopySource: 'models/incoming/big?versionId=v9',
        CopySourceIfMatch: '"e9"',
      });
      const [start, end] = /^bytes=(\d+)-(\d+)$/
        .exec(part.CopySourceRange as string)!
        .slice(1)
        .map(Number);
      expect(start).toBe(next);
      next = end + 1;
    }
    expect(next).toBe(size);
    const complete = sent.at(-1) as Command;
    expect(complete).toBeInstanceOf(CompleteMultipartUploadCommand);
    expect((complete.input.MultipartUpload as { Parts: unknown[] }).Parts).toEqual(
      parts.map((_, i) => ({ ETag: `"p${i + 1}"`, PartNumber: i + 1 })),
    );
    expect(sent.some((c) => c instanceof CopyObjectCommand)).toBe(false);
  });

  test('a failed part aborts the multipart upload and rethrows', async () => {
    const { client, sent } = stubClient((c) => {
      if (c instanceof CreateMultipartUploadCommand) return { UploadId: 'up-2' };
      if (c instanceof UploadPartCopyCommand)
        return c.input.PartNumber === 2 ? s3Error('PreconditionFailed', 412) : { CopyPartResult: { ETag: '"p"' } };
      return {};
    });
    const store = new S3AdmissionStore(client, 'models');
    await expect(store.copyObject({ key: 'k', size: MAX_SINGLE_COPY_BYTES * 2, versionId: 'v' }, 'd')).rejects.toThrow(
      'PreconditionFailed',
    );
    expect(sent.at(-1)).toBeInstanceOf(AbortMultipartUploadCommand);
    expect(sent.at(-1)?.input).toEqual({ Bucket: 'models', Key: 'd', UploadId: 'up-2' });
  });

  test('getObject: the requested version; undefined when missing; other errors rethrown', async () => {
    const { client, sent } = stubClient((c) =>
      c.input.Key === 'missing'
        ? s3Error('NoSuchKey', 404)
        : c.input.Key === 'denied'
          ? s3Error('AccessDenied', 403)
          : { Body: [Buffer.from('x')], ContentLength: 1, VersionId: 'v3', ETag: '"e"' },
    );
    const store = new S3AdmissionStore(client, 'models');
    expect(await store.getObject('k', 'v3')).toMatchObject({ key: 'k', size: 1, versionId: 'v3', etag: '"e"' });
    expect(sent[0]).toBeInstanceOf(GetObjectCommand);
    expect(sent[0].input).toEqual({ Bucket: 'models', Key: 'k', VersionId: 'v3' });
    expect(await store.getObject('missing')).toBeUndefined();
    await expect(store.getObject('denied')).rejects.toThrow('AccessDenied');
  });

  test('listObjects follows continuation tokens', async () => {
    const { client, sent } = stubClient((c) =>
      c.input.ContinuationToken === undefined
        ? { Contents: [{ Key: 'p/a', Size: 1 }], IsTruncated: true, NextContinuationToken: 't2' }
        : { Contents: [{ Key: 'p/b', Size: 2 }], IsTruncated: false },
    );
    expect(await new S3AdmissionStore(client, 'models').listObjects('p/')).toEqual([
      { key: 'p/a', size: 1 },
      { key: 'p/b', size: 2 },
    ]);
    expect(sent.map((c) => [c instanceof ListObjectsV2Command, c.input.Prefix, c.input.ContinuationToken])).toEqual([
      [true, 'p/', undefined],
      [true, 'p/', 't2'],
    ]);
  });
});
