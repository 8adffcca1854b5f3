/* wsgen Pusher modes: fan-out triggered through the signed HTTP API, and connect+subscribe cycles. */
#define _GNU_SOURCE
#include "hash.h"
#include "modes.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* The exact frames both servers must send (ody's frame() and the floor build the same JSON). */
static const char ESTABLISHED[] = "{\"event\":\"pusher:connection_established\",\"data\":\"{\\\"socket_id\\\":\\\"";
static const char SUBSCRIBE[] = "{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"bench\"}}";
static const char SUCCEEDED[] = "{\"event\":\"pusher_internal:subscription_succeeded\",\"channel\":\"bench\",\"data\":\"{}\"}";
static const char EVENT[] = "{\"event\":\"ev\",\"channel\":\"bench\",\"data\":\"";
#define LIT(s) (sizeof s - 1)

static char sub_path[160];
static Hmac key;
static long subscribed, requests, answered, refused;

static int starts(const char *d, size_t len, const char *lit, size_t n) { return len >= n && memcmp(d, lit, n) == 0; }

/* connection_established -> send pusher:subscribe -> subscription_succeeded. Returns 1 when this frame completed it. */
static int handshake_frame(Conn *c, int op, const char *d, size_t len) {
  if (op != 1) { error_note("binary frame from a Pusher server", c->id); return 0; }
  if (c->stage == 0) {
    if (!starts(d, len, ESTABLISHED, LIT(ESTABLISHED)) || !memmem(d, len, "activity_timeout", 16)) {
      error_note("expected pusher:connection_established", c->id);
      return 0;
    }
    ws_send(c, 1, SUBSCRIBE, LIT(SUBSCRIBE));
    c->stage = 1;
    return 0;
  }
  if (c->stage == 1) {
    if (len != LIT(SUCCEEDED) || memcmp(d, SUCCEEDED, len) != 0) { error_note("expected pusher_internal:subscription_succeeded", c->id); return 0; }
    c->stage = 2;
    subscribed++;
    return 1;
  }
  return 0;
}

/* A delivery is {"event":"ev","channel":"bench","data":"<fan-out payload>"}; the payload is checked like fan-out's. */
static void fanout_frame(Conn *c, int op, const char *d, size_t len) {
  if (c->stage < 2) { handshake_frame(c, op, d, len); return; }
  if (op != 1 || len != LIT(EVENT) + (size_t)o.size + 2 || !starts(d, len, EVENT, LIT(EVENT)) || memcmp(d + len - 2, "\"}", 2) != 0) {
    error_note("bad Pusher event frame", c->id);
    return;
  }
  fan_check(c, d + LIT(EVENT), (size_t)o.size);
}

/* Signs as the Pusher spec says: body_md5 of the body, then HMAC-SHA256(secret, "POST\n/apps/{id}/events\n" + the
   sorted query without auth_signature). Keys sort as auth_key, auth_timestamp, auth_version, body_md5. */
static int sign_request(char *out, size_t cap, const char *body, size_t blen, long ts) {
  unsigned char dig[32];
  char md5hex[33], sighex[65], query[256], to_sign[400];
  md5(body, blen, dig);
  to_hex(dig, 16, md5hex);
  snprintf(query, sizeof query, "auth_key=%s&auth_timestamp=%ld&auth_version=1.0&body_md5=%s", o.key, ts, md5hex);
  int n = snprintf(to_sign, sizeof to_sign, "POST\n/apps/%s/events\n%s", o.app, query);
  hmac_sha256(&key, to_sign, (size_t)n, dig);
  to_hex(dig, 32, sighex);
  return snprintf(out, cap, "POST /apps/%s/events?%s&auth_signature=%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                  "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n", o.app, query, sighex, g_port, blen);
}

/* One trigger per message, pipelined on the keep-alive connection: fan-out's batches become one write each. */
static void http_emit(unsigned seq, uint64_t ts) {
  char payload[4096], body[4200], head[600];
  fan_payload(payload, seq, ts);
  int bl = snprintf(body, sizeof body, "{\"name\":\"ev\",\"channels\":[\"bench\"],\"data\":\"%.*s\"}", o.size, payload);
  int hl = sign_request(head, sizeof head, body, (size_t)bl, (long)time(NULL));
  conn_write(pub, head, (size_t)hl);
  conn_write(pub, body, (size_t)bl);
  requests++;
}

/* Whole responses only; each must be 200 with the body {} (what the SDKs expect from a trigger). */
static size_t http_responses(Conn *c, const char *buf, size_t n) {
  size_t pos = 0;
  for (;;) {
    const char *start = buf + pos, *end = memmem(start, n - pos, "\r\n\r\n", 4);
    if (!end) break;
    size_t head = (size_t)(end - start) + 4;
    long len = -1;
    for (const char *l = start; l && l < end;) {
      if (strncasecmp(l, "content-length:", 15) == 0) len = atol(l + 15);
      const char *nl = memchr(l, '\n', (size_t)(end - l));
      l = nl ? nl + 1 : NULL;
    }
    if (len < 0) { error_note("API response without Content-Length", c->id); return n; }
    if (n - pos < head + (size_t)len) break;
    answered++;
    if (memcmp(start, "HTTP/1.1 200", 12) != 0 || len != 2 || memcmp(start + head, "{}", 2) != 0) {
      if (refused++ == 0) {
        char why[120];
        snprintf(why, sizeof why, "trigger refused: %.*s", (int)((size_t)len < 80 ? (size_t)len : 80), start + head);
        error_note(why, c->id);
      } else st.errors++;
    }
    pos += head + (size_t)len;
  }
  return pos;
}

/* The spec's vector (rest-api.md) through the same code path, so a broken hash fails loudly, not as 401s. */
static int selftest(void) {
  static const char body[] = "{\"name\":\"foo\",\"channels\":[\"project-3\"],\"data\":\"{\\\"some\\\":\\\"data\\\"}\"}";
  const char *k = o.key, *a = o.app;
  char req[600];
  Hmac saved = key;
  o.key = "278d425bdf160c739803";
  o.app = "3";
  hmac_init(&key, "7ad3773142a6692b25b8", 20);
  sign_request(req, sizeof req, body, LIT(body), 1353088179);
  o.key = k;
  o.app = a;
  key = saved;
  return strstr(req, "body_md5=ec365a775a4cd0599faeb73354201b6f&auth_signature="
                     "da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c ") != NULL;
}

static void setup(void) {
  hmac_init(&key, o.secret, strlen(o.secret));
  snprintf(sub_path, sizeof sub_path, "/app/%s?protocol=7&client=js&version=8.6.0&flash=false", o.key);
}

int mode_pusher(void) {
  Snap a, b;
  setup();
  if (!selftest()) { printf("{\"mode\":\"pusher\",\"errors\":1,\"first_error\":\"wsgen's HMAC/MD5 fail the spec vector\"}\n"); return 1; }
  conns = calloc((size_t)o.conns + 1, sizeof *conns);
  for (int i = 0; i <= o.conns; i++) { conns[i].id = i; conns[i].fd = -1; conns[i].path = sub_path; }
  pub = &conns[o.conns];
  pub->http = 1;
  on_frame = fanout_frame;
  on_http = http_responses;
  fan_emit = http_emit;
  connect_range(0, o.conns, 256, 60);
  long open = st.open;
  /* Every subscriber holds subscription_succeeded before the first trigger: no probe needed. */
  uint64_t deadline = g_now + 15000000;
  while (subscribed < open && st.open > 0 && g_now < deadline) loop_once(5);
  if (subscribed < open) error_note("some subscribers never got subscription_succeeded", -1);
  nsubs = subscribed;
  conn_start(pub);
  long got = fan_measure(&a, &b), missing = (long)o.msgs * nsubs - got;
  deadline = g_now + 3000000;
  while (answered < requests && pub->state == ST_OPEN && g_now < deadline) loop_once(5);
  if (answered < requests) { error_note("triggers never answered", -1); st.errors += requests - answered - 1; }
  conn_close(pub);
  close_conns(0, o.conns, 3);
  report_begin(&a, &b, got);
  printf(",\"subs\":%ld,\"msgs\":%d,\"window\":%d,\"batch\":%d,\"missing\":%ld,\"requests\":%ld,\"refused\":%ld,"
         "\"p50_us\":%ld,\"p99_us\":%ld}\n", nsubs, o.msgs, o.window, o.batch, missing, requests, refused, hist_pct(0.50), hist_pct(0.99));
  return 0;
}

/* A cycle: upgrade, connection_established, subscribe, subscription_succeeded, close handshake. */
static void connect_frame(Conn *c, int op, const char *d, size_t len) {
  if (c->stage == 2) { error_note("frame after subscription_succeeded", c->id); return; }
  long before = st.errors;
  if (handshake_frame(c, op, d, len)) ws_send_close(c);
  /* A wrong frame would stall the slot: drop the connection uncounted and free the slot (cycles' flag). */
  else if (st.errors > before) { conn_close(c); c->flag = 1; }
}

int mode_pconnect(void) {
  setup();
  return cycles(sub_path, NULL, connect_frame);
}
