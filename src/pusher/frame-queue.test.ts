// Rule: past the turn's quota frames wait; the next turns take one frame per socket in turn (oldest socket first),
// each socket's frames in order, and a socket forgotten (closed) loses what was waiting.
import { expect, test } from 'bun:test';
import { FrameQueue } from './frame-queue';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

test('two per turn: the rest waits, taken round robin, in order per socket; a forgotten socket is dropped', async () => {
  const handled: string[] = [];
  const queue = new FrameQueue<string, number>((socket, frame) => handled.push(`${socket}${frame}`), 2);
  for (let i = 1; i <= 4; i++) queue.push('a', i);
  for (let i = 1; i <= 2; i++) queue.push('b', i);
  queue.push('c', 1);
  expect(handled).toEqual(['a1', 'a2']);
  expect(queue.waiting).toBe(5);
  await nextTurn();
  expect(handled).toEqual(['a1', 'a2', 'a3', 'b1']);
  queue.forget('c');
  await nextTurn();
  await nextTurn();
  expect(handled).toEqual(['a1', 'a2', 'a3', 'b1', 'a4', 'b2']);
  expect(queue.waiting).toBe(0);
  await nextTurn();
  queue.push('d', 1); // a new turn with nothing waiting: handled at once
  expect(handled.at(-1)).toBe('d1');
});
