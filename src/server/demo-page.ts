// The demo chat page served on GET / by the built-in Server: connects over the same origin and relays.

export function demoPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ody chat demo</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #1d2330; }
  h1 { font-size: 1.3rem; }
  form { display: flex; gap: .5rem; margin: .5rem 0; }
  input { flex: 1; padding: .4rem .6rem; border: 1px solid #b8bfcc; border-radius: 4px; }
  button { padding: .4rem .9rem; border: 0; border-radius: 4px; background: #2d5bd7; color: #fff; cursor: pointer; }
  button:disabled { background: #9aa6bf; cursor: default; }
  #log { border: 1px solid #d5d9e2; border-radius: 4px; min-height: 12rem; padding: .5rem; list-style: none; margin: .5rem 0; }
  #log li.me { color: #2d5bd7; } #log li.sys { color: #6b7385; font-style: italic; }
  #status { font-size: .9rem; color: #6b7385; }
</style>
</head>
<body>
<h1>ody chat demo</h1>
<p>Messages you send are relayed to every other client connected to this server. With a Pusher app configured,
<a href="/presence">the presence demo</a> shows who is online.</p>
<form id="connect">
  <input id="key" type="password" placeholder="token (ody token) or secret key" autocomplete="off" aria-label="token or secret key">
  <button id="connect-btn">Connect</button>
</form>
<p id="status">Not connected.</p>
<ul id="log"></ul>
<form id="send">
  <input id="text" placeholder="Say something" autocomplete="off" aria-label="message" disabled>
  <button id="send-btn" disabled>Send</button>
</form>
<script>
  const $ = (id) => document.getElementById(id);
  let socket;
  function line(text, cls) { const li = document.createElement('li'); li.textContent = text; if (cls) li.className = cls; $('log').append(li); }
  function connected(on) { $('text').disabled = !on; $('send-btn').disabled = !on; $('connect-btn').textContent = on ? 'Reconnect' : 'Connect'; }
  $('connect').addEventListener('submit', (e) => {
    e.preventDefault();
    if (socket) socket.close();
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/';
    // 'ody' is offered first so the server answers with it and never echoes the key or token.
    socket = new WebSocket(url, ['ody', $('key').value]);
    $('status').textContent = 'Connecting…';
    socket.onopen = () => { $('status').textContent = 'Connected.'; connected(true); line('connected', 'sys'); };
    socket.onmessage = (m) => line('peer: ' + m.data);
    socket.onclose = (c) => { $('status').textContent = 'Closed (' + c.code + ').'; connected(false); line('disconnected', 'sys'); };
  });
  $('send').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = $('text').value;
    if (!text || !socket || socket.readyState !== 1) return;
    socket.send(text); line('me: ' + text, 'me'); $('text').value = '';
  });
</script>
</body>
</html>
`;
}
