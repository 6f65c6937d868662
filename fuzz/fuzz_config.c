/*
 * fuzz_config.c: configuration from the environment and flags.
 *
 * Input: lines. "NAME=value" sets an environment variable (names outside
 * the table of options are skipped: the environment is not ours), a line
 * starting with "--" is a command-line argument. config_load then reads
 * them over the defaults, and the key ring is built from what it read, as
 * `slipway serve` does. Every value must be refused with an error or land
 * inside its option's limits; the variables are unset again afterwards.
 */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "core/config.h"
#include "crypto/secret.h"

#define MAX_INPUT 8192
#define MAX_ARGS 16

static const struct config_option *option_named(const char *name)
{
    for (size_t i = 0; i < config_options_count; i++)
        if (strcmp(config_options[i].env, name) == 0)
            return &config_options[i];
    return NULL;
}

static void check_limits(const struct config *c)
{
    for (size_t i = 0; i < config_options_count; i++) {
        const struct config_option *o = &config_options[i];
        const char *field = (const char *)c + o->offset;
        switch (o->kind) {
        case CONFIG_STRING:
            CHECK(memchr(field, '\0', o->size) != NULL);
            break;
        case CONFIG_INT: {
            int64_t v = o->size == sizeof(int64_t) ? *(const int64_t *)field : *(const int *)field;
            /* An option without a default (SLIPWAY_THREADS) is 0 until set, and computed later (config_threads). */
            CHECK(!o->def && v == 0 ? true : v >= o->min && v <= o->max);
            break;
        }
        default:
            break;
        }
    }
    CHECK(c->listen_port >= 0 && c->listen_port <= 65535);
    CHECK(memchr(c->listen_host, '\0', sizeof c->listen_host) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *names[MAX_ARGS];
    char *argv[MAX_ARGS + 1], *text;
    int argc = 0, nnames = 0, used = 0;
    struct config *c;
    struct err err;

    if (size > MAX_INPUT)
        return 0;
    text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    for (char *line = text, *next; line; line = next) {
        char *nl = strchr(line, '\n'), *eq;
        next = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        if (strncmp(line, "--", 2) == 0) {
            if (argc < MAX_ARGS)
                argv[argc++] = line;
        } else if ((eq = strchr(line, '=')) != NULL && nnames < MAX_ARGS) {
            *eq = '\0';
            if (option_named(line) && setenv(line, eq + 1, 1) == 0)
                names[nnames++] = line;
        }
    }
    argv[argc] = NULL;
    c = malloc(sizeof *c);
    err_clear(&err);
    if (config_load(c, argc, argv, &used, &err) == ERR_OK) {
        struct keyring *k = NULL;
        CHECK(used >= 0 && used <= argc);
        check_limits(c);
        if (keyring_new(c->encryption_key, c->encryption_old_keys, &k, &err) == ERR_OK)
            keyring_free(k);
        else
            CHECK(err.code == ERR_INVALID && k == NULL);
    } else {
        CHECK(err.code == ERR_INVALID && err.message[0] != '\0');
    }
    for (int i = 0; i < nnames; i++)
        unsetenv(names[i]);
    free(c);
    free(text);
    return 0;
}
