import { describe, expect, it } from 'vitest';
import {
  changeOf,
  LOCAL_SHARD_ID,
  parseShardIterator,
  STREAM_RETENTION_MS,
  StreamError,
  TableStream,
} from '../../src/local/table-stream.js';

const item = (n: string) => ({ pk: { S: 'k' }, n: { N: n } });
const keys = { pk: { S: 'k' } };

function streamAt(
  clock: { now: number },
  viewType: 'KEYS_ONLY' | 'NEW_AND_OLD_IMAGES' = 'NEW_AND_OLD_IMAGES',
) {
  return new TableStream(
    'arn:aws:dynamodb:us-east-1:000000000000:table/log/stream/2026-12-07T00:00:00.000',
    '2026-12-07T00:00:00.000',
    'log',
    viewType,
    [{ AttributeName: 'pk', KeyType: 'HASH' }],
    'us-east-1',
    () => clock.now,
  );
}
const positionOf = (iterator: string) => parseShardIterator(iterator).position;

describe('changeOf', () => {
  it('names the change a write made, and none when it changed nothing', () => {
    expect(changeOf(undefined, item('1'))).toBe('INSERT');
    expect(changeOf(item('1'), item('2'))).toBe('MODIFY');
    expect(changeOf(item('1'), undefined)).toBe('REMOVE');
    expect(changeOf(undefined, undefined)).toBeUndefined();
    // The same attributes in another order are the same item.
    expect(changeOf({ n: { N: '1' }, pk: { S: 'k' } }, item('1'))).toBeUndefined();
  });
});

describe('TableStream', () => {
  it('shows what the view type asks for', () => {
    const clock = { now: 0 };
    const keysOnly = streamAt(clock, 'KEYS_ONLY').append(keys, item('1'), item('2'));
    expect(keysOnly?.dynamodb).not.toHaveProperty('NewImage');
    expect(keysOnly?.dynamodb).not.toHaveProperty('OldImage');
    const both = streamAt(clock).append(keys, undefined, item('1'));
    expect(both?.dynamodb).toMatchObject({ NewImage: item('1'), Keys: keys });
    expect(both?.dynamodb).not.toHaveProperty('OldImage');
  });

  it('reads from the trim horizon, at, after and past the latest record', () => {
    const clock = { now: 1_000 };
    const stream = streamAt(clock);
    for (const n of ['1', '2', '3']) stream.append(keys, undefined, item(n));
    const horizon = positionOf(stream.iterator(LOCAL_SHARD_ID, 'TRIM_HORIZON'));
    expect(stream.read(horizon, 2).Records.map((record) => record.dynamodb.NewImage?.n)).toEqual([
      { N: '1' },
      { N: '2' },
    ]);
    const second = stream.read(horizon, 10).Records[1]?.dynamodb.SequenceNumber;
    expect(
      stream.read(positionOf(stream.iterator(LOCAL_SHARD_ID, 'AT_SEQUENCE_NUMBER', second)), 10).Records,
    ).toHaveLength(2);
    expect(
      stream.read(positionOf(stream.iterator(LOCAL_SHARD_ID, 'AFTER_SEQUENCE_NUMBER', second)), 10).Records,
    ).toHaveLength(1);
    const latest = positionOf(stream.iterator(LOCAL_SHARD_ID, 'LATEST'));
    expect(stream.read(latest, 10).Records).toEqual([]);
    stream.append(keys, item('3'), item('4'));
    expect(stream.read(latest, 10).Records.map((record) => record.eventName)).toEqual(['MODIFY']);
  });

  it('drops records after 24 hours, and an iterator that points before them fails as AWS fails it', () => {
    const clock = { now: 0 };
    const stream = streamAt(clock);
    stream.append(keys, undefined, item('1'));
    const horizon = positionOf(stream.iterator(LOCAL_SHARD_ID, 'TRIM_HORIZON'));
    clock.now = STREAM_RETENTION_MS / 2;
    stream.append(keys, item('1'), item('2'));
    clock.now = STREAM_RETENTION_MS + 1;
    expect(() => stream.read(horizon, 10)).toThrow(StreamError);
    const kept = stream.read(positionOf(stream.iterator(LOCAL_SHARD_ID, 'TRIM_HORIZON')), 10).Records;
    expect(kept.map((record) => record.eventName)).toEqual(['MODIFY']);
    expect(() => stream.iterator(LOCAL_SHARD_ID, 'AT_SEQUENCE_NUMBER', '1')).toThrow(/retention/);
  });

  it('refuses a shard it does not have and a sequence number not yet written', () => {
    const stream = streamAt({ now: 0 });
    expect(() => stream.iterator('shardId-other', 'TRIM_HORIZON')).toThrow(/no shard/);
    expect(() => stream.iterator(LOCAL_SHARD_ID, 'AFTER_SEQUENCE_NUMBER', '7')).toThrow(/not yet|no record/);
    expect(() => stream.iterator(LOCAL_SHARD_ID, 'AT_SEQUENCE_NUMBER')).toThrow(/needs a SequenceNumber/);
  });
});
