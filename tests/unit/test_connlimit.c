/* Unit tests of src/http/connlimit.c: the limits in all and per address, and the table under churn. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "http/connlimit.h"

static struct sockaddr_in v4(uint32_t host)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(host);
    return a;
}

static struct sockaddr_in6 v6(const char *text)
{
    struct sockaddr_in6 a = {.sin6_family = AF_INET6};
    assert_int_equal(inet_pton(AF_INET6, text, &a.sin6_addr), 1);
    return a;
}

#define SA(x) ((const struct sockaddr *)(const void *)&(x))

static void test_limit_in_all(void **state)
{
    struct connlimit *cl = connlimit_new(3, 0);
    struct sockaddr_in a = v4(0x7f000001), b = v4(0x7f000002);

    (void)state;
    assert_true(connlimit_admit(cl, SA(a)));
    assert_true(connlimit_admit(cl, SA(a)));
    assert_true(connlimit_admit(cl, SA(b)));
    assert_false(connlimit_admit(cl, SA(b)));
    assert_int_equal(connlimit_open(cl), 3);
    connlimit_release(cl, SA(a));
    assert_true(connlimit_admit(cl, SA(b)));
    assert_int_equal(connlimit_take_refused(cl), 1);
    assert_int_equal(connlimit_take_refused(cl), 0);
    connlimit_free(cl);
}

static void test_limit_per_client(void **state)
{
    struct connlimit *cl = connlimit_new(100, 2);
    struct sockaddr_in a = v4(0x0a000001), b = v4(0x0a000002);
    /* One IPv6 subscriber: two addresses of the same /64 count together; another /64 does not. */
    struct sockaddr_in6 x = v6("2001:db8:1:2::1"), y = v6("2001:db8:1:2:ffff::9"), z = v6("2001:db8:1:3::1");

    (void)state;
    assert_true(connlimit_admit(cl, SA(a)));
    assert_true(connlimit_admit(cl, SA(a)));
    assert_false(connlimit_admit(cl, SA(a)));
    assert_true(connlimit_admit(cl, SA(b)));
    assert_true(connlimit_admit(cl, SA(x)));
    assert_true(connlimit_admit(cl, SA(y)));
    assert_false(connlimit_admit(cl, SA(x)));
    assert_true(connlimit_admit(cl, SA(z)));
    connlimit_release(cl, SA(x));
    assert_true(connlimit_admit(cl, SA(y)));
    connlimit_release(cl, SA(a));
    assert_true(connlimit_admit(cl, SA(a)));
    assert_int_equal(connlimit_open(cl), 6);
    connlimit_free(cl);
}

/* Random admits and releases over many addresses, checked against plain counters: deletion keeps every key findable. */
static void test_churn(void **state)
{
    enum { ADDRS = 700, MAX = 400, PER = 3, STEPS = 200000 };
    struct connlimit *cl = connlimit_new(MAX, PER);
    static int held[ADDRS];
    int open = 0;

    (void)state;
    srand(7);
    for (int i = 0; i < STEPS; i++) {
        int k = rand() % ADDRS;
        struct sockaddr_in a = v4(0xc0a80000u + (uint32_t)k * 2654435761u % 65536u);
        if (rand() % 2 && held[k] > 0) {
            connlimit_release(cl, SA(a));
            held[k]--, open--;
        } else {
            bool expect = open < MAX && held[k] < PER;
            assert_int_equal(connlimit_admit(cl, SA(a)), expect);
            if (expect)
                held[k]++, open++;
        }
        assert_int_equal(connlimit_open(cl), open);
    }
    connlimit_free(cl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_in_all),
        cmocka_unit_test(test_limit_per_client),
        cmocka_unit_test(test_churn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
