/* MD5 and HMAC-SHA256 for wsgen's signed Pusher HTTP API requests. */
#ifndef HASH_H
#define HASH_H
#include <stddef.h>
#include <stdint.h>

typedef struct Hmac { uint32_t in[8], out[8]; } Hmac;

void md5(const void *data, size_t n, unsigned char out[16]);
void hmac_init(Hmac *k, const char *key, size_t n);
void hmac_sha256(const Hmac *k, const void *msg, size_t n, unsigned char out[32]);
/* Lower-case hex of n bytes into out (2n + 1 bytes with the NUL). */
void to_hex(const unsigned char *b, size_t n, char *out);
#endif
