/*
 * rekey.h: the stored secrets as a whole (every category's secret fields and
 * the webhook secrets): which keys they need (checked at start-up) and
 * re-encrypting them under the current key (`slipway admin rotate-key`).
 */
#ifndef SLIPWAY_REKEY_H
#define SLIPWAY_REKEY_H

#include "core/config.h"
#include "crypto/secret.h"
#include "store/store.h"

/*
 * Builds the key ring from INTEGRATION_ENCRYPTION_KEY (or the file
 * INTEGRATION_ENCRYPTION_KEY_FILE names) and INTEGRATION_ENCRYPTION_OLD_KEYS,
 * then wipes those strings from cfg. No key at all is not an error here
 * (the ring then cannot encrypt); a malformed one is.
 */
enum err_code rekey_load(struct config *cfg, struct keyring **out, struct err *err);

/*
 * Fails (ERR_UNAVAILABLE) when the database holds secrets this key ring
 * cannot read: no key at all, or a key id that is neither current nor old.
 */
enum err_code rekey_check(struct store *s, const struct keyring *keys, struct err *err);

struct rekey_result {
    int64_t rotated, current, failed;
    int batch; /* rows a transaction (the batch asked for, 1 to 100) */
};

/*
 * Re-encrypts every secret not already under the current key, in batches
 * of `batch` rows, each row updated only if unchanged since it was read.
 * Resumable: what is done is skipped next time.
 */
enum err_code rekey_rotate(struct store *s, const struct keyring *keys, int batch, struct rekey_result *out, struct err *err);

#endif
