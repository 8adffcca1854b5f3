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
  int stage;                    /* Pusher: 0 upgraded, 1 subscribe sent, 2 subscribed; reset per connect */
  int http;                     /* a plain HTTP/1.1 keep-alive connection: no upgrade, bytes go to on_http */
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
/* For http connections: consumes whole responses from buf, returns the bytes used (the rest waits for more). */
extern size_t (*on_http)(Conn *c, const char *buf, size_t n);

uint64_t now_us(void);
void loop_init(void);
int loop_once(int timeout_ms);
int conn_start(Conn *c);
void conn_close(Conn *c);
void conn_flush(Conn *c);
void conn_write(Conn *c, const void *p, size_t n);  /* raw bytes, queued until the next flush */
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
