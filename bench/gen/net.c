/* wsgen event loop and WebSocket client side: connect, upgrade, masked frames out, frames in. */
#define _GNU_SOURCE
#include "wsgen.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

Counters st;
uint64_t g_now;
int g_port;
int g_rst_close;
void (*on_open)(Conn *c);
void (*on_frame)(Conn *c, int opcode, const char *data, size_t len);
void (*on_closed)(Conn *c, int clean);
size_t (*on_http)(Conn *c, const char *buf, size_t n);

static int ep = -1;
static char rbuf[1 << 18];

uint64_t now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

void loop_init(void) { ep = epoll_create1(EPOLL_CLOEXEC); g_now = now_us(); }

void error_note(const char *what, int id) {
  if (st.errors++ == 0) snprintf(st.first_error, sizeof st.first_error, "%s (conn %d)", what, id);
}

static void grow(char **buf, int *cap, int need) {
  if (need <= *cap) return;
  int n = *cap ? *cap : 256;
  while (n < need) n *= 2;
  *buf = realloc(*buf, (size_t)n);
  *cap = n;
}

void conn_write(Conn *c, const void *p, size_t n) {
  grow(&c->out, &c->ocap, c->olen + (int)n);
  memcpy(c->out + c->olen, p, n);
  c->olen += (int)n;
}

static void arm(Conn *c, int out) {
  if (c->want_out == out) return;
  struct epoll_event e = { .events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c };
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
  c->want_out = out;
}

static int port_of(const Conn *c) { return c->port ? c->port : g_port; }

static void append_request(Conn *c) {
  char req[256];
  int n = snprintf(req, sizeof req,
      "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: b2R5LWJlbmNoLWtleS0xMg==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      c->path, port_of(c));
  conn_write(c, req, (size_t)n);
}

int conn_start(Conn *c) {
  c->llen = c->olen = 0;
  c->sseq = c->rseq = 0;
  c->stage = 0;
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) { st.failed++; error_note(strerror(errno), c->id); return -1; }
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  /* The address is fixed to 127.0.0.1 on purpose: this tool must never leave loopback. */
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port_of(c)) };
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(c->fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) {
    error_note(strerror(errno), c->id);
    close(c->fd); c->fd = -1; st.failed++;
    return -1;
  }
  /* A loopback connect has usually completed by now, so the request goes out at once; if not,
     send() says EAGAIN and conn_flush waits for EPOLLOUT. That saves the generator a wakeup,
     a getsockopt and an epoll_ctl per connection, which matters in the handshake scenario. */
  c->want_out = 0;
  struct epoll_event e = { .events = EPOLLIN, .data.ptr = c };
  epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &e);
  if (c->http) {
    /* Requests queued before the connect completes wait in c->out, as above. */
    c->state = ST_OPEN;
    st.open++;
    return 0;
  }
  c->state = ST_UPGRADING;
  st.pending++;
  append_request(c);
  conn_flush(c);
  return 0;
}

void conn_close(Conn *c) {
  if (c->fd < 0) return;
  if (c->state == ST_UPGRADING) st.pending--;
  if (c->state >= ST_OPEN && c->state <= ST_CLOSING) st.open--;
  if (g_rst_close && c->state == ST_CLOSING) {
    /* After a completed close handshake nothing is left to deliver; an abortive close skips the
       FIN/TIME_WAIT exchange, whose loopback cost lands on the generator's core. */
    struct linger lg = { 1, 0 };
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }
  close(c->fd);  /* also drops it from epoll: no fd is ever duplicated */
  c->fd = -1;
  c->state = ST_CLOSED;
  c->llen = c->olen = 0;
}

static void conn_fail(Conn *c, const char *why) {
  int was_open = c->state >= ST_OPEN;
  if (c->state == ST_CLOSING) { st.closed_eof++; conn_close(c); if (on_closed) on_closed(c, 1); return; }
  error_note(why, c->id);
  if (!was_open) st.failed++;
  conn_close(c);
  if (on_closed) on_closed(c, 0);
}

void conn_flush(Conn *c) {
  if (c->fd < 0 || c->olen == 0) return;
  ssize_t n = send(c->fd, c->out, (size_t)c->olen, MSG_NOSIGNAL);
  if (n < 0) {
    if (errno == EAGAIN) { arm(c, 1); return; }
    conn_fail(c, strerror(errno));
    return;
  }
  memmove(c->out, c->out + n, (size_t)(c->olen - n));
  c->olen -= (int)n;
  arm(c, c->olen > 0);
}

/* Client frames must be masked; a fixed non-zero key keeps the cost honest but predictable. */
void ws_send(Conn *c, int opcode, const char *data, size_t len) {
  unsigned char h[14];
  static const unsigned char key[4] = { 0x37, 0xfa, 0x21, 0x3d };
  int hl = 2;
  h[0] = (unsigned char)(0x80 | opcode);
  if (len < 126) h[1] = (unsigned char)(0x80 | len);
  else { h[1] = 0x80 | 126; h[2] = (unsigned char)(len >> 8); h[3] = (unsigned char)len; hl = 4; }
  memcpy(h + hl, key, 4);
  hl += 4;
  grow(&c->out, &c->ocap, c->olen + hl + (int)len);
  memcpy(c->out + c->olen, h, (size_t)hl);
  char *p = c->out + c->olen + hl;
  for (size_t i = 0; i < len; i++) p[i] = (char)(data[i] ^ key[i & 3]);
  c->olen += hl + (int)len;
}

void ws_send_close(Conn *c) {
  const char code[2] = { 0x03, (char)0xe8 }; /* 1000 normal closure */
  ws_send(c, 8, code, 2);
  c->state = ST_CLOSING;
}

/* Returns the number of bytes consumed from buf; stops at an incomplete frame. */
static size_t parse_frames(Conn *c, char *buf, size_t n) {
  size_t pos = 0;
  while (c->fd >= 0 && n - pos >= 2) {
    unsigned char b0 = (unsigned char)buf[pos], b1 = (unsigned char)buf[pos + 1];
    size_t len = b1 & 0x7f, hl = 2;
    if (len == 126) {
      if (n - pos < 4) break;
      len = ((size_t)(unsigned char)buf[pos + 2] << 8) | (unsigned char)buf[pos + 3]; hl = 4;
    } else if (len == 127) {
      if (n - pos < 10) break;
      len = 0;
      for (int i = 0; i < 8; i++) len = (len << 8) | (unsigned char)buf[pos + 2 + i];
      hl = 10;
    }
    if (b1 & 0x80) { conn_fail(c, "server sent a masked frame"); return n; }
    if (n - pos < hl + len) break;
    char *data = buf + pos + hl;
    int op = b0 & 0x0f;
    pos += hl + len;
    if (!(b0 & 0x80) || op == 0) error_note("fragmented frame", c->id);
    if (op == 1 || op == 2) on_frame(c, op, data, len);
    else if (op == 9) ws_send(c, 10, data, len);
    else if (op == 8) {
      if (c->state == ST_CLOSING) { st.closed_ok++; conn_close(c); if (on_closed) on_closed(c, 1); }
      else conn_fail(c, "server closed the connection");
      return n;
    }
  }
  return pos;
}

static void on_readable(Conn *c) {
  size_t have = (size_t)c->llen;
  if (have) memcpy(rbuf, c->left, have);
  ssize_t r = recv(c->fd, rbuf + have, sizeof rbuf - have, 0);
  if (r == 0) { conn_fail(c, "eof from server"); return; }
  if (r < 0) { if (errno != EAGAIN) conn_fail(c, strerror(errno)); return; }
  size_t n = have + (size_t)r, pos = 0;
  if (c->state == ST_UPGRADING) {
    char *end = memmem(rbuf, n, "\r\n\r\n", 4);
    if (!end) { pos = 0; goto keep; }
    if (n < 12 || memcmp(rbuf, "HTTP/1.1 101", 12) != 0) {
      char why[64];
      snprintf(why, sizeof why, "upgrade refused: %.40s", rbuf);
      *strchrnul(why, '\r') = 0;
      conn_fail(c, why);
      return;
    }
    pos = (size_t)(end - rbuf) + 4;
    c->state = ST_OPEN;
    st.pending--; st.open++;
    if (on_open) on_open(c);
    if (c->fd < 0) return;
  }
  pos += c->http ? on_http(c, rbuf + pos, n - pos) : parse_frames(c, rbuf + pos, n - pos);
  if (c->fd < 0) return;
keep:
  c->llen = 0;
  if (n > pos) {
    grow(&c->left, &c->lcap, (int)(n - pos));
    memcpy(c->left, rbuf + pos, n - pos);
    c->llen = (int)(n - pos);
  }
  conn_flush(c);
}

int loop_once(int timeout_ms) {
  struct epoll_event ev[512];
  int n = epoll_wait(ep, ev, 512, timeout_ms);
  g_now = now_us();
  for (int i = 0; i < n; i++) {
    Conn *c = ev[i].data.ptr;
    if (c->fd < 0) continue;
    if (ev[i].events & (EPOLLOUT | EPOLLERR)) conn_flush(c);
    if (c->fd >= 0 && (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) on_readable(c);
  }
  return n;
}
