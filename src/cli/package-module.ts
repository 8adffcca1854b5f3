// Makes `import ... from '@ody/websocket-server'` in a user's config resolve to this very copy of ody,
// so the compiled binary runs a project folder that has no node_modules, and ContextManager is shared.
import * as api from '../index';

let registered = false;

export function registerPackageModule(): void {
  if (registered) return;
  registered = true;
  Bun.plugin({
    name: 'ody-package',
    setup(build) {
      build.module('@ody/websocket-server', () => ({ exports: { ...api }, loader: 'object' }));
    },
  });
}
