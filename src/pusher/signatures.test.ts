// Rule: ody signs and checks exactly as Pusher documents: the published vectors, and socket ids that round-trip.
import { expect, test } from 'bun:test';
import { authenticateUser, authorizeChannel, checkAuth, hmac, sharedSecret } from './signatures';
import { fdOf, socketId } from './socket-id';

const app = { key: '278d425bdf160c739803', secret: '7ad3773142a6692b25b8' };

test('channel and user signatures match the documented vectors', () => {
  expect(authorizeChannel(app, '1234.1234', 'private-foobar').auth).toBe(`${app.key}:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4`);
  expect(authenticateUser(app, '1234.1234', { id: '12345' }).auth).toBe(`${app.key}:4708d583dada6a56435fb8bc611c77c359a31eebde13337c16ab43aa6de336ba`);
  expect(checkAuth(app, `${app.key}:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4`, '1234.1234:private-foobar')).toBe(true);
  expect(checkAuth(app, `${app.key}:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a5`, '1234.1234:private-foobar')).toBe(false);
  expect(checkAuth({ ...app, key: 'other' }, `${app.key}:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4`, '1234.1234:private-foobar')).toBe(false);
});

test('encrypted shared secret and webhook signature vectors', () => {
  expect(sharedSecret('private-encrypted-bla', 'zyrm8pvV2C9fJcBfhyXzvxbJVN/H7QLmbe0xJi1GhPU=')).toBe('nlr49ISQHz91yS3cy/yWmW8wFMNeTnNL5tNHnbPJcLQ=');
  expect(hmac('tofu', '{"time_ms":1403175510755,"events":[{"channel":"test_channel","name":"channel_vacated"}]}')).toBe('c17257e92037cd7de407ebc1ed174ceb7b2e518db127f44411b9ffc4f5b28cc5');
});

test('socket ids are digits.digits and name their fd', () => {
  for (const fd of [1, 5, 2 ** 20 + 3, 77 * 2 ** 20 + 1_048_575]) {
    expect(socketId(fd)).toMatch(/^\d+\.\d+$/);
    expect(fdOf(socketId(fd))).toBe(fd);
  }
  expect(socketId(3 * 2 ** 20 + 7)).toBe('3.7');
  expect([fdOf('1.2.3'), fdOf('a.1'), fdOf('1.1048576'), fdOf(12)]).toEqual([undefined, undefined, undefined, undefined]);
});

test('the helpers refuse to sign a user id with a control character (ody would refuse it)', () => {
  expect(() => authorizeChannel(app, '1.1', 'presence-room', { user_id: 'victim\u0000x' })).toThrow('presence user_id must not contain control characters');
  expect(() => authenticateUser(app, '1.1', { id: 'victim\u0007' })).toThrow('user.id must be a non-empty string without control characters');
  expect(authorizeChannel(app, '1.1', 'presence-room', { user_id: 7 }).channel_data).toBe('{"user_id":7}');
});
