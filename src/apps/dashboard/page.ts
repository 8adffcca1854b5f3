// The dashboard page: plain HTML and one small script, served from the binary (no CDN). It polls
// {prefix}/dashboard/data every 2 s for new samples of every node and draws the last 15 minutes on two canvases.
import { randomBytes } from 'node:crypto';
import { SAMPLE_MS } from '../stats';
import { SCRIPT } from './script';

const STYLE = `
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}
h1{font-size:1.3em;margin:0 0 .3em}h2{font-size:1.05em;margin:1.4em 0 .4em}
table{border-collapse:collapse;background:#fff}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:right}
th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}tr.total td{font-weight:600}
canvas{background:#fff;border:1px solid #ddd;margin-right:1em}.muted{color:#777}.down{color:#b00;font-weight:600}
button{cursor:pointer}.charts{display:flex;flex-wrap:wrap;gap:.5em}.in{color:#1f77b4}.out{color:#d62728}
`;

export function dashboardPage(prefix: string): Response {
  const nonce = randomBytes(16).toString('base64');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>ody dashboard</title><style nonce="${nonce}">${STYLE}</style></head>
<body>
<h1>ody dashboard</h1>
<div id="status" class="muted">loading…</div>
<h2>Nodes</h2>
<table id="nodes"><thead><tr><th>node</th><th>connections</th><th>webhooks queued</th><th>webhooks sent</th><th>failed attempts</th><th>dropped</th><th>adapter</th></tr></thead><tbody></tbody></table>
<h2>Apps</h2>
<table id="apps"><thead><tr><th>app</th><th>node</th><th>connections</th><th>in/s</th><th>out/s</th><th>in (15 min)</th><th>out (15 min)</th><th>channels</th><th>presence members</th><th>state</th><th></th></tr></thead><tbody></tbody></table>
<h2>Last 15 minutes <select id="chart-app"><option value="">all apps</option></select></h2>
<div class="charts">
<div><div>connections</div><canvas id="chart-connections" width="460" height="160"></canvas></div>
<div><div>messages per second (<span class="in">in</span>, <span class="out">out</span>)</div><canvas id="chart-messages" width="460" height="160"></canvas></div>
</div>
<h2>Channel</h2>
<form id="search"><select id="search-app"></select> <input id="search-channel" placeholder="presence-room" size="30"> <button>Look up</button></form>
<div id="channel"></div>
<script nonce="${nonce}">const PREFIX=${JSON.stringify(prefix)},SAMPLE_MS=${SAMPLE_MS};${SCRIPT}</script>
</body></html>`;
  return new Response(html, {
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      // The token may be in the address: never sent on as a Referer; the page is never framed.
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self'; form-action 'none'; frame-ancestors 'none'`,
    },
  });
}
