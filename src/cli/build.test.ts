// Rule: after a build, ody says how to run the binary where it can run: here for this machine's platform, on a
// machine of the target's platform otherwise (a cross build cannot start here). A unit test: a real cross build
// downloads Bun for the target, and tests stay on loopback.
import { expect, test } from 'bun:test';
import { nextStep } from './build';

test('a build for this machine is run here', () => {
  expect(nextStep('/p/dist/app', undefined, 'linux-x64')).toBe('run it with `/p/dist/app websocket start`');
  expect(nextStep('/p/dist/app', 'linux-x64-baseline', 'linux-x64')).toBe('run it with `/p/dist/app websocket start`');
});

test('a cross build is run on a machine of its platform, not here', () => {
  expect(nextStep('/p/dist/app', 'linux-arm64', 'linux-x64')).toBe('copy it to a linux-arm64 machine and run `./app websocket start` there');
  expect(nextStep('/p/dist/app', 'linux-x64-musl', 'linux-x64')).toBe('copy it to a linux-x64-musl machine and run `./app websocket start` there');
});
