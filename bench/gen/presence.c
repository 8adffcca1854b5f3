/* wsgen presence modes: members join one presence channel (signed auth, distinct users) on 1-3 nodes, and churn.
   The generator keeps every member's view of the channel (a bit per user) and checks the protocol's promises:
   a new member's subscription_succeeded carries the list once, every other member gets one member_added per join
   and one member_removed per leave, nothing arrives before subscription_succeeded, no pusher:error. */
#define _GNU_SOURCE
#include "hash.h"
#include "modes.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHANNEL "presence-bench"
#define LIT(s) (sizeof s - 1)

enum { M_CONNECTING, M_ESTABLISHED, M_JOINING, M_MEMBER, M_LEFT };

typedef struct Mem {
  int stage;
  int rejoin;             /* joining again after a leave: frames the server sent before the leave may still arrive */
  int seen;               /* members in this member's view, itself included */
  unsigned char *view;    /* bit per user id */
  char sid[40];
  uint64_t join_at, leave_at, rejoin_at;
} Mem;

static Mem *mem;
static Hmac key;
static char path[160];
static int nodes = 1, measuring;
static long established, joined, complete, added, removed, bytes_in, sent_joins, leaves;
/* The errors by kind, so a run says which promise broke and how often. */
static long e_early, e_dup_added, e_unknown_removed, e_list;

/* Per-event latency histograms (10 µs buckets up to 2 s): the global one gets both, these one kind each. */
#define LB 200000
static uint32_t *lat_added, *lat_removed;
static long n_added, n_removed;
static void lat_add(uint32_t *h, long *n, uint64_t us) { h[us / 10 >= LB ? LB - 1 : us / 10]++; (*n)++; hist_add(us); }
static long lat_pct(const uint32_t *h, long n, double p) {
  long want = (long)(p * (double)n + 0.5), acc = 0;
  if (n == 0) return -1;
  if (want < 1) want = 1;
  for (long i = 0; i < LB; i++) if ((acc += h[i]) >= want) return i * 10;
  return LB * 10;
}

static int bit(const Mem *m, int u) { return (m->view[u >> 3] >> (u & 7)) & 1; }
static void set_bit(Mem *m, int u, int on) {
  if (on) m->view[u >> 3] |= (unsigned char)(1 << (u & 7));
  else m->view[u >> 3] &= (unsigned char)~(1 << (u & 7));
}
static void note_complete(Mem *m, int before) {
  int now = m->stage == M_MEMBER && m->seen == o.conns;
  complete += now - before;
}
static int is_complete(const Mem *m) { return m->stage == M_MEMBER && m->seen == o.conns; }

/* User ids are u + 5 digits; reads the first one at or after *pp and moves *pp past it. -1 when none is there. */
static int next_user(const char **pp, const char *end) {
  for (const char *p = *pp; p + 6 <= end; p++) {
    if (*p != 'u') continue;
    int v = 0, k = 1;
    for (; k <= 5 && p[k] >= '0' && p[k] <= '9'; k++) v = v * 10 + (p[k] - '0');
    if (k < 6) continue;
    *pp = p + 6;
    return v < o.conns ? v : -1;
  }
  return -1;
}

static void subscribe(Conn *c) {
  Mem *m = &mem[c->id];
  char data[64], to_sign[160], sig[65], msg[400];
  unsigned char dig[32];
  /* channel_data as it travels inside the frame's JSON (escaped) and as it is signed (plain). */
  snprintf(data, sizeof data, "{\"user_id\":\"u%05d\",\"user_info\":{}}", c->id);
  int n = snprintf(to_sign, sizeof to_sign, "%s:" CHANNEL ":%s", m->sid, data);
  hmac_sha256(&key, to_sign, (size_t)n, dig);
  to_hex(dig, 32, sig);
  n = snprintf(msg, sizeof msg, "{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"" CHANNEL "\",\"auth\":\"%s:%s\","
               "\"channel_data\":\"{\\\"user_id\\\":\\\"u%05d\\\",\\\"user_info\\\":{}}\"}}", o.key, sig, c->id);
  ws_send(c, 1, msg, (size_t)n);
  conn_flush(c);
  m->stage = M_JOINING;
  m->join_at = now_us();
  sent_joins++;
}

static void leave(Conn *c) {
  static const char msg[] = "{\"event\":\"pusher:unsubscribe\",\"data\":{\"channel\":\"" CHANNEL "\"}}";
  Mem *m = &mem[c->id];
  int before = is_complete(m);
  m->stage = M_LEFT;
  note_complete(m, before);
  m->leave_at = now_us();
  m->rejoin_at = m->leave_at + 500000;
  m->rejoin = 1;
  ws_send(c, 1, msg, LIT(msg));
  conn_flush(c);
  leaves++;
}

/* The frame's end is shown: it names the user, where the start only repeats the event and channel. */
static void bad(Conn *c, const char *what, const char *d, size_t len) {
  char why[150];
  size_t n = len < 70 ? len : 70;
  snprintf(why, sizeof why, "%s: ...%.*s", what, (int)n, d + len - n);
  error_note(why, c->id);
}

/* The list in subscription_succeeded: every id once, this member among them, count matching. */
static void got_list(Conn *c, Mem *m, const char *d, size_t len) {
  const char *end = d + len, *ids = memmem(d, len, "ids", 3), *close = ids ? memchr(ids, ']', (size_t)(end - ids)) : NULL;
  if (!close) { bad(c, "presence list without ids", d, len); return; }
  memset(m->view, 0, ((size_t)o.conns + 7) / 8);
  m->seen = 0;
  for (const char *p = ids;;) {
    int u = next_user(&p, close);
    if (u < 0) break;
    if (bit(m, u)) { e_list++; error_note("a user twice in subscription_succeeded", c->id); }
    else { set_bit(m, u, 1); m->seen++; }
  }
  const char *cnt = memmem(d, len, "count", 5);
  long count = -1;
  if (cnt) for (const char *p = cnt; p < end; p++) if (*p >= '0' && *p <= '9') { count = atol(p); break; }
  if (count != m->seen) { e_list++; error_note("presence count differs from its ids", c->id); }
  if (!bit(m, c->id)) { e_list++; error_note("own user missing from subscription_succeeded", c->id); }
  m->stage = M_MEMBER;
  m->rejoin = 0;
  joined++;
  note_complete(m, 0);
}

static void got_member(Conn *c, Mem *m, int up, const char *d, size_t len) {
  if (m->stage != M_MEMBER) {
    /* After a leave, frames sent before the server read the unsubscribe may still be on the way. */
    if (m->stage == M_LEFT || m->rejoin) return;
    e_early++;
    bad(c, up ? "member_added before subscription_succeeded" : "member_removed before subscription_succeeded", d, len);
    return;
  }
  const char *uid = memmem(d, len, "user_id", 7);
  if (uid) uid += 7;
  int u = uid ? next_user(&uid, d + len) : -1;
  if (u < 0) { bad(c, "member event without a bench user id", d, len); return; }
  if (u == c->id) { bad(c, "a member told about itself", d, len); return; }
  int before = is_complete(m);
  if (up) {
    if (bit(m, u)) { e_dup_added++; bad(c, "member_added twice (or for a member in the list)", d, len); return; }
    set_bit(m, u, 1);
    m->seen++;
    added++;
    if (measuring) lat_add(lat_added, &n_added, g_now - mem[u].join_at);
  } else {
    if (!bit(m, u)) { e_unknown_removed++; bad(c, "member_removed for a user not in the list", d, len); return; }
    set_bit(m, u, 0);
    m->seen--;
    removed++;
    if (measuring) lat_add(lat_removed, &n_removed, g_now - mem[u].leave_at);
  }
  note_complete(m, before);
}

static void pres_frame(Conn *c, int op, const char *d, size_t len) {
  Mem *m = &mem[c->id];
  if (measuring) bytes_in += (long)len + (len < 126 ? 2 : len < 65536 ? 4 : 10);
  if (op != 1) { error_note("binary frame from a Pusher server", c->id); return; }
  size_t head = len < 100 ? len : 100;  /* the event name leads every frame of both servers */
  if (m->stage == M_CONNECTING) {
    const char *sid = memmem(d, len, "socket_id", 9);
    if (!memmem(d, head, "pusher:connection_established", 29) || !sid) { bad(c, "expected pusher:connection_established", d, len); return; }
    int k = 0;
    for (const char *p = sid + 9; p < d + len && k < 39; p++) {
      if ((*p >= '0' && *p <= '9') || *p == '.') m->sid[k++] = *p;
      else if (k > 0) break;
    }
    m->sid[k] = 0;
    m->stage = M_ESTABLISHED;
    established++;
    return;
  }
  if (memmem(d, head, "pusher:ping", 11)) { static const char pong[] = "{\"event\":\"pusher:pong\",\"data\":{}}"; ws_send(c, 1, pong, LIT(pong)); return; }
  if (memmem(d, head, "member_added", 12)) return got_member(c, m, 1, d, len);
  if (memmem(d, head, "member_removed", 14)) return got_member(c, m, 0, d, len);
  if (memmem(d, head, "subscription_succeeded", 22)) {
    if (m->stage != M_JOINING) { bad(c, "unexpected subscription_succeeded", d, len); return; }
    return got_list(c, m, d, len);
  }
  bad(c, "unexpected frame", d, len);  /* pusher:error, subscription_error, anything else */
}

/* Keeps at most o.conc subscribes unanswered, members in order (so joins alternate between the nodes). */
static void join_some(int *next) {
  while (*next < o.conns && sent_joins - joined < o.conc) {
    Conn *c = &conns[(*next)++];
    if (c->state == ST_OPEN && mem[c->id].stage == M_ESTABLISHED) subscribe(c);
  }
}

/* Runs the loop until every open member has joined and sees all o.conns users, or `limit_s` without progress. */
static int converge(double limit_s, int *next) {
  long last = -1;
  uint64_t stall = g_now;
  for (;;) {
    if (next) join_some(next);
    if (complete == o.conns) return 1;
    if (st.open < o.conns) { error_note("a member's connection closed", -1); return 0; }
    loop_once(2);
    long progress = joined * 4000000L + added + removed;
    if (progress != last) { last = progress; stall = g_now; }
    else if (g_now - stall > (uint64_t)(limit_s * 1e6)) return 0;
  }
}

static void setup(void) {
  hmac_init(&key, o.secret, strlen(o.secret));
  snprintf(path, sizeof path, "/app/%s?protocol=7&client=js&version=8.6.0&flash=false", o.key);
  nodes = o.port3 ? 3 : o.port2 ? 2 : 1;
  conns = calloc((size_t)o.conns, sizeof *conns);
  mem = calloc((size_t)o.conns, sizeof *mem);
  lat_added = calloc(LB, sizeof *lat_added);
  lat_removed = calloc(LB, sizeof *lat_removed);
  int ports[3] = { 0, o.port2, o.port3 };
  for (int i = 0; i < o.conns; i++) {
    conns[i].id = i; conns[i].fd = -1; conns[i].path = path;
    conns[i].port = ports[i % nodes];
    mem[i].view = calloc(((size_t)o.conns + 7) / 8, 1);
  }
  on_frame = pres_frame;
  connect_range(0, o.conns, 256, 60);
  uint64_t deadline = g_now + 15000000;
  while (established < st.open && g_now < deadline) loop_once(5);
  if (established < o.conns) error_note("some members never got connection_established", -1);
}

/* Members whose view is not the whole channel at the end: each one is an error. */
static long incomplete(void) {
  long bad_views = 0;
  for (int i = 0; i < o.conns; i++) if (!is_complete(&mem[i])) bad_views++;
  if (bad_views) { error_note("members whose list is not every member", -1); st.errors += bad_views - 1; }
  return bad_views;
}

int mode_presence(void) {
  Snap a, b;
  setup();
  int next = 0;
  hist_reset();
  measuring = 1;
  snap(&a);
  uint64_t t0 = a.t, joined_at = 0;
  /* Joined: the last subscription_succeeded; converged: every member has seen every member_added too. Errors do
     not end the phase (a server that sends a member event early is still measured); 2 s without any is the end. */
  long last = -1;
  uint64_t stall = g_now, progressed = g_now;
  while (complete < o.conns && st.open == o.conns) {
    join_some(&next);
    loop_once(2);
    if (!joined_at && joined == o.conns) joined_at = g_now;
    long progress = joined * 4000000L + added;
    if (progress != last) { last = progress; stall = progressed = g_now; }
    else if (g_now - stall > 2000000) break;
  }
  snap(&b);
  measuring = 0;
  b.t = progressed;  /* a stall is not part of the phase: it ends at the last join or member event */
  if (!joined_at) joined_at = progressed;
  long bad_views = incomplete(), got_added = added;
  close_conns(0, o.conns, 3);  /* the closes send member_removed, which is not counted */
  report_begin(&a, &b, joined);
  printf(",\"early\":%ld,\"dup_added\":%ld,\"unknown_removed\":%ld,\"list_errors\":%ld", e_early, e_dup_added, e_unknown_removed, e_list);
  printf(",\"nodes\":%d,\"members\":%d,\"conc\":%d,\"join_s\":%.4f,\"converge_ms\":%.1f,\"bytes_in\":%ld,\"member_added\":%ld,"
         "\"incomplete_views\":%ld,\"p50_us\":%ld,\"p99_us\":%ld,\"p99_added_us\":%ld}\n",
         nodes, o.conns, o.conc, (double)(joined_at - t0) / 1e6, (double)(b.t - t0) / 1e3, bytes_in, got_added, bad_views,
         hist_pct(0.5), hist_pct(0.99), lat_pct(lat_added, n_added, 0.99));
  return 0;
}

/* Every member joins (not measured); then for --duration s a --churn share of the members per second leaves
   (pusher:unsubscribe) and rejoins 0.5 s later, round-robin; CPU and the delivery of member events are measured. */
int mode_pchurn(void) {
  Snap a, b;
  setup();
  int next = 0;
  if (!converge(3, &next)) error_note("members never all joined before the churn", -1);
  added = removed = 0;
  long setup_errors = st.errors;
  e_early = e_dup_added = e_unknown_removed = e_list = 0;  /* from here on, the kinds count the churn's own */
  hist_reset();
  measuring = 1;
  snap(&a);
  uint64_t t0 = a.t, end = t0 + (uint64_t)(o.duration * 1e6);
  long due = 0;
  int who = 0;
  while (g_now < end && st.open == o.conns) {
    long want = g_now > t0 ? (long)((double)(g_now - t0) / 1e6 * o.churn * o.conns) : 0;
    for (; due < want; due++, who = (who + 1) % o.conns)
      if (mem[who].stage == M_MEMBER) leave(&conns[who]);
    for (int i = 0; i < o.conns; i++)
      if (mem[i].stage == M_LEFT && g_now >= mem[i].rejoin_at) subscribe(&conns[i]);
    loop_once(2);
  }
  snap(&b);
  /* Rejoins still waiting are sent; then every member must again see every user, removals and all. */
  for (int i = 0; i < o.conns; i++) {
    Mem *m = &mem[i];
    if (m->stage == M_LEFT) {
      while (g_now < m->rejoin_at) loop_once(2);
      subscribe(&conns[i]);
    }
  }
  converge(5, NULL);
  uint64_t settled = g_now;
  measuring = 0;
  long bad_views = incomplete(), got_added = added, got_removed = removed;
  close_conns(0, o.conns, 3);
  report_begin(&a, &b, leaves * 2);
  printf(",\"early\":%ld,\"dup_added\":%ld,\"unknown_removed\":%ld,\"list_errors\":%ld", e_early, e_dup_added, e_unknown_removed, e_list);
  printf(",\"setup_errors\":%ld,\"nodes\":%d,\"members\":%d,\"leaves\":%ld,\"member_added\":%ld,\"member_removed\":%ld,\"settle_ms\":%.1f,"
         "\"incomplete_views\":%ld,\"p50_us\":%ld,\"p99_us\":%ld,\"p99_added_us\":%ld,\"p99_removed_us\":%ld}\n",
         setup_errors, nodes, o.conns, leaves, got_added, got_removed, (double)(settled - b.t) / 1e3, bad_views, hist_pct(0.5), hist_pct(0.99),
         lat_pct(lat_added, n_added, 0.99), lat_pct(lat_removed, n_removed, 0.99));
  return 0;
}
