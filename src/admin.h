/* admin.h: the `slipway admin ...` and `slipway migrate ...` commands. */
#ifndef SLIPWAY_ADMIN_H
#define SLIPWAY_ADMIN_H

#include "core/config.h"
#include "store/store.h"

/* Each returns the process exit code. argv starts after the subcommand's name. */
int admin_main(struct config *cfg, int argc, char **argv);
int migrate_main(const struct config *cfg, int argc, char **argv);

/* Opens the configured database with the configured pool (for serve and the commands). */
enum err_code admin_store_open(const struct config *cfg, struct store **out, struct err *err);

#endif
