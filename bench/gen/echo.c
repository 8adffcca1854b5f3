/* wsgen echo and idle modes: pipelined round trips, and many held connections for memory. */
#include "modes.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int sending, measuring;
static long outstanding, counted;

/* The id and seq are in the payload so a misrouted, reordered or corrupted echo fails memcmp. */
static void echo_payload(char *p, unsigned id, unsigned seq) {
  put_hex(p, id, 8);
  p[8] = ':';
  put_hex(p + 9, seq, 8);
  p[17] = ':';
  for (int i = 18; i < o.size; i++) p[i] = (char)('a' + (id + seq + (unsigned)i) % 26);
}

static void echo_send(Conn *c) {
  char p[4096];
  echo_payload(p, (unsigned)c->id, c->sseq);
  if (c->ring) c->ring[c->sseq % (unsigned)o.depth] = g_now;
  c->sseq++;
  outstanding++;
  ws_send(c, 1, p, (size_t)o.size);
}

static void echo_frame(Conn *c, int op, const char *d, size_t len) {
  char want[4096];
  echo_payload(want, (unsigned)c->id, c->rseq);
  if (op != 1 || len != (size_t)o.size || memcmp(d, want, len) != 0) error_note("echo payload mismatch", c->id);
  if (measuring && c->ring) { hist_add(g_now - c->ring[c->rseq % (unsigned)o.depth]); counted++; }
  c->rseq++;
  outstanding--;
  if (sending) echo_send(c);
}

static void alloc_conns(int n, const char *path, int with_ring) {
  conns = calloc((size_t)n, sizeof *conns);
  for (int i = 0; i < n; i++) {
    conns[i].id = i;
    conns[i].fd = -1;
    conns[i].path = path;
    if (with_ring) conns[i].ring = calloc((size_t)o.depth, sizeof(uint64_t));
  }
}

/* Waits (bounded) until every echo sent so far came back, so each payload gets verified. */
static void drain(double limit_s) {
  uint64_t deadline = g_now + (uint64_t)(limit_s * 1e6);
  while (outstanding > 0 && g_now < deadline) loop_once(5);
  if (outstanding > 0) {
    error_note("echoes never came back", -1);
    st.errors += outstanding - 1;
  }
}

int mode_echo(void) {
  Snap a, b;
  on_frame = echo_frame;
  alloc_conns(o.conns, "/echo", 1);
  connect_range(0, o.conns, 256, 30);
  long open = st.open;
  sending = 1;
  for (int i = 0; i < o.conns; i++) {
    if (conns[i].state != ST_OPEN) continue;
    for (int d = 0; d < o.depth; d++) echo_send(&conns[i]);
    conn_flush(&conns[i]);
  }
  uint64_t until = g_now + (uint64_t)(o.warmup * 1e6);
  while (g_now < until) loop_once(10);
  snap(&a);
  hist_reset();
  measuring = 1;
  until = a.t + (uint64_t)(o.duration * 1e6);
  while (g_now < until) loop_once(10);
  measuring = 0;
  snap(&b);
  sending = 0;
  drain(5);
  close_conns(0, o.conns, 2);
  report_begin(&a, &b, counted);
  printf(",\"conns_open\":%ld,\"depth\":%d,\"size\":%d,\"p50_us\":%ld,\"p99_us\":%ld}\n", open, o.depth, o.size,
         hist_pct(0.50), hist_pct(0.99));
  return 0;
}

static void hold(double s) {
  uint64_t until = g_now + (uint64_t)(s * 1e6);
  while (g_now < until) loop_once(50);
}

/* Three RSS readings: before any connection (the server's base), after the first --warmconns
   (allocator arenas, socket tables, JIT warm-up all land here), and after the rest. The figure
   per connection is the growth over the second phase only, so warm-up is not spread over it. */
int mode_idle(void) {
  Snap base, a, b;
  on_frame = echo_frame;
  alloc_conns(o.conns, "/echo", 0);
  int warm = o.warmconns < o.conns ? o.warmconns : o.conns - 1;
  /* Let startup finish (lazy init after the readiness probe) before the base is read. */
  g_now = now_us();
  hold(o.settle);
  snap(&base);
  connect_range(0, warm, 256, 30);
  hold(o.hold);
  long open_warm = st.open;
  snap(&a);
  connect_range(warm, o.conns, 256, 90);
  uint64_t connected = g_now;
  /* Let the server finish any per-connection setup before RSS is read. */
  hold(o.hold);
  snap(&b);
  long added = st.open - open_warm;
  /* Every held connection must still work: one verified echo each. */
  for (int i = 0; i < o.conns; i++) {
    if (conns[i].state != ST_OPEN) continue;
    echo_send(&conns[i]);
    conn_flush(&conns[i]);
  }
  drain(15);
  long still = st.open, open = open_warm + added;
  close_conns(0, o.conns, 5);
  report_begin(&a, &b, added);
  printf(",\"conns_open\":%ld,\"conns_alive\":%ld,\"warm_conns\":%ld,\"rss_base_kb\":%ld,\"connect_s\":%.3f,"
         "\"rss_per_conn_kb\":%.3f}\n", open, still, open_warm, base.rss, (double)(connected - a.t) / 1e6,
         added ? (double)(b.rss - a.rss) / (double)added : 0.0);
  return 0;
}
