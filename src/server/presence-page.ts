// The presence demo of the built-in Server (GET /presence): who is online, kept by a Pusher presence channel of the
// first configured app, with pusher-js served by ody itself and an auth endpoint that signs that one channel only.
import type { ResolvedApp } from '../config/schema';
import { authorizeChannel, CONTROL } from '../pusher/signatures';
import { pusherJsBundle } from './pusher-js-bundle';

/** The only channel /presence/auth signs: the endpoint trusts any name, so it must not open the app's other channels. */
export const DEMO_CHANNEL = 'presence-ody-demo';
const MAX_NAME = 40;

let fromSource: Promise<string> | undefined;
/** pusher-js's browser build: embedded in the binary, or read from node_modules when run from source. */
function pusherJs(): Promise<string> {
  if (pusherJsBundle !== undefined) return Promise.resolve(pusherJsBundle);
  return (fromSource ??= Bun.file(new URL('../../node_modules/pusher-js/dist/web/pusher.min.js', import.meta.url)).text());
}

/** GET /presence, GET /presence/pusher.js, POST /presence/auth; undefined for any other request. */
export async function presenceRoute(request: Request, app: ResolvedApp | undefined): Promise<Response | undefined> {
  const { pathname } = new URL(request.url);
  if (!pathname.startsWith('/presence')) return undefined;
  if (!app) return new Response('The presence demo needs a Pusher app: set WEBSOCKET_APP_ID, WEBSOCKET_APP_KEY and WEBSOCKET_APP_SECRET.\n', { status: 404 });
  if (request.method === 'GET' && pathname === '/presence') return new Response(page(app.key), { headers: { 'content-type': 'text/html; charset=utf-8' } });
  if (request.method === 'GET' && pathname === '/presence/pusher.js') {
    return new Response(await pusherJs(), { headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'max-age=3600' } });
  }
  if (request.method === 'POST' && pathname === '/presence/auth') {
    // pusher-js posts a form: socket_id, channel_name, and the page's params (name).
    const form = new URLSearchParams(await request.text());
    const socketId = form.get('socket_id') ?? '';
    const name = (form.get('name') ?? '').trim();
    if (form.get('channel_name') !== DEMO_CHANNEL) return Response.json({ error: `only ${DEMO_CHANNEL} is signed here` }, { status: 403 });
    if (!/^\d+\.\d+$/.test(socketId) || name === '' || name.length > MAX_NAME || CONTROL.test(name)) {
      return Response.json({ error: `send socket_id and a name of 1..${MAX_NAME} characters, no control characters` }, { status: 400 });
    }
    return Response.json(authorizeChannel(app, socketId, DEMO_CHANNEL, { user_id: name, user_info: { name } }));
  }
  return undefined;
}

function page(key: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ody presence demo</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #1d2330; }
  h1 { font-size: 1.3rem; } h2 { font-size: 1.05rem; }
  form { display: flex; gap: .5rem; margin: .5rem 0; }
  input { flex: 1; padding: .4rem .6rem; border: 1px solid #b8bfcc; border-radius: 4px; }
  button { padding: .4rem .9rem; border: 0; border-radius: 4px; background: #2d5bd7; color: #fff; cursor: pointer; }
  #members { border: 1px solid #d5d9e2; border-radius: 4px; min-height: 6rem; padding: .5rem 1.5rem; }
  #members li.me { color: #2d5bd7; }
  #status { font-size: .9rem; color: #6b7385; }
</style>
</head>
<body>
<h1>ody presence demo</h1>
<p>Join with a name: everyone on this page sees who is online, through the Pusher presence channel ${DEMO_CHANNEL}.</p>
<form id="join">
  <input id="name" placeholder="Your name" maxlength="${MAX_NAME}" autocomplete="off" aria-label="your name">
  <button id="join-btn">Join</button>
</form>
<p id="status">Not connected.</p>
<h2>Online: <span id="count">0</span></h2>
<ul id="members"></ul>
<script src="/presence/pusher.js"></script>
<script>
  const $ = (id) => document.getElementById(id);
  let pusher;
  function render(members) {
    const items = [];
    members.each((m) => {
      const li = document.createElement('li');
      li.textContent = m.info && m.info.name ? m.info.name : m.id;
      if (m.id === members.me.id) li.className = 'me';
      items.push(li);
    });
    items.sort((a, b) => a.textContent.localeCompare(b.textContent));
    $('members').replaceChildren(...items);
    $('count').textContent = String(members.count);
  }
  $('join').addEventListener('submit', (e) => {
    e.preventDefault();
    const name = $('name').value.trim();
    if (!name) return;
    if (pusher) pusher.disconnect();
    const tls = location.protocol === 'https:';
    const port = Number(location.port) || (tls ? 443 : 80);
    pusher = new Pusher(${JSON.stringify(key)}, {
      cluster: 'ody', wsHost: location.hostname, wsPort: port, wssPort: port, forceTLS: tls,
      enabledTransports: ['ws', 'wss'], disableStats: true,
      channelAuthorization: { endpoint: '/presence/auth', transport: 'ajax', params: { name } },
    });
    pusher.connection.bind('state_change', (s) => { $('status').textContent = 'Connection: ' + s.current + '.'; });
    const channel = pusher.subscribe(${JSON.stringify(DEMO_CHANNEL)});
    channel.bind('pusher:subscription_succeeded', () => render(channel.members));
    channel.bind('pusher:subscription_error', (err) => { $('status').textContent = 'Refused: ' + JSON.stringify(err); });
    channel.bind('pusher:member_added', () => render(channel.members));
    channel.bind('pusher:member_removed', () => render(channel.members));
  });
</script>
</body>
</html>
`;
}
