/* Unit tests of the metrics' text (src/core/metrics.c) and of the settings table's help (src/core/config.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "core/metrics.h"

static void test_histogram_buckets(void **state)
{
    static struct metrics_histogram h;
    struct metrics_out m = {.full = false};
    (void)state;

    metrics_observe(&h, 500);      /* 0.5 ms: the first bucket */
    metrics_observe(&h, 1000);     /* exactly 1 ms: still the first (le is "at most") */
    metrics_observe(&h, 1001);     /* the second */
    metrics_observe(&h, 40000000); /* 40 s: past every bound */
    metrics_observe(&h, -5);       /* a clock that stepped back counts as 0 */
    buf_init(&m.buf, 1 << 16);
    metrics_histogram_write(&m, "x_seconds", "route=\"/a\"", &h);
    assert_false(m.full);
    assert_non_null(strstr(m.buf.data, "x_seconds_bucket{route=\"/a\",le=\"0.001\"} 3\n"));
    assert_non_null(strstr(m.buf.data, "x_seconds_bucket{route=\"/a\",le=\"0.0025\"} 4\n"));
    assert_non_null(strstr(m.buf.data, "x_seconds_bucket{route=\"/a\",le=\"30\"} 4\n"));
    assert_non_null(strstr(m.buf.data, "x_seconds_bucket{route=\"/a\",le=\"+Inf\"} 5\n"));
    assert_non_null(strstr(m.buf.data, "x_seconds_sum{route=\"/a\"} 40.002501\n"));
    assert_non_null(strstr(m.buf.data, "x_seconds_count{route=\"/a\"} 5\n"));
    buf_free(&m.buf);

    /* Without labels the braces of the bucket hold le alone. */
    buf_init(&m.buf, 1 << 16);
    metrics_histogram_write(&m, "y", "", &h);
    assert_non_null(strstr(m.buf.data, "y_bucket{le=\"+Inf\"} 5\n"));
    assert_non_null(strstr(m.buf.data, "y_count{} 5\n"));
    buf_free(&m.buf);
}

static void test_text(void **state)
{
    struct metrics_out m = {.full = false};
    char out[16];
    (void)state;

    metrics_escape(out, sizeof out, "a\"b\\c\nd");
    assert_string_equal(out, "a\\\"b\\\\c\\nd");
    metrics_escape(out, 6, "abcdefgh"); /* cut to fit, always terminated */
    assert_true(strlen(out) < 6);

    buf_init(&m.buf, 64);
    metrics_family(&m, "n_total", "counter", "Things.");
    assert_string_equal(m.buf.data, "# HELP n_total Things.\n# TYPE n_total counter\n");
    assert_false(m.full);
    metrics_printf(&m, "%s", "this line does not fit in what is left of the buffer");
    assert_true(m.full); /* and stays so: a scrape answers an error, never a cut page */
    metrics_printf(&m, "x");
    assert_true(m.full);
    buf_free(&m.buf);
}

static void test_process(void **state)
{
    struct metrics_out m = {.full = false};
    (void)state;

    buf_init(&m.buf, 1 << 16);
    metrics_process_write(&m);
    assert_false(m.full);
    assert_non_null(strstr(m.buf.data, "\nprocess_resident_memory_bytes "));
    assert_non_null(strstr(m.buf.data, "\nprocess_threads 1\n")); /* this test runs one thread */
    assert_non_null(strstr(m.buf.data, "\nprocess_open_fds "));
    const char *start = strstr(m.buf.data, "\nprocess_start_time_seconds ");
    assert_non_null(start);
    double started = strtod(start + strlen("\nprocess_start_time_seconds "), NULL);
    assert_true(started <= (double)time(NULL) + 1 && started > (double)time(NULL) - 600); /* this process, started just now */
    buf_free(&m.buf);
}

/* `slipway help` shows a default for every setting: its value, or words where it is computed or nothing. */
static void test_help_defaults(void **state)
{
    (void)state;
    for (size_t i = 0; i < config_options_count; i++) {
        const struct config_option *o = &config_options[i];
        const char *shown = config_default_text(o);
        if (!shown[0])
            fail_msg("%s has no default to show: give it a def_text", o->env);
        if (o->def_text && o->def && o->def[0])
            fail_msg("%s has a default value and words for it: one of them", o->env);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_histogram_buckets),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_process),
        cmocka_unit_test(test_help_defaults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
