#include "core/encode.h"

static const char b64url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void hex_encode(const void *p, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[2 * n] = '\0';
}

int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* base64 of p in alphabet, with "=" padding when pad. */
static void b64_encode_in(const char *alphabet, bool pad, const void *p, size_t n, char *out)
{
    const unsigned char *b = p;
    size_t o = 0, i = 0;

    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)b[i] << 16 | (uint32_t)b[i + 1] << 8 | b[i + 2];
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
        out[o++] = alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)b[i] << 16;
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        if (pad)
            out[o++] = '=', out[o++] = '=';
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)b[i] << 16 | (uint32_t)b[i + 1] << 8;
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
        if (pad)
            out[o++] = '=';
    }
    out[o] = '\0';
}

void b64url_encode(const void *p, size_t n, char *out)
{
    b64_encode_in(b64url_alphabet, false, p, n, out);
}

void b64_encode(const void *p, size_t n, char *out)
{
    b64_encode_in("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", true, p, n, out);
}

static int b64url_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* Appends one 6-bit group; a byte is complete every 8 bits. */
struct b64_state {
    unsigned char *out;
    uint32_t acc;
    int bits;
    long n;
};

static void b64_push(struct b64_state *st, int v)
{
    st->acc = st->acc << 6 | (uint32_t)v;
    st->bits += 6;
    if (st->bits >= 8) {
        st->bits -= 8;
        st->out[st->n++] = (unsigned char)(st->acc >> st->bits);
    }
}

long b64url_decode(const char *s, size_t len, void *out)
{
    struct b64_state st = {out, 0, 0, 0};

    if (len % 4 == 1)
        return -1;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_value(s[i]);
        if (v < 0)
            return -1;
        b64_push(&st, v);
    }
    /* Leftover bits must be zero, so each byte string has one encoding. */
    if (st.acc & ((1u << st.bits) - 1))
        return -1;
    return st.n;
}

long b64_decode(const char *s, size_t len, void *out)
{
    struct b64_state st = {out, 0, 0, 0};
    int pad = 0;

    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int v = c == '+' ? 62 : c == '/' ? 63 : (c == '-' || c == '_') ? -1 : b64url_value(c);
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        if (pad || v < 0)
            return -1; /* data after padding, or not in the alphabet */
        b64_push(&st, v);
    }
    return pad > 2 ? -1 : st.n;
}

char *url_escape(const char *s, char *out, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
                     *p == '_' || *p == '~';
        if (o + (plain ? 1 : 3) >= n)
            return NULL;
        if (plain) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    out[o] = '\0';
    return out;
}
