/* Shared declarations for wsgen, the C epoll WebSocket load generator used by bench/run.ts. */
#ifndef WSGEN_H
#define WSGEN_H
#include <stdint.h>
#include <stddef.h>

enum { ST_IDLE, ST_UPGRADING, ST_OPEN, ST_CLOSING, ST_CLOSED };

typedef struct Conn {
  int fd, id, state;
  const char *path;
  int port;                     /* server port; 0 = --port (fan-out over Redis splits subscribers) */
  char *left; int llen, lcap;   /* bytes of a partial frame carried to the next read */
  char *out; int olen, ocap;    /* frames queued until the next flush (one send per read batch) */
  int want_out;
  uint32_t sseq, rseq;          /* next sequence number to send / expected to receive */
  uint64_t *ring;               /* send timestamps for in-flight echoes, indexed by seq % depth */
  int flag;                     /* per-mode marker (fan-out: probe seen) */
} Conn;

typedef struct Counters {
  long open, failed, pending, errors, closed_ok, closed_eof;
  char first_error[160];
} Counters;

extern Counters st;
extern uint64_t g_now;  /* monotonic µs, refreshed once per event-loop turn */
extern int g_port;
extern int g_rst_close;  /* handshake mode: abortive close once the WebSocket close is done */

/* Mode hooks; each mode sets the ones it needs. */
extern void (*on_open)(Conn *c);
extern void (*on_frame)(Conn *c, int opcode, const char *data, size_t len);
extern void (*on_closed)(Conn *c, int clean);

uint64_t now_us(void);
void loop_init(void);
int loop_once(int timeout_ms);
int conn_start(Conn *c);
void conn_close(Conn *c);
void conn_flush(Conn *c);
void ws_send(Conn *c, int opcode, const char *data, size_t len);
void ws_send_close(Conn *c);
void error_note(const char *what, int id);

/* /proc sampling over a process and all of its descendants. */
void proc_tree(int root, double *cpu_us, long *rss_kb);
double self_cpu_us(void);
void machine_cpu(double *busy_us, double *steal_us);

void hist_reset(void);
void hist_add(uint64_t us);
long hist_pct(double p);
long hist_count(void);
#endif
