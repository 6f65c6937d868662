/*
 * inbound.h: what the providers' inbound-webhook ops share (provider.h:
 * webhook_check, webhook_parse): reading the delivery, the two ways
 * providers sign one (an HMAC-SHA256 of the raw body, or the shared secret
 * itself), the replay window, and the event's fields filled without
 * cutting anything.
 */
#ifndef SLIPWAY_PROVIDER_INBOUND_H
#define SLIPWAY_PROVIDER_INBOUND_H

#include "http/jsonpick.h"
#include "providers/provider.h"

/* A request's header by name (for struct provider_inbound's header, given a struct request). */
const char *inbound_request_header(const void *req, const char *name);
/* A header of the delivery, or NULL. */
const char *inbound_header(const struct provider_inbound *in, const char *name);
/* The first of the headers names (NULL-terminated: a provider's webhook_delivery_headers) the delivery has, or NULL. */
const char *inbound_first_header(const struct provider_inbound *in, const char *const *names);
/*
 * True when header holds prefix followed by the lower-case hex
 * HMAC-SHA256 of the raw body under in->secret (GitHub: "sha256=",
 * CircleCI: "v1="). A comma-separated list matches when one of its entries
 * does (CircleCI may send several). Constant time over each digest. No
 * secret, or an empty one, matches nothing.
 */
bool inbound_hmac_ok(const struct provider_inbound *in, const char *header, const char *prefix);
/*
 * True when header is in->secret itself (GitLab), compared as SHA-256
 * digests so that neither length nor content leaks. No secret, or an empty
 * one, matches nothing.
 */
bool inbound_token_ok(const struct provider_inbound *in, const char *header);
/* True when the timestamp at (slipway's or ISO 8601 UTC) is within PROVIDER_REPLAY_WINDOW_S of in->now. */
bool inbound_fresh(const struct provider_inbound *in, const char *at);
/* The body as a JSON object, or NULL with ERR_MALFORMED_JSON. Caller owns a reference. */
json_t *inbound_json(const struct provider_inbound *in, struct err *err);
/*
 * The values at paths (jsonpick's: "workflow.id") of the body, into out:
 * read in one pass over the text (jsonpick), or, where that pass cannot
 * answer as jansson would, from inbound_json's tree. *tree: the tree out
 * points into, for the caller to release (json_decref) after its last use
 * of out; NULL when the pass read them. ERR_MALFORMED_JSON as inbound_json.
 */
enum err_code inbound_pick(const struct provider_inbound *in, const char *const paths[], size_t n, struct jsonpick_value out[],
                           json_t **tree, struct err *err);
/*
 * inbound_pick, for a provider whose signature covers a time: the value at
 * paths[at] must be within the replay window of in->now (inbound_fresh),
 * else ERR_UNAUTHENTICATED (PROVIDER_WEBHOOK_REFUSED), as for a body that
 * is not JSON: it cannot show its time, and an unproven time is no proof.
 */
enum err_code inbound_pick_signed(const struct provider_inbound *in, const char *const paths[], size_t n, size_t at,
                                  struct jsonpick_value out[], json_t **tree, struct err *err);
/*
 * Copies v (a string, or an integer: providers number their runs; absent
 * or null: "") into dst, or ERR_INVALID naming what when it is of another
 * type or does not fit in size.
 */
enum err_code inbound_copy(char *dst, size_t size, const struct jsonpick_value *v, const char *what, struct err *err);
/* The same for text (NULL: ""). */
enum err_code inbound_copy_text(char *dst, size_t size, const char *text, const char *what, struct err *err);
/* An event a provider reads: its name (as the provider's header says it), the members it reads, and how. */
struct inbound_event {
    const char *name;
    const char *const *fields;
    size_t n;
    enum err_code (*read)(const struct jsonpick_value *v, struct provider_event *ev, struct err *err);
};
/*
 * The body read as the row of events (ended by a row whose name is NULL)
 * named event says: its fields picked (inbound_pick) and its read called.
 * An event not in events is EVENT_OTHER; its body is still read as JSON.
 */
enum err_code inbound_read_event(const struct provider_inbound *in, const struct inbound_event *events, const char *event,
                                 struct provider_event *ev, struct err *err);
/* One row of a provider's run states: the provider's word, and what it is in slipway's (NULL: not said by this word). */
struct inbound_state {
    const char *from, *status, *conclusion;
};
/*
 * Sets ev's status and conclusion from the row of map (ended by a row
 * whose from is NULL) that value names; a completed run with no known
 * conclusion failed. An unknown value leaves both as they are.
 */
void inbound_state(struct provider_event *ev, const struct inbound_state *map, const struct jsonpick_value *value);
/*
 * A pushed git ref into ev: refs/tags/x is EVENT_TAG and x, refs/heads/x
 * EVENT_PUSH and x; any other ref EVENT_OTHER; none (absent, or not
 * text) ERR_INVALID.
 */
enum err_code inbound_ref(struct provider_event *ev, const struct jsonpick_value *ref, struct err *err);

#endif
