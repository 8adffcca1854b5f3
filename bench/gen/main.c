/* wsgen entry: options, shared connect/close/snapshot/report helpers, dispatch to a mode. */
#define _GNU_SOURCE
#include "modes.h"
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

Opts o = { .conns = 100, .depth = 8, .size = 32, .warmup = 1, .duration = 10, .msgs = 500, .warm = -1,
           .window = 16, .batch = 8, .hold = 2, .settle = 0.5, .warmconns = 0, .conc = 32, .max = 200000, .timeout = 120,
           .app = "bench", .key = "bench-key", .secret = "bench-secret" };
Conn *conns;

/* Bounded: connects at most to-from sockets, never more than maxpend handshakes at once. */
int connect_range(int from, int to, int maxpend, double limit_s) {
  uint64_t deadline = now_us() + (uint64_t)(limit_s * 1e6);
  int next = from;
  while (next < to || st.pending > 0) {
    while (next < to && st.pending < maxpend) conn_start(&conns[next++]);
    loop_once(5);
    if (g_now > deadline) { error_note("connect phase timed out", next); return -1; }
  }
  return 0;
}

void close_conns(int from, int to, double limit_s) {
  for (int i = from; i < to; i++)
    if (conns[i].state == ST_OPEN) { ws_send_close(&conns[i]); conn_flush(&conns[i]); }
  uint64_t deadline = now_us() + (uint64_t)(limit_s * 1e6);
  while (st.open > 0 && g_now < deadline) loop_once(5);
  for (int i = from; i < to; i++) conn_close(&conns[i]);
}

void snap(Snap *s) {
  s->t = now_us();
  s->srv_cpu = 0;
  s->rss = 0;
  for (int i = 0; i < o.npids; i++) {
    double cpu;
    long rss;
    proc_tree(o.pids[i], &cpu, &rss);
    s->srv_cpu += cpu;
    s->rss += rss;
  }
  s->gen_cpu = self_cpu_us();
  machine_cpu(&s->all_cpu, &s->steal);
}

/* Opens a JSON object with what every mode reports; the caller appends its own keys and "}". */
void report_begin(const Snap *a, const Snap *b, long units) {
  for (char *p = st.first_error; *p; p++) if (*p == '"' || *p == '\\' || *p < 32) *p = '\'';
  printf("{\"mode\":\"%s\",\"units\":%ld,\"elapsed_s\":%.4f,\"server_cpu_us\":%.0f,\"gen_cpu_us\":%.0f,"
         "\"rss_before_kb\":%ld,\"rss_after_kb\":%ld,\"errors\":%ld,\"first_error\":\"%s\","
         "\"other_cpu_us\":%.0f,\"steal_us\":%.0f",
         o.mode, units, (double)(b->t - a->t) / 1e6, b->srv_cpu - a->srv_cpu, b->gen_cpu - a->gen_cpu,
         a->rss, b->rss, st.errors, st.first_error,
         (b->all_cpu - a->all_cpu) - (b->srv_cpu - a->srv_cpu) - (b->gen_cpu - a->gen_cpu), b->steal - a->steal);
}

/* Fixed-width hex fields so building and checking a payload costs a few ns. */
void put_hex(char *p, uint64_t v, int digits) {
  static const char hx[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; i--, v >>= 4) p[i] = hx[v & 15];
}
uint64_t get_hex(const char *p, int digits) {
  uint64_t v = 0;
  for (int i = 0; i < digits; i++) {
    char ch = p[i];
    v = (v << 4) | (uint64_t)(ch <= '9' ? ch - '0' : ch - 'a' + 10);
  }
  return v;
}

/* "123" or "123,456,789": every tree is sampled and summed; o.pid stays 0 if any entry is bad. */
static void parse_pids(const char *v) {
  o.npids = 0;
  o.pid = 0;
  for (const char *p = v; *p && o.npids < 4;) {
    char *end;
    long pid = strtol(p, &end, 10);
    if (end == p || pid <= 0 || (*end && *end != ',')) return;
    o.pids[o.npids++] = (int)pid;
    p = *end ? end + 1 : end;
  }
  o.pid = o.pids[0];
}

static void on_alarm(int sig) {
  (void)sig;
  static const char m[] = "{\"mode\":\"timeout\",\"errors\":1,\"first_error\":\"wsgen hit its --timeout\"}\n";
  if (write(1, m, sizeof m - 1) < 0) _exit(3);
  _exit(2);
}

int main(int argc, char **argv) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *k = argv[i] + 2, *v = argv[i + 1];
    if (!strcmp(k, "mode")) o.mode = v;
    else if (!strcmp(k, "port")) g_port = atoi(v);
    else if (!strcmp(k, "pid")) parse_pids(v);
    else if (!strcmp(k, "port2")) o.port2 = atoi(v);
    else if (!strcmp(k, "port3")) o.port3 = atoi(v);
    else if (!strcmp(k, "churn")) o.churn = atof(v);
    else if (!strcmp(k, "conns")) o.conns = atoi(v);
    else if (!strcmp(k, "depth")) o.depth = atoi(v);
    else if (!strcmp(k, "size")) o.size = atoi(v);
    else if (!strcmp(k, "warmup")) o.warmup = atof(v);
    else if (!strcmp(k, "duration")) o.duration = atof(v);
    else if (!strcmp(k, "msgs")) o.msgs = atoi(v);
    else if (!strcmp(k, "window")) o.window = atoi(v);
    else if (!strcmp(k, "warm")) o.warm = atoi(v);
    else if (!strcmp(k, "batch")) o.batch = atoi(v);
    else if (!strcmp(k, "hold")) o.hold = atof(v);
    else if (!strcmp(k, "settle")) o.settle = atof(v);
    else if (!strcmp(k, "warmconns")) o.warmconns = atoi(v);
    else if (!strcmp(k, "conc")) o.conc = atoi(v);
    else if (!strcmp(k, "max")) o.max = atol(v);
    else if (!strcmp(k, "timeout")) o.timeout = atoi(v);
    else if (!strcmp(k, "rst")) g_rst_close = atoi(v);
    else if (!strcmp(k, "app")) o.app = v;
    else if (!strcmp(k, "key")) o.key = v;
    else if (!strcmp(k, "secret")) o.secret = v;
    else { fprintf(stderr, "wsgen: unknown option %s\n", argv[i]); return 64; }
  }
  if (!o.mode || g_port <= 0 || o.pid <= 0 || o.size < 24 || o.size > 4096 || o.depth < 1 ||
      o.conns < 1 || o.conns > 60000 || (o.port3 && !o.port2) || o.batch < 1 || o.batch > o.window) {
    fprintf(stderr, "usage: wsgen --mode echo|fanout|idle|handshake|pusher|pconnect|presence|pchurn --port N --pid SERVER_PID[,PID...] [--port2 N [--port3 N]] [...]\n");
    return 64;
  }
  /* Hard stop whatever happens, so a stuck server can never keep the generator alive. */
  signal(SIGALRM, on_alarm);
  alarm((unsigned)o.timeout);
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) { rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl); }
  loop_init();
  if (!strcmp(o.mode, "echo")) return mode_echo();
  if (!strcmp(o.mode, "fanout")) return mode_fanout();
  if (!strcmp(o.mode, "idle")) return mode_idle();
  if (!strcmp(o.mode, "handshake")) return mode_handshake();
  if (!strcmp(o.mode, "pusher")) return mode_pusher();
  if (!strcmp(o.mode, "pconnect")) return mode_pconnect();
  if (!strcmp(o.mode, "presence")) return mode_presence();
  if (!strcmp(o.mode, "pchurn")) return mode_pchurn();
  fprintf(stderr, "wsgen: unknown mode %s\n", o.mode);
  return 64;
}
