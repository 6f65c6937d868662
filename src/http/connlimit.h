/*
 * connlimit.h: how many connections the server holds, in all and per
 * client address.
 *
 * The accept thread asks connlimit_admit() before it hands a socket to
 * libmicrohttpd; a connection refused here is closed at once, so the
 * daemon is never given more than it is configured to hold (past its own
 * limit libmicrohttpd 0.9.75 deadlocks its worker: issue 11). Every
 * admitted connection is released exactly once, by connlimit_release(),
 * when libmicrohttpd reports it closed or when the hand-over fails.
 *
 * Per client address: one address cannot take every slot, so a flood from
 * one place leaves room for everyone else. IPv6 clients count per /64,
 * the block one subscriber usually holds. Thread-safe: admit runs on the
 * accept thread, release on the workers.
 */
#ifndef SLIPWAY_CONNLIMIT_H
#define SLIPWAY_CONNLIMIT_H

#include <sys/socket.h>

#include "core/common.h"

struct connlimit;

/* max: connections in all (>= 1); per_client: per address (0: no per-address limit). */
struct connlimit *connlimit_new(int max, int per_client);
void connlimit_free(struct connlimit *cl);

/* Counts the connection from addr and answers true, or answers false when a limit is reached. */
bool connlimit_admit(struct connlimit *cl, const struct sockaddr *addr);
/* Gives back a slot that connlimit_admit() granted to addr. */
void connlimit_release(struct connlimit *cl, const struct sockaddr *addr);

/* Connections held now, and refused since the last call (which resets it). */
int connlimit_open(struct connlimit *cl);
uint64_t connlimit_take_refused(struct connlimit *cl);

#endif
