// `ody websocket stop`: graceful stop of the running server (1001 to every client), --force after the timeout.
import { defineCommand } from 'citty';
import { isAlive, removeState, requireServer } from '../cluster/state';
import { OdyError } from '../errors';
import { pidFileFor } from './project';
import { projectArgs } from './start';

export const stop = defineCommand({
  meta: { name: 'stop', description: 'Stop the running server gracefully' },
  args: {
    ...projectArgs,
    timeout: { type: 'string', description: 'Seconds to wait for a graceful stop (default: shutdownTimeout + 5)' },
    force: { type: 'boolean', description: 'Kill whatever is left after the timeout' },
  },
  async run({ args }) {
    const { pidFile, shutdownTimeout } = await pidFileFor(args);
    const state = requireServer(pidFile);
    const seconds = args.timeout === undefined ? shutdownTimeout + 5 : Number(args.timeout);
    if (!Number.isFinite(seconds) || seconds < 0) throw new OdyError(`--timeout: expected seconds, got '${args.timeout}'`, 'E_CLI');
    const everyone = [state.pid, ...state.workers];
    process.kill(state.pid, 'SIGTERM');
    const deadline = Date.now() + seconds * 1000;
    while (everyone.some(isAlive) && Date.now() < deadline) await Bun.sleep(25);
    const left = everyone.filter(isAlive);
    if (left.length > 0) {
      if (!args.force) throw new OdyError(`server did not stop within ${seconds} s (pids ${left.join(', ')} still running); use --force to kill them`, 'E_RUNNING');
      for (const pid of left) process.kill(pid, 'SIGKILL');
      while (left.some(isAlive)) await Bun.sleep(25);
      removeState(pidFile);
      console.log(`ody killed after ${seconds} s (pid ${state.pid})`);
      return;
    }
    removeState(pidFile); // normally already gone; a server killed mid-stop may leave it
    console.log(`ody stopped (pid ${state.pid})`);
  },
});
