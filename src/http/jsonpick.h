/*
 * jsonpick.h: a few values read out of a JSON object's text in one pass, without a tree (docs/internals/jsonpick.md).
 *
 * A signed webhook's body is about a kilobyte of which a provider reads
 * five to ten members; jansson's parse of it (every member a malloc'd
 * string in a hash table) was a third of what a build delivery cost
 * (docs/performance.md, issue 14). jsonpick reads the named members as it
 * checks the text, and answers only where it can answer as jansson would:
 * text that json_loadb(JSON_REJECT_DUPLICATES) would refuse, and anything
 * the pass does not check as jansson does (an escape in a member name or
 * in a picked string, a long number, deep nesting), makes it say no, and
 * the caller asks jansson (jsonpick_tree reads the same paths from the
 * tree). So every error message, and every value, is the one jansson gives.
 */
#ifndef SLIPWAY_JSONPICK_H
#define SLIPWAY_JSONPICK_H

#include <jansson.h>

#include "core/common.h"

/* Paths one pick reads (a 64-bit mask holds them), and keys in one path. */
#define JSONPICK_MAX 32
#define JSONPICK_KEYS 8

enum jsonpick_type {
    JSONPICK_ABSENT, /* no such member (or a key on the way is not an object) */
    JSONPICK_NULL,
    JSONPICK_STRING,
    JSONPICK_INTEGER,
    JSONPICK_OBJECT,
    JSONPICK_OTHER, /* an array, a real number, true or false */
};

/*
 * A value picked. text is len bytes, not NUL-terminated: a STRING's
 * characters (no escapes were in them), an INTEGER's digits as jansson
 * prints them; NULL for the other types. It points into the text picked
 * from, or into the tree, or (an integer from a tree) into digits: the
 * value is not to be copied, and lives as long as what it points into.
 */
struct jsonpick_value {
    enum jsonpick_type type;
    const char *text;
    size_t len;
    char digits[24];
};

/*
 * Reads the value at paths[i] (member names joined by '.', from the top
 * object: "workflow.id") into out[i], for each of the n (at most
 * JSONPICK_MAX) paths, in one pass over text (len bytes). True when text
 * is a JSON object that json_loadb(JSON_REJECT_DUPLICATES) accepts and
 * every value is as jansson reads it; false when the pass cannot say so
 * (out is then undefined): ask jansson.
 */
bool jsonpick(const char *text, size_t len, const char *const paths[], size_t n, struct jsonpick_value out[]);

/* The same paths read from a tree jansson made (borrowed: the strings stay root's). */
void jsonpick_tree(const json_t *root, const char *const paths[], size_t n, struct jsonpick_value out[]);

/* Whether v is the string word. */
bool jsonpick_is(const struct jsonpick_value *v, const char *word);

#endif
