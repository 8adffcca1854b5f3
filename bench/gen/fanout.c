/* wsgen fan-out and handshake modes: one publisher to many subscribers, and connect/close cycles. */
#include "modes.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Conn *pub;
long nsubs;
static long probed, delivered, completed, inflight, sent;
static int *per_msg;

/* Layout: 'M' seq(8 hex) ':' publish-time(16 hex) ':' filler derived from seq. */
void fan_payload(char *p, unsigned seq, uint64_t ts) {
  p[0] = 'M';
  put_hex(p + 1, seq, 8);
  p[9] = ':';
  put_hex(p + 10, ts, 16);
  p[26] = ':';
  for (int i = 27; i < o.size; i++) p[i] = (char)('A' + (seq + (unsigned)i) % 26);
}

/* A delivered payload must be exactly the one published as its seq, in order, to every subscriber. */
void fan_check(Conn *c, const char *d, size_t len) {
  char want[4096];
  if (len != (size_t)o.size || d[0] != 'M') { error_note("bad fan-out payload", c->id); return; }
  unsigned seq = (unsigned)get_hex(d + 1, 8);
  uint64_t ts = get_hex(d + 10, 16);
  fan_payload(want, seq, ts);
  if (memcmp(d, want, len) != 0 || seq >= (unsigned)(o.msgs + (o.warm > 0 ? o.warm : o.msgs))) { error_note("bad fan-out payload", c->id); return; }
  if (seq != c->rseq) error_note("fan-out delivery lost or reordered", c->id);
  c->rseq = seq + 1;
  hist_add(g_now - ts);
  delivered++;
  if (++per_msg[seq] == nsubs) { completed++; inflight--; }
}

static void fan_frame(Conn *c, int op, const char *d, size_t len) {
  if (c == pub) { error_note("publisher received a frame", c->id); return; }
  if (len >= 1 && d[0] == 'P') {
    if (!c->flag) { c->flag = 1; probed++; }
    return;
  }
  if (op != 1) { error_note("bad fan-out payload", c->id); return; }
  fan_check(c, d, len);
}

static void ws_emit(unsigned seq, uint64_t ts) {
  char p[4096];
  fan_payload(p, seq, ts);
  ws_send(pub, 1, p, (size_t)o.size);
}
void (*fan_emit)(unsigned seq, uint64_t ts) = ws_emit;

/* Publishes seq [from,to) keeping `window` messages not yet delivered to every subscriber;
   bounded by --duration and by 5 s without progress (a dropped delivery would stall it). */
static void publish_range(long from, long to) {
  uint64_t deadline = g_now + (uint64_t)(o.duration * 1e6), last_progress = g_now;
  long last_delivered = delivered;
  sent = from;
  while (completed < to && pub->state == ST_OPEN && g_now < deadline) {
    /* Publishes go out `batch` at a time in one write, so every server sees the same arrivals
       (and may coalesce a batch per subscriber); window/batch batches stay queued at the server. */
    while (inflight + o.batch <= o.window && sent < to) {
      for (int k = 0; k < o.batch && sent < to; k++) {
        fan_emit((unsigned)sent++, now_us());
        inflight++;
      }
    }
    conn_flush(pub);
    loop_once(5);
    if (delivered != last_delivered) { last_delivered = delivered; last_progress = g_now; }
    else if (g_now - last_progress > 5000000) break;
  }
}

/* A short unmeasured burst first, so JIT warm-up is not billed to the measured messages; then the
   measured messages between two snapshots. Returns the measured deliveries; missing ones are errors. */
long fan_measure(Snap *a, Snap *b) {
  per_msg = calloc((size_t)(o.msgs + (o.warm > 0 ? o.warm : o.msgs)), sizeof *per_msg);
  int warm = o.warm >= 0 ? o.warm : o.msgs / 10;
  publish_range(0, warm);
  snap(a);
  hist_reset();
  long before = delivered;
  publish_range(warm, warm + o.msgs);
  snap(b);
  long got = delivered - before, missing = (long)o.msgs * nsubs - got;
  if (missing > 0) { error_note("fan-out deliveries missing", -1); st.errors += missing - 1; }
  return got;
}

int mode_fanout(void) {
  Snap a, b;
  int n = o.conns + 1;
  conns = calloc((size_t)n, sizeof *conns);
  /* With --port2 (two nodes joined by Redis) odd subscribers go to the second node, so half of
     every delivery crosses the broker; the publisher stays on the first. */
  for (int i = 0; i < n; i++) {
    conns[i].id = i; conns[i].fd = -1; conns[i].path = "/sub";
    conns[i].port = o.port2 && (i & 1) ? o.port2 : 0;
  }
  pub = &conns[o.conns];
  pub->path = "/pub";
  pub->port = 0;
  on_frame = fan_frame;
  connect_range(0, n, 256, 60);
  long subs2 = 0;
  for (int i = 0; i < o.conns; i++) {
    nsubs += conns[i].state == ST_OPEN;
    subs2 += conns[i].state == ST_OPEN && conns[i].port;
  }
  char p[4096];
  memset(p, 'P', sizeof p);
  /* Probes until every subscriber has seen one: the subscription is live before timing starts. */
  uint64_t deadline = g_now + 15000000, next_probe = 0;
  while (pub->state == ST_OPEN && probed < nsubs && g_now < deadline) {
    if (g_now >= next_probe) { ws_send(pub, 1, p, (size_t)o.size); conn_flush(pub); next_probe = g_now + 100000; }
    loop_once(5);
  }
  if (probed < nsubs) error_note("some subscribers never received a probe", -1);
  long got = fan_measure(&a, &b), missing = (long)o.msgs * nsubs - got;
  close_conns(0, n, 3);
  report_begin(&a, &b, got);
  printf(",\"subs\":%ld,\"subs_port2\":%ld,\"msgs\":%d,\"window\":%d,\"batch\":%d,\"missing\":%ld,\"p50_us\":%ld,\"p99_us\":%ld}\n", nsubs, subs2, o.msgs,
         o.window, o.batch, missing, hist_pct(0.50), hist_pct(0.99));
  return 0;
}

static int hs_measuring;
static long hs_done;

static void hs_open(Conn *c) { ws_send_close(c); }
static void hs_frame(Conn *c, int op, const char *d, size_t len) { (void)op; (void)d; (void)len; (void)c; }
/* Restarts are deferred to the main loop so a slot is never reused inside its own event. */
static void hs_closed(Conn *c, int clean) {
  if (clean && hs_measuring) hs_done++;
  c->flag = 1;
}

/* o.conc slots, each cycling connect, upgrade, (what open and frame do), close handshake, close; a
   cycle counts once its close handshake completes. flag 1: the slot is free (its connection ended). */
int cycles(const char *path, void (*open)(Conn *c), void (*frame)(Conn *c, int op, const char *d, size_t len)) {
  Snap a, b;
  conns = calloc((size_t)o.conc, sizeof *conns);
  for (int i = 0; i < o.conc; i++) { conns[i].id = i; conns[i].fd = -1; conns[i].path = path; conns[i].flag = 1; }
  on_open = open;
  on_frame = frame;
  on_closed = hs_closed;
  uint64_t start = now_us(), measure_at = start + (uint64_t)(o.warmup * 1e6);
  uint64_t end = measure_at + (uint64_t)(o.duration * 1e6);
  while (g_now < end && hs_done < o.max && st.errors < 1000) {
    if (!hs_measuring && g_now >= measure_at) { snap(&a); hs_measuring = 1; }
    for (int i = 0; i < o.conc; i++)
      if (conns[i].flag) { conns[i].flag = 0; conn_start(&conns[i]); }
    loop_once(5);
  }
  if (!hs_measuring) snap(&a);
  hs_measuring = 0;
  snap(&b);
  uint64_t deadline = g_now + 2000000;
  while ((st.open > 0 || st.pending > 0) && g_now < deadline) loop_once(5);
  for (int i = 0; i < o.conc; i++) conn_close(&conns[i]);
  report_begin(&a, &b, hs_done);
  printf(",\"conc\":%d,\"closed_with_frame\":%ld,\"closed_by_eof\":%ld}\n", o.conc, st.closed_ok, st.closed_eof);
  return 0;
}

int mode_handshake(void) { return cycles("/echo", hs_open, hs_frame); }
