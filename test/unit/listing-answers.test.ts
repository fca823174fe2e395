import { Readable } from 'node:stream';
import {
  ListObjectsV2Command,
  type ListObjectsV2CommandInput,
  ListObjectVersionsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { listObjectsV2, listObjectVersions, readListingAnswer } from '../../src/tools/listing-answers.js';

const readListObjectsV2 = (xml: string) => readListingAnswer('ListObjectsV2', xml);

interface Answer {
  readonly status: number;
  readonly body: string;
}

/**
 * A client whose requests get `answers` in turn (the last one again once they run out): the SDK's
 * own signing, retries and parsing, with no network.
 */
function clientAnswering(...answers: Answer[]) {
  const requests: string[] = [];
  const s3 = new S3Client({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 3,
    requestHandler: {
      handle: async (request: { path: string }) => {
        const answer = answers[Math.min(requests.length, answers.length - 1)] as Answer;
        requests.push(request.path);
        return {
          response: {
            statusCode: answer.status,
            headers: { 'content-type': 'application/xml', 'x-amz-request-id': `REQ${requests.length}` },
            body: Readable.from(Buffer.from(answer.body)),
          },
        };
      },
    },
  });
  return { s3, requests };
}

/** The SDK's own answer and this module's for the same body, without the per-call metadata. */
async function bothReadings(body: string, input: ListObjectsV2CommandInput = { Bucket: 'bucket' }) {
  const { $metadata: _sdk, ...sdk } = await clientAnswering({ status: 200, body }).s3.send(
    new ListObjectsV2Command(input),
  );
  const { $metadata: _fast, ...fast } = await listObjectsV2(clientAnswering({ status: 200, body }).s3, input);
  return { sdk, fast };
}

/** An answer as S3 writes it: the root element `root` around `inner`. */
const answerXml = (root: string, inner: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</${root}>`;
const result = (inner: string) => answerXml('ListBucketResult', inner);

/** A page of AWS's shape: checksums, a multipart ETag, escaped text, a continuation token, common prefixes. */
const AWS_PAGE = result(
  [
    '<Name>uploads</Name><Prefix>logs/</Prefix>',
    '<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>',
    '<KeyCount>4</KeyCount><MaxKeys>4</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>',
    '<StartAfter>logs/a</StartAfter>',
    '<Contents><Key>logs/a&amp;b &lt;1&gt; &quot;q&quot; &apos;s&apos;.txt</Key>',
    '<LastModified>2026-11-29T10:11:12.000Z</LastModified><ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag>',
    '<ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType>',
    '<Size>434234</Size><StorageClass>STANDARD</StorageClass></Contents>',
    '<Contents><Key>logs/  spaced  é.txt</Key><LastModified>2026-11-29T10:11:13.120Z</LastModified>',
    '<ETag>&quot;3858f62230ac3c915f300c664312c11f-3&quot;</ETag><ChecksumAlgorithm>CRC32</ChecksumAlgorithm>',
    '<ChecksumAlgorithm>SHA256</ChecksumAlgorithm><Size>0</Size><StorageClass>GLACIER_IR</StorageClass>',
    '<Owner><DisplayName>team&amp;ops</DisplayName><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID></Owner></Contents>',
    '<Contents>\n  <Key>logs/tab&#9;cr&#13;lf&#xA;.txt</Key>\n  <LastModified>2026-11-29T10:11:14Z</LastModified>\n',
    '  <ETag>"d41d8cd98f00b204e9800998ecf8427e"</ETag>\n  <Size>5368709120</Size>\n</Contents>',
    '<CommonPrefixes><Prefix>logs/2026/</Prefix></CommonPrefixes>',
    '<CommonPrefixes><Prefix>logs/&lt;odd&gt;/</Prefix></CommonPrefixes>',
  ].join(''),
);

describe('reading a ListObjectsV2 answer by string search', () => {
  it('gives the SDK’s output, field for field, for a page of AWS’s shape', async () => {
    expect(readListObjectsV2(AWS_PAGE)).toBeDefined();
    const { sdk, fast } = await bothReadings(AWS_PAGE, {
      Bucket: 'uploads',
      Prefix: 'logs/',
      Delimiter: '/',
    });
    expect(fast).toEqual(sdk);
    expect(fast.Contents?.map((object) => object.Key)).toEqual([
      'logs/a&b <1> "q" \'s\'.txt',
      'logs/  spaced  é.txt',
      'logs/tab\tcr\rlf\n.txt',
    ]);
    expect(fast.Contents?.[1]?.ChecksumAlgorithm).toEqual(['CRC32', 'SHA256']);
    expect(fast.Contents?.[1]?.Owner?.DisplayName).toBe('team&ops');
    expect(fast.Contents?.[2]?.Size).toBe(5_368_709_120);
    expect(fast.Prefix).toBe('logs/');
  });

  it('gives the SDK’s output for an empty page and for fauxqs’ shape', async () => {
    const empty = result(
      '<Name>b</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>',
    );
    const fauxqs = result(
      '\n  <Name>b</Name>\n  <Prefix></Prefix>\n  <KeyCount>1</KeyCount>\n  <MaxKeys>1000</MaxKeys>\n  <IsTruncated>false</IsTruncated>\n  <Contents><Key> sp </Key><Size>4</Size><ETag>&quot;a2b39967455293a8da778adcd2d63f75&quot;</ETag><LastModified>2026-11-30T08:52:47.721Z</LastModified><StorageClass>STANDARD</StorageClass></Contents>\n',
    );
    for (const body of [empty, fauxqs]) {
      expect(readListObjectsV2(body)).toBeDefined();
      const { sdk, fast } = await bothReadings(body);
      expect(fast).toEqual(sdk);
    }
  });

  it('reads any key as the SDK does, escaped or not', async () => {
    // Characters XML 1.0 can carry, markup often; S3 escapes the markup characters and the carriage return.
    const markup = fc.constantFrom(
      '&',
      '<',
      '>',
      '"',
      "'",
      '\r',
      '\n',
      '\t',
      ' ',
      ';',
      '#',
      'a',
      '/',
      'é',
      '😀',
    );
    const anyChar = fc
      .string({ unit: 'binary', minLength: 1, maxLength: 1 })
      .map((char) => char.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, 'x'));
    const xmlChar = fc
      .string({ unit: fc.oneof(markup, anyChar), minLength: 1, maxLength: 12 })
      // A text of only whitespace with a line break: the SDK empties it (the next test).
      .filter((text) => !(text.includes('\n') && text.trim() === ''));
    const asS3Writes = (text: string) =>
      text
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/"/g, '&quot;')
        .replace(/'/g, '&apos;')
        .replace(/\r/g, '&#13;');
    await fc.assert(
      fc.asyncProperty(fc.array(xmlChar, { minLength: 1, maxLength: 5 }), async (keys) => {
        const body = result(
          keys
            .map(
              (key) =>
                `<Contents><Key>${asS3Writes(key)}</Key><LastModified>2026-11-29T10:11:12.000Z</LastModified><ETag>&quot;e&quot;</ETag><Size>1</Size></Contents>`,
            )
            .join(''),
        );
        expect(readListObjectsV2(body)).toBeDefined();
        const { sdk, fast } = await bothReadings(body);
        expect(fast).toEqual(sdk);
        expect(fast.Contents?.map((object) => object.Key)).toEqual(keys);
      }),
      { numRuns: 150 },
    );
  });

  it('keeps the keys the SDK’s parser loses', () => {
    const body = result('<Contents><Key>&#10;</Key></Contents><Contents><Key>x&#x1F600;y</Key></Contents>');
    expect(readListObjectsV2(body)?.Contents?.map((object) => object.Key)).toEqual(['\n', 'x😀y']);
  });

  it('leaves to the SDK an answer it does not read exactly: URL-encoded keys, restore status, CDATA, attributes', async () => {
    const bodies = [
      result('<EncodingType>url</EncodingType><Contents><Key>a%20b</Key></Contents>'),
      result(
        '<Contents><Key>a</Key><RestoreStatus><IsRestoreInProgress>true</IsRestoreInProgress></RestoreStatus></Contents>',
      ),
      result('<Contents><Key><![CDATA[a<b]]></Key></Contents>'),
      result('<Contents><Key xml:space="preserve">a</Key></Contents>'),
      result('<Contents><Key>a</Key><ETag/></Contents>'),
    ];
    for (const body of bodies) {
      expect(readListObjectsV2(body)).toBeUndefined();
      const { sdk, fast } = await bothReadings(body);
      expect(fast).toEqual(sdk);
      expect(fast.Contents).toBeDefined();
    }
  });
});

const versionsResult = (inner: string) => answerXml('ListVersionsResult', inner);

/** A page of a versioned bucket as AWS answers it: versions and delete markers interleaved, owners, markers. */
const AWS_VERSIONS_PAGE = versionsResult(
  [
    '<Name>uploads</Name><Prefix>logs/</Prefix><KeyMarker>logs/a</KeyMarker><VersionIdMarker>null</VersionIdMarker>',
    '<NextKeyMarker>logs/c &amp; d</NextKeyMarker><NextVersionIdMarker>3/L4kqtJl40Nr8X8gdRQBpUMLUo</NextVersionIdMarker>',
    '<MaxKeys>4</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>',
    '<DeleteMarker><Key>logs/b.txt</Key><VersionId>dm1</VersionId><IsLatest>true</IsLatest>',
    '<LastModified>2026-11-29T10:11:15.000Z</LastModified><Owner><ID>owner-id</ID></Owner></DeleteMarker>',
    '<Version><Key>logs/b.txt</Key><VersionId>v2</VersionId><IsLatest>false</IsLatest>',
    '<LastModified>2026-11-29T10:11:12.000Z</LastModified><ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag>',
    '<ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType>',
    '<Size>434234</Size><StorageClass>STANDARD</StorageClass>',
    '<Owner><DisplayName>me</DisplayName><ID>owner-id</ID></Owner></Version>',
    '<Version><Key>logs/c &amp; d</Key><VersionId>3/L4kqtJl40Nr8X8gdRQBpUMLUo</VersionId><IsLatest>true</IsLatest>',
    '<LastModified>2026-11-29T10:11:13.000Z</LastModified><ETag>&quot;3858f62230ac3c915f300c664312c11f-3&quot;</ETag>',
    '<Size>0</Size><StorageClass>STANDARD</StorageClass><Owner><ID>owner-id</ID></Owner></Version>',
    '<Version><Key>logs/unversioned.txt</Key><VersionId>null</VersionId><IsLatest>true</IsLatest>',
    '<LastModified>2026-11-29T10:11:14.000Z</LastModified><ETag>"d41d8cd98f00b204e9800998ecf8427e"</ETag>',
    '<Size>5368709120</Size><StorageClass>STANDARD</StorageClass></Version>',
    '<CommonPrefixes><Prefix>logs/2026/</Prefix></CommonPrefixes>',
  ].join(''),
);

describe('reading a ListObjectVersions answer by string search', () => {
  it('gives the SDK’s output, field for field, for a page of AWS’s shape', async () => {
    expect(readListingAnswer('ListObjectVersions', AWS_VERSIONS_PAGE)).toBeDefined();
    const input = { Bucket: 'uploads', Prefix: 'logs/', Delimiter: '/' };
    const { $metadata: _sdk, ...sdk } = await clientAnswering({
      status: 200,
      body: AWS_VERSIONS_PAGE,
    }).s3.send(new ListObjectVersionsCommand(input));
    const { $metadata: _fast, ...fast } = await listObjectVersions(
      clientAnswering({ status: 200, body: AWS_VERSIONS_PAGE }).s3,
      input,
    );
    expect(fast).toEqual(sdk);
    expect(fast.Versions?.map((version) => [version.Key, version.VersionId, version.IsLatest])).toEqual([
      ['logs/b.txt', 'v2', false],
      ['logs/c & d', '3/L4kqtJl40Nr8X8gdRQBpUMLUo', true],
      ['logs/unversioned.txt', 'null', true],
    ]);
    expect(fast.DeleteMarkers).toEqual([
      {
        Key: 'logs/b.txt',
        VersionId: 'dm1',
        IsLatest: true,
        LastModified: new Date('2026-11-29T10:11:15.000Z'),
        Owner: { ID: 'owner-id' },
      },
    ]);
    expect(fast.NextKeyMarker).toBe('logs/c & d');
  });

  it('gives the SDK’s output for an empty page, and leaves URL-encoded keys to the SDK', async () => {
    const empty = versionsResult(
      '<Name>b</Name><Prefix></Prefix><KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>',
    );
    const encoded = versionsResult(
      '<EncodingType>url</EncodingType><Version><Key>a%20b</Key><VersionId>v1</VersionId><IsLatest>true</IsLatest></Version>',
    );
    expect(readListingAnswer('ListObjectVersions', empty)).toBeDefined();
    expect(readListingAnswer('ListObjectVersions', encoded)).toBeUndefined();
    for (const body of [empty, encoded]) {
      const { $metadata: _sdk, ...sdk } = await clientAnswering({ status: 200, body }).s3.send(
        new ListObjectVersionsCommand({ Bucket: 'b' }),
      );
      const { $metadata: _fast, ...fast } = await listObjectVersions(
        clientAnswering({ status: 200, body }).s3,
        {
          Bucket: 'b',
        },
      );
      expect(fast).toEqual(sdk);
    }
  });

  it('does not read one operation’s answer as the other’s', () => {
    expect(readListingAnswer('ListObjectVersions', AWS_PAGE)).toBeUndefined();
    expect(readListingAnswer('ListObjectsV2', AWS_VERSIONS_PAGE)).toBeUndefined();
  });
});

describe('ListObjectsV2 sent by the SDK', () => {
  it('leaves a cut-off answer to the SDK’s parser, which rejects it', async () => {
    const cut = result('<Contents><Key>a</Key><Size>1</Size></Contents><Contents><Key>b</Key><Si');
    expect(readListObjectsV2(cut)).toBeUndefined();
    const sdk = await clientAnswering({ status: 200, body: cut })
      .s3.send(new ListObjectsV2Command({ Bucket: 'b' }))
      .then(
        () => 'answered',
        (error: Error) => error.name,
      );
    const fast = await listObjectsV2(clientAnswering({ status: 200, body: cut }).s3, { Bucket: 'b' }).then(
      () => 'answered',
      (error: Error) => error.name,
    );
    expect(fast).toBe(sdk);
  });

  it('fails as the SDK does on an error answer', async () => {
    const { s3 } = clientAnswering({
      status: 404,
      body: '<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>gone</BucketName></Error>',
    });
    await expect(listObjectsV2(s3, { Bucket: 'gone' })).rejects.toMatchObject({
      name: 'NoSuchBucket',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('retries a 500 and an error sent with a 200, and reads the answer that succeeded', async () => {
    const page = result(
      '<Name>b</Name><KeyCount>1</KeyCount><IsTruncated>false</IsTruncated><Contents><Key>k</Key><Size>3</Size></Contents>',
    );
    const { s3, requests } = clientAnswering(
      {
        status: 500,
        body: '<Error><Code>InternalError</Code><Message>We encountered an internal error</Message></Error>',
      },
      {
        status: 200,
        body: '<Error><Code>InternalError</Code><Message>We encountered an internal error</Message></Error>',
      },
      { status: 200, body: page },
    );
    const output = await listObjectsV2(s3, { Bucket: 'b' });
    expect(requests).toHaveLength(3);
    expect(output.Contents).toEqual([{ Key: 'k', Size: 3 }]);
    expect(output.$metadata).toMatchObject({ httpStatusCode: 200, attempts: 3, requestId: 'REQ3' });
  });
});
