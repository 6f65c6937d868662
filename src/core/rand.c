#define _GNU_SOURCE
#include "core/rand.h"

#include <errno.h>
#include <sys/random.h>
#include <time.h>

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
 * Ids (row ids, request ids) are UUIDs of version 7 (RFC 9562): 48 bits of
 * Unix milliseconds, 12 bits of the millisecond's fraction (RFC 9562 6.2,
 * method 3: rows made one after the other in one millisecond, a release's
 * timeline steps, sort in the order they were made), then 62 random bits.
 * Time first keeps B-tree inserts together: a new row's id, and the
 * tenant ids its indexes lead with, land on the pages the last rows
 * touched instead of a random page each (whole
 * setups saved into new tenants: 1,500/s with random ids, 2,100/s with
 * these, docs/performance.md). Ids are not secrets, and the creation time
 * they show is in every row's createdAt anyway; 62 random bits keep them
 * unguessable. On CockroachDB the opposite holds (rand_uuid_scatter).
 *
 * The random bits come from a per-thread buffer refilled from the kernel
 * 512 bytes at a time: one getrandom call per 32 to 64 ids, not one each.
 * Secrets (tokens, keys, nonces, salts) never use it: they call
 * rand_bytes, so no future secret sits in memory ahead of its use.
 */
#define ID_RANDOM_BYTES 8 /* after the time and its fraction */

static bool scatter; /* set once at start, before any thread makes ids */

void rand_uuid_scatter(void)
{
    scatter = true;
}

static _Thread_local struct {
    unsigned char buf[512];
    size_t left;
} id_pool;

void rand_uuid(char out[UUID_SIZE])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    size_t take = scatter ? sizeof b : ID_RANDOM_BYTES; /* the random tail: all of it, or what follows the time */
    struct timespec ts;
    uint64_t ms;
    size_t o = 0;

    clock_gettime(CLOCK_REALTIME, &ts);
    ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(ms >> (40 - 8 * i));
    unsigned frac = (unsigned)((uint64_t)(ts.tv_nsec % 1000000) * 4096u / 1000000u); /* 12 bits */
    b[6] = (unsigned char)(frac >> 8);
    b[7] = (unsigned char)frac;
    if (id_pool.left < take) {
        rand_bytes(id_pool.buf, sizeof id_pool.buf);
        id_pool.left = sizeof id_pool.buf;
    }
    memcpy(b + sizeof b - take, id_pool.buf + sizeof id_pool.buf - id_pool.left, take);
    id_pool.left -= take;
    b[6] = (b[6] & 0x0f) | (scatter ? 0x40 : 0x70); /* version 4 or 7 */
    b[8] = (b[8] & 0x3f) | 0x80;                    /* RFC 9562 variant */
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
