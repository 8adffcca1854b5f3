/* Declarations shared between wsgen's main.c and the scenario modes. */
#ifndef MODES_H
#define MODES_H
#include "wsgen.h"

typedef struct Opts {
  const char *mode;
  int pid, conns, depth, size, msgs, warm, window, conc, timeout, batch, warmconns;
  long max;
  int pids[4], npids;  /* server process trees to sample: --pid A[,B,...] (nodes, redis-server) */
  int port2;           /* fan-out: every other subscriber connects here instead of --port */
  int port3;           /* presence: with --port2 and --port3, member i connects to node i % 3 */
  double churn;        /* presence churn: share of the members that leave (and rejoin) per second */
  double warmup, duration, hold, settle;
  const char *app, *key, *secret;  /* Pusher: app id, key and secret (the API's signature) */
} Opts;

typedef struct Snap { uint64_t t; double srv_cpu, gen_cpu, all_cpu, steal; long rss; } Snap;

extern Opts o;
extern Conn *conns;

int connect_range(int from, int to, int maxpend, double limit_s);
void close_conns(int from, int to, double limit_s);
void snap(Snap *s);
void report_begin(const Snap *a, const Snap *b, long units);
void put_hex(char *p, uint64_t v, int digits);
uint64_t get_hex(const char *p, int digits);

/* fanout.c, shared with the Pusher fan-out: publisher, subscriber count, how one publish is queued. */
extern Conn *pub;
extern long nsubs;
extern void (*fan_emit)(unsigned seq, uint64_t ts);
void fan_payload(char *p, unsigned seq, uint64_t ts);
void fan_check(Conn *c, const char *d, size_t len);
long fan_measure(Snap *a, Snap *b);
int cycles(const char *path, void (*open)(Conn *c), void (*frame)(Conn *c, int op, const char *d, size_t len));

int mode_echo(void);
int mode_fanout(void);
int mode_idle(void);
int mode_handshake(void);
int mode_pusher(void);
int mode_pconnect(void);
int mode_presence(void);
int mode_pchurn(void);
#endif
