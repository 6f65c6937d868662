#include "core/utf8.h"

static bool continuation(unsigned char c)
{
    return (c & 0xc0) == 0x80;
}

/* Bytes the character that starts with lead takes, or 0 when lead cannot start one. */
static int sequence_length(unsigned char lead)
{
    if (lead < 0x80)
        return 1;
    if (lead < 0xc2) /* a continuation byte, or the start of an overlong two-byte form */
        return 0;
    if (lead < 0xe0)
        return 2;
    if (lead < 0xf0)
        return 3;
    return lead < 0xf5 ? 4 : 0;
}

int utf8_decode(const char *s, size_t n, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    int len = sequence_length(p[0]);
    uint32_t c;

    if (len == 0 || (size_t)len > n)
        return 0;
    c = len == 1 ? p[0] : p[0] & (0x7fu >> len);
    for (int i = 1; i < len; i++) {
        if (!continuation(p[i]))
            return 0;
        c = c << 6 | (p[i] & 0x3fu);
    }
    if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) || (len == 4 && (c < 0x10000 || c > 0x10ffff)))
        return 0;
    *cp = c;
    return len;
}

size_t utf8_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (!continuation((unsigned char)*s))
            n++;
    return n;
}

size_t utf8_offset(const char *s, size_t chars)
{
    size_t i = 0;

    for (; s[i]; i++)
        if (!continuation((unsigned char)s[i]) && chars-- == 0)
            break;
    return i;
}

bool utf8_valid(const char *s)
{
    size_t n = strlen(s);
    uint32_t cp;

    for (size_t i = 0; i < n;) {
        int len = utf8_decode(s + i, n - i, &cp);
        if (len == 0)
            return false;
        i += (size_t)len;
    }
    return true;
}

size_t utf8_prefix(const char *s, size_t len, size_t max)
{
    size_t k = max;

    if (len <= max)
        return len;
    /* s[k] is the first byte left out: while it continues a character, that character would be cut. */
    for (int back = 0; k > 0 && back < UTF8_CHAR_MAX - 1 && continuation((unsigned char)s[k]); back++)
        k--;
    return k;
}

size_t utf8_copy(char *out, size_t cap, const char *s)
{
    size_t n = utf8_prefix(s, strlen(s), cap - 1);

    memcpy(out, s, n);
    out[n] = '\0';
    return n;
}

/* Whether the n bytes at s are the start of a valid character that the end of the text cut short. */
static bool cut_short(const char *s, size_t n)
{
    size_t want = (size_t)sequence_length((unsigned char)s[0]);

    if (want <= n)
        return false;
    for (size_t i = 1; i < n; i++)
        if (!continuation((unsigned char)s[i]))
            return false;
    return true;
}

size_t utf8_scrub(char *s)
{
    size_t n = strlen(s);
    uint32_t cp;

    for (size_t i = 0; i < n;) {
        int len = utf8_decode(s + i, n - i, &cp);
        if (len > 0) {
            i += (size_t)len;
        } else if (cut_short(s + i, n - i)) {
            s[i] = '\0';
            return i;
        } else {
            s[i++] = '?';
        }
    }
    return n;
}
