// `ody websocket reload`: swap in freshly loaded controllers without dropping connections.
import { defineCommand } from 'citty';
import { control, type ReloadResult } from '../cluster/control';
import { requireServer } from '../cluster/state';
import { OdyError } from '../errors';
import { pidFileFor } from './project';
import { projectArgs } from './start';

export const reload = defineCommand({
  meta: { name: 'reload', description: 'Reload controllers and config without dropping connections' },
  args: projectArgs,
  async run({ args }) {
    const { pidFile } = await pidFileFor(args);
    const state = requireServer(pidFile);
    const result = await control<ReloadResult>(state.control, 'POST', '/reload');
    if (!result.ok) throw new OdyError(`reload failed, the previous code keeps serving: ${result.error}`, 'E_RELOAD');
    console.log(`ody reloaded (pid ${state.pid})`);
  },
});
