// The dashboard's browser script (plain ES2017, no dependencies), inlined into the page with PREFIX and SAMPLE_MS.
// Everything shown is written with textContent: app ids, channel names and user ids never become markup.
export const SCRIPT = String.raw`
'use strict';
var token = new URLSearchParams(location.search).get('token');
if (token) history.replaceState(null, '', location.pathname); // out of the address bar and the history
var auth = token ? { authorization: 'Bearer ' + token } : {};
var WINDOW = 15 * 60 * 1000;
var views = [], samples = {}, last = {};
function $(id) { return document.getElementById(id); }
function el(tag, text, cls) { var e = document.createElement(tag); if (text !== undefined) e.textContent = String(text); if (cls) e.className = cls; return e; }
function row(cells, cls) { var tr = el('tr', undefined, cls); cells.forEach(function (c) { var td = el('td'); if (c instanceof Node) td.appendChild(c); else td.textContent = String(c); tr.appendChild(td); }); return tr; }
function api(path, options) {
  options = options || {};
  options.headers = Object.assign({ 'content-type': 'application/json' }, auth);
  return fetch(PREFIX + '/dashboard' + path, options).then(function (r) {
    return r.json().then(function (body) { if (!r.ok) throw new Error(body.error || ('HTTP ' + r.status)); return body; });
  });
}
function rate(n) { return Math.round((n * 10000) / SAMPLE_MS) / 10; }

function poll() {
  var known = Object.keys(last).map(function (k) { return last[k]; });
  var since = known.length ? Math.min.apply(null, known) : 0;
  api('/data?since=' + since).then(function (d) {
    views = d.nodes;
    d.nodes.forEach(function (v) {
      var fresh = v.samples.filter(function (s) { return s.t > (last[v.node] || 0); });
      samples[v.node] = (samples[v.node] || []).concat(fresh).filter(function (s) { return s.t > d.now - WINDOW; });
      if (fresh.length) last[v.node] = fresh[fresh.length - 1].t;
    });
    render();
    $('status').textContent = 'updated ' + new Date().toLocaleTimeString() + ', ' + d.nodes.length + ' node(s)';
    $('status').className = 'muted';
  }).catch(function (e) { $('status').textContent = 'cannot update: ' + e.message; $('status').className = 'down'; });
}

function appIds() {
  var ids = {};
  views.forEach(function (v) { Object.keys(v.apps).forEach(function (a) { ids[a] = true; }); });
  return Object.keys(ids).sort();
}

function render() {
  var nodes = $('nodes').tBodies[0], apps = $('apps').tBodies[0];
  nodes.textContent = ''; apps.textContent = '';
  views.forEach(function (v) {
    var adapter = el('span', v.adapter.driver + ' ' + v.adapter.state, v.adapter.state === 'down' ? 'down' : '');
    var tr = row([v.node, v.connections, v.webhooks.queued, v.webhooks.sent, v.webhooks.failedAttempts, v.webhooks.dropped, adapter]);
    tr.dataset.node = v.node;
    nodes.appendChild(tr);
  });
  appIds().forEach(function (id) {
    var total = { c: 0, i: 0, o: 0, ti: 0, to: 0 }, enabled = true;
    views.forEach(function (v) {
      var a = v.apps[id]; if (!a) return;
      var list = samples[v.node] || [], latest = list.length ? list[list.length - 1].apps[id] : undefined;
      var ti = 0, to = 0;
      list.forEach(function (s) { var x = s.apps[id]; if (x) { ti += x[1]; to += x[2]; } });
      var li = latest ? rate(latest[1]) : 0, lo = latest ? rate(latest[2]) : 0;
      var tr = row([id, v.node, a.connections, li, lo, ti, to, a.channels, a.members, a.enabled ? 'enabled' : 'disabled', '']);
      tr.dataset.app = id; tr.dataset.node = v.node;
      apps.appendChild(tr);
      total.c += a.connections; total.i += li; total.o += lo; total.ti += ti; total.to += to;
      enabled = enabled && a.enabled;
    });
    var button = el('button', 'disable');
    button.disabled = !enabled;
    button.onclick = function () {
      if (!confirm('Disable app ' + id + ' on every node? Its sockets are closed with 4003 and its API answers 403 until the servers restart.')) return;
      api('/disable', { method: 'POST', body: JSON.stringify({ app: id }) }).then(poll, function (e) { alert(e.message); });
    };
    // Channels and members are per node: one channel or user on two nodes is still one, so no sum here.
    var tr = row([id, 'all', total.c, Math.round(total.i * 10) / 10, Math.round(total.o * 10) / 10, total.ti, total.to, '', '', enabled ? 'enabled' : 'disabled', button], 'total');
    tr.dataset.app = id; tr.dataset.node = 'all';
    apps.appendChild(tr);
  });
  options($('chart-app'), true); options($('search-app'), false);
  chart();
}

function options(select, withAll) {
  var ids = appIds(), have = Array.prototype.map.call(select.options, function (o) { return o.value; }).filter(Boolean);
  if (have.join() === ids.join()) return;
  var keep = select.value;
  select.textContent = '';
  if (withAll) select.appendChild(Object.assign(el('option', 'all apps'), { value: '' }));
  ids.forEach(function (id) { select.appendChild(Object.assign(el('option', id), { value: id })); });
  select.value = keep;
}

/** Samples of every node summed per time slot, for the chosen app or all. */
function series() {
  var only = $('chart-app').value, slots = {};
  Object.keys(samples).forEach(function (node) {
    samples[node].forEach(function (s) {
      var k = Math.floor(s.t / SAMPLE_MS), slot = slots[k] || (slots[k] = { t: k * SAMPLE_MS, c: 0, i: 0, o: 0 });
      Object.keys(s.apps).forEach(function (id) {
        if (only && id !== only) return;
        slot.c += s.apps[id][0]; slot.i += rate(s.apps[id][1]); slot.o += rate(s.apps[id][2]);
      });
    });
  });
  return Object.keys(slots).sort(function (a, b) { return a - b; }).map(function (k) { return slots[k]; });
}

function draw(canvas, points, lines) {
  var ctx = canvas.getContext('2d'), w = canvas.width, h = canvas.height, pad = 24;
  ctx.clearRect(0, 0, w, h);
  var now = Date.now(), max = 1;
  points.forEach(function (p) { lines.forEach(function (l) { max = Math.max(max, p[l.key]); }); });
  ctx.fillStyle = '#777'; ctx.font = '11px sans-serif';
  ctx.fillText(String(Math.round(max * 10) / 10), 2, 12); ctx.fillText('-15 min', pad, h - 4); ctx.fillText('now', w - 24, h - 4);
  ctx.strokeStyle = '#eee'; ctx.strokeRect(pad, 4, w - pad - 4, h - pad - 4);
  lines.forEach(function (l) {
    ctx.strokeStyle = l.color; ctx.fillStyle = l.color; ctx.lineWidth = 2; ctx.beginPath();
    points.forEach(function (p, n) {
      var x = pad + ((p.t - (now - WINDOW)) / WINDOW) * (w - pad - 4), y = h - pad - (p[l.key] / max) * (h - pad - 8);
      if (n === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
      ctx.fillRect(x - 1.5, y - 1.5, 3, 3);
    });
    ctx.stroke();
  });
  canvas.dataset.points = String(points.length);
}

function chart() {
  var points = series();
  draw($('chart-connections'), points, [{ key: 'c', color: '#2ca02c' }]);
  draw($('chart-messages'), points, [{ key: 'i', color: '#1f77b4' }, { key: 'o', color: '#d62728' }]);
}

$('chart-app').onchange = chart;
$('search').onsubmit = function (e) {
  e.preventDefault();
  var app = $('search-app').value, name = $('search-channel').value.trim(), out = $('channel');
  if (!app || !name) return;
  api('/channel?app=' + encodeURIComponent(app) + '&name=' + encodeURIComponent(name)).then(function (d) {
    out.textContent = '';
    out.appendChild(el('p', d.subscribers.length + ' subscriber(s), ' + d.members.length + ' presence member(s) in ' + d.channel));
    var table = el('table'); table.id = 'subscribers';
    table.appendChild(row(['socket id', 'node', 'user', '']));
    d.subscribers.forEach(function (s) {
      var cell = '';
      if (s.userId !== undefined) {
        cell = el('button', 'terminate user');
        cell.onclick = function () {
          if (!confirm('Close every connection of user ' + s.userId + ' (all nodes)?')) return;
          api('/terminate', { method: 'POST', body: JSON.stringify({ app: app, user: s.userId }) }).then(function () { $('search').requestSubmit(); }, function (e) { alert(e.message); });
        };
      }
      var tr = row([s.socketId, s.node, s.userId === undefined ? '' : s.userId, cell]);
      tr.dataset.socket = s.socketId;
      table.appendChild(tr);
    });
    out.appendChild(table);
    var members = el('ul'); members.id = 'members';
    d.members.forEach(function (m) { members.appendChild(el('li', m.id + ' ' + JSON.stringify(m.info))); });
    out.appendChild(members);
  }, function (e) { out.textContent = 'lookup failed: ' + e.message; });
};
poll();
setInterval(poll, SAMPLE_MS);
`;
