/*
 * utf8.h: text as characters, not bytes.
 *
 * Limits the API states count characters (code points). Text that must be
 * shortened to fit a buffer is cut between two characters, never inside
 * one: half a character is invalid UTF-8, which jansson refuses to encode
 * (the answer became a 500), PostgreSQL refuses to store, and SQLite stores
 * as it is. Every cut of text in slipway is made here: err_set and
 * err_detail scrub what they formatted, log_escape stops between two
 * characters, and copies of user text into fixed buffers use utf8_copy.
 */
#ifndef SLIPWAY_UTF8_H
#define SLIPWAY_UTF8_H

#include "core/common.h"

/* The most bytes one character takes. */
#define UTF8_CHAR_MAX 4

/* Characters in s, counted by the bytes that start one (JSON strings are valid UTF-8: jansson checks). */
size_t utf8_length(const char *s);

/* The bytes the first chars characters of s take (all of s when it has fewer). */
size_t utf8_offset(const char *s, size_t chars);

/* Whether s is valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF). */
bool utf8_valid(const char *s);

/*
 * Decodes the character at s, of which n > 0 bytes may be read: returns
 * its length in bytes (1..4) with the code point in *cp, or 0 when the
 * bytes there are not one valid character.
 */
int utf8_decode(const char *s, size_t n, uint32_t *cp);

/* The length of the longest prefix of s (len bytes) that is at most max bytes and does not end inside a character. */
size_t utf8_prefix(const char *s, size_t len, size_t max);

/* Copies s into out (cap > 0 bytes, NUL included), cut on a character boundary if it does not fit; returns the bytes copied. */
size_t utf8_copy(char *out, size_t cap, const char *s);

/*
 * Makes the NUL-terminated text s valid UTF-8 in place, for text that was
 * cut short or came from outside: a character cut at the end is dropped,
 * any other byte that is not part of a valid character becomes '?'.
 * Returns the new length.
 */
size_t utf8_scrub(char *s);

#endif
