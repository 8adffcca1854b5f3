// `ody apps init-db`: create the apps table in the database `apps` (or WEBSOCKET_APPS_URL) names; --print shows the SQL.
import { defineCommand } from 'citty';
import { DATABASE_DRIVERS } from '../apps/config';
import { initAppsTable } from '../apps/init-db';
import { createTableSql } from '../apps/layout';
import { loadConfig } from '../config/load';
import { OdyError } from '../errors';
import { projectArgs } from './start';

const initDb = defineCommand({
  meta: { name: 'init-db', description: 'Create the apps table (if missing) in the database the config names; --print only shows the SQL' },
  args: {
    ...projectArgs,
    print: { type: 'string', description: "Print the CREATE TABLE for 'postgres' or 'sqlite' and exit (nothing is run)" },
  },
  async run({ args }) {
    if (args.print !== undefined) {
      if (!(DATABASE_DRIVERS as readonly string[]).includes(args.print)) throw new OdyError(`--print: expected postgres or sqlite, got '${args.print}'`, 'E_CLI');
      process.stdout.write(createTableSql(args.print as 'postgres' | 'sqlite'));
      return;
    }
    const config = await loadConfig({ root: args.root, config: args.config });
    if (!config.appsDatabase) throw new OdyError("apps init-db: the config's apps are not a database (set apps: { driver: 'postgres', url } or WEBSOCKET_APPS_URL)", 'E_APPS');
    console.log(`ody: apps table ready: ${await initAppsTable(config.appsDatabase)}`);
  },
});

export const apps = defineCommand({
  meta: { name: 'apps', description: 'Pusher apps kept in a database' },
  subCommands: { 'init-db': initDb },
});
