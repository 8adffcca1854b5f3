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
  double warmup, duration, hold, settle;
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

int mode_echo(void);
int mode_fanout(void);
int mode_idle(void);
int mode_handshake(void);
#endif
