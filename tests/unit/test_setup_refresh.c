/*
 * setup_refresh on a database it cannot use answers an error (regression).
 *
 * Its status struct was left uninitialised until the settings row was read,
 * and a failure before that (ensure_row: the database busy, or here its
 * table missing) cleared it, decref'ing whatever the stack held. Slipway
 * died under bench/run's setup_new load at 64 connections; the kernel log
 * showed MHD workers segfaulting in setup_status_clear, and this is the one
 * path that clears the struct uninitialised. The stack is filled with
 * garbage first so that the old code crashes every time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <unistd.h>

#include "setup/setup.h"
#include "store/store.h"

static __attribute__((noinline)) void dirty_stack(void)
{
    volatile unsigned char junk[8192];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0xa5;
}

static __attribute__((noinline)) enum err_code refresh(struct store_conn *c, struct setup_status *out, struct err *err)
{
    dirty_stack();
    return setup_refresh(c, "5eed0000-0000-4000-8000-0000000000a1", NULL, out, err);
}

static void test_refresh_without_settings_table(void **state)
{
    char dir[] = "/tmp/slipway-setup-XXXXXX", url[192], path[128];
    struct store *s = NULL;
    struct store_conn *c = NULL;
    struct setup_status out = {0};
    struct err err;
    (void)state;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/t.db", dir);
    snprintf(url, sizeof url, "sqlite://%s", path);
    err_clear(&err);
    assert_int_equal(store_open(url, NULL, &s, &err), ERR_OK);
    assert_int_equal(store_conn_get(s, &c, &err), ERR_OK);
    err_clear(&err);
    assert_int_not_equal(refresh(c, &out, &err), ERR_OK);
    assert_null(out.targets); /* nothing handed out on failure */
    err_clear(&err);
    assert_int_not_equal(refresh(c, NULL, &err), ERR_OK);
    store_conn_put(c);
    store_close(s);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refresh_without_settings_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
