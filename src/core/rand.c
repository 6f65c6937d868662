#define _GNU_SOURCE
#include "core/rand.h"

#include <errno.h>
#include <sys/random.h>

void rand_bytes(void *p, size_t n)
{
    unsigned char *out = p;
    while (n > 0) {
        ssize_t got = getrandom(out, n, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            fputs("{\"level\":\"fatal\",\"msg\":\"getrandom failed\"}\n", stderr);
            abort();
        }
        out += got;
        n -= (size_t)got;
    }
}

/*
 * Ids (row ids, request ids) come from a per-thread buffer refilled from the
 * kernel 512 bytes at a time: one getrandom call per 32 ids instead of one
 * each. Secrets (tokens, keys, nonces, salts) never use it: they call
 * rand_bytes, so no future secret sits in memory ahead of its use.
 */
static _Thread_local struct {
    unsigned char buf[512];
    size_t left;
} id_pool;

void rand_uuid(char out[UUID_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    size_t o = 0;

    if (id_pool.left < sizeof b) {
        rand_bytes(id_pool.buf, sizeof id_pool.buf);
        id_pool.left = sizeof id_pool.buf;
    }
    memcpy(b, id_pool.buf + sizeof id_pool.buf - id_pool.left, sizeof b);
    id_pool.left -= sizeof b;
    b[6] = (b[6] & 0x0f) | 0x40; /* version 4 */
    b[8] = (b[8] & 0x3f) | 0x80; /* RFC 4122 variant */
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = '\0';
}

bool uuid_valid(const char *s)
{
    if (!s)
        return false;
    for (size_t i = 0; i < UUID_LEN; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return s[UUID_LEN] == '\0';
}
