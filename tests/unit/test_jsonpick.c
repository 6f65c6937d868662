/*
 * Unit tests of src/http/jsonpick.c: the one pass that reads a few members of a webhook's body.
 *
 * Its promise is to answer as jansson would or not at all. So each case is
 * held against json_loadb(JSON_REJECT_DUPLICATES) and jsonpick_tree: where
 * the pass says yes, jansson must accept the text and read the same values.
 * Then the same over tens of thousands of texts made by breaking real
 * payloads a byte at a time (a fixed seed: the same texts every run), and
 * the payloads themselves must take the pass (else it saves nothing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "http/jsonpick.h"

/* A CircleCI workflow-completed delivery as tests/fakes/fake_circleci.py sends it. */
static const char circleci[] =
    "{\"type\":\"workflow-completed\",\"id\":\"2ad96a2f-8221-4d32-b0fd-d1ff99a1bcb0\",\"happened_at\":\"2026-12-07T11:16:25.571Z\","
    "\"webhook\":{\"id\":\"669606b0-f899-4fa6-8098-7f17166be53a\",\"name\":\"slipway\"},\"workflow\":{\"id\":\"wf-1\",\"name\":"
    "\"release\",\"status\":\"success\",\"created_at\":\"2026-12-07T11:16:25Z\",\"stopped_at\":\"2026-12-07T11:16:25Z\",\"url\":"
    "\"https://app.circleci.com/pipelines/bb/org/repo/130/workflows/wf-1\"},\"pipeline\":{\"id\":"
    "\"a6957467-48a7-44f9-a8d0-79759a6520a6\",\"number\":130,\"created_at\":\"2026-12-07T11:16:25Z\",\"trigger\":{\"type\":"
    "\"webhook\"},\"vcs\":{\"provider_name\":\"bitbucket\",\"origin_repository_url\":\"https://bitbucket.org/org/repo\","
    "\"target_repository_url\":\"https://bitbucket.org/org/repo\",\"revision\":\"f454a02b5d10fcccfd7d9dd7608a76d6493a98b4\","
    "\"commit\":{\"subject\":\"Fix the release build\",\"author\":{\"name\":\"Ada\"}},\"branch\":\"release/1.0\"}},\"project\":"
    "{\"id\":\"a16c8191-63a8-418c-b383-52fb532fe244\",\"name\":\"repo\",\"slug\":\"bb/org/repo\"},\"organization\":{\"id\":"
    "\"c64ed31c-115f-4400-9168-1155dae39da9\",\"name\":\"org\"}}";

/* A GitHub workflow_run, spaced and escaped as GitHub writes one (a commit message with a new line, non-ASCII text). */
static const char github[] =
    "{\n  \"action\": \"completed\",\n  \"workflow_run\": {\n    \"id\": 30433642,\n    \"name\": \"Build\",\n"
    "    \"head_branch\": \"release/2.0\",\n    \"head_sha\": \"acb5820ced9479c074f688cc328bf03f341a511d\",\n"
    "    \"status\": \"completed\",\n    \"conclusion\": \"success\",\n    \"run_attempt\": 1,\n"
    "    \"html_url\": \"https://github.com/octo-org/octo-repo/actions/runs/30433642\",\n"
    "    \"pull_requests\": [],\n    \"head_commit\": {\"message\": \"Fix the build\\n\\nSigned-off-by: J\\u00e9r\\u00f4me\","
    "\"author\": {\"name\": \"J\xc3\xa9r\xc3\xb4me \xf0\x9f\x9a\xa2\"}},\n    \"run_started_at\": \"2026-03-10T10:00:00Z\",\n"
    "    \"score\": 1.5e3, \"draft\": false, \"fork\": true, \"mirror_url\": null, \"size\": -0, \"neg\": -12\n  },\n"
    "  \"repository\": {\"id\": 1296269, \"full_name\": \"octo-org/octo-repo\", \"topics\": [\"a\", [\"b\", {\"c\": 1}]]}\n}\n";

/* The members the providers read of these, and some that are not there or go through something else. */
static const char *const paths[] = {
    "id",
    "type",
    "happened_at",
    "workflow.id",
    "workflow.status",
    "workflow.url",
    "pipeline.vcs.tag",
    "pipeline.vcs.branch",
    "pipeline.vcs.revision",
    "pipeline.number",
    "workflow_run",
    "workflow_run.id",
    "workflow_run.status",
    "workflow_run.head_sha",
    "workflow_run.mirror_url",
    "workflow_run.draft",
    "workflow_run.score",
    "workflow_run.neg",
    "repository.topics",
    "action.id",
    "workflow.name.x",
    "nothing",
};

static json_t *jansson(const char *text, size_t len)
{
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    if (j && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static bool same(const struct jsonpick_value *a, const struct jsonpick_value *b)
{
    return a->type == b->type && a->len == b->len && (a->len == 0 || memcmp(a->text, b->text, a->len) == 0);
}

/* Where the pass says yes, jansson accepts the text and reads every path alike. Returns the pass's answer. */
static bool agrees(const char *text, size_t len)
{
    struct jsonpick_value fast[ARRAY_LEN(paths)], slow[ARRAY_LEN(paths)];
    bool ok = jsonpick(text, len, paths, ARRAY_LEN(paths), fast);
    json_t *tree;

    if (!ok)
        return false;
    if (!(tree = jansson(text, len)))
        fail_msg("the pass took what jansson refuses: %.*s", (int)len, text);
    jsonpick_tree(tree, paths, ARRAY_LEN(paths), slow);
    for (size_t i = 0; i < ARRAY_LEN(paths); i++)
        if (!same(&fast[i], &slow[i]))
            fail_msg("%s: the pass read type %d \"%.*s\", jansson type %d \"%.*s\" in %.*s", paths[i], (int)fast[i].type,
                     (int)fast[i].len, fast[i].text ? fast[i].text : "", (int)slow[i].type, (int)slow[i].len,
                     slow[i].text ? slow[i].text : "", (int)len, text);
    json_decref(tree);
    return true;
}

static void test_payloads_take_the_pass(void **state)
{
    struct jsonpick_value v[ARRAY_LEN(paths)];
    (void)state;

    assert_true(agrees(circleci, strlen(circleci)));
    assert_true(agrees(github, strlen(github)));
    assert_true(jsonpick(circleci, strlen(circleci), paths, ARRAY_LEN(paths), v));
    assert_true(jsonpick_is(&v[1], "workflow-completed"));
    assert_true(jsonpick_is(&v[4], "success"));
    assert_int_equal(v[6].type, JSONPICK_ABSENT);
    assert_true(jsonpick_is(&v[7], "release/1.0"));
    assert_int_equal(v[9].type, JSONPICK_INTEGER);
    assert_int_equal(v[9].len, 3);
    assert_memory_equal(v[9].text, "130", 3);
    assert_int_equal(v[20].type, JSONPICK_ABSENT); /* through a string */
    assert_true(jsonpick(github, strlen(github), paths, ARRAY_LEN(paths), v));
    assert_int_equal(v[10].type, JSONPICK_OBJECT);
    assert_int_equal(v[11].type, JSONPICK_INTEGER);
    assert_int_equal(v[14].type, JSONPICK_NULL);
    assert_int_equal(v[15].type, JSONPICK_OTHER);
    assert_int_equal(v[16].type, JSONPICK_OTHER);
    assert_true(v[17].len == 3 && memcmp(v[17].text, "-12", 3) == 0);
    assert_int_equal(v[18].type, JSONPICK_OTHER);
    assert_int_equal(v[19].type, JSONPICK_ABSENT); /* through a string */
}

/* Texts the pass must leave to jansson (it refuses them, or reads them its own way), each with why. */
static void test_what_the_pass_leaves_to_jansson(void **state)
{
    static const struct {
        const char *text, *why;
    } cases[] = {
        {"", "nothing"},
        {"[1]", "not an object"},
        {"\"id\"", "not an object"},
        {"{\"id\": 1", "cut short"},
        {"{\"id\": 1} x", "something after it"},
        {"{\"id\": 1,}", "a trailing comma"},
        {"{id: 1}", "a name not quoted"},
        {"{\"id\": \"a\", \"id\": \"b\"}", "a name twice"},
        {"{\"a\": {\"x\": 1, \"x\": 2}}", "a name twice, deeper"},
        {"{\"i\\u0064\": \"a\", \"id\": \"b\"}", "an escaped name (jansson decodes: a name twice)"},
        {"{\"id\": \"a\\u0000b\"}", "a NUL escaped"},
        {"{\"x\": \"\\ud83d\"}", "half a surrogate pair"},
        {"{\"id\": \"a\\nb\"}", "an escape in a picked string"},
        {"{\"id\": \"a\tb\"}", "a control character"},
        {"{\"id\": \"\xc3\"}", "a character cut short"},
        {"{\"id\": \"\xc0\xaf\"}", "an overlong form"},
        {"{\"id\": \"\xed\xa0\x80\"}", "a surrogate as UTF-8"},
        {"{\"id\": 012}", "a leading zero"},
        {"{\"id\": -0}", "a picked -0 (jansson reads 0)"},
        {"{\"id\": 1.}", "a fraction without digits"},
        {"{\"id\": 1e}", "an exponent without digits"},
        {"{\"x\": 1e400}", "a real past a double"},
        {"{\"id\": 99999999999999999999}", "an integer past 64 bits"},
        {"{\"x\": +1}", "a plus sign"},
        {"{\"x\": tru}", "a word cut short"},
        {"{\"x\": True}", "a word in capitals"},
        {"\xef\xbb\xbf{\"id\": 1}", "a byte-order mark"},
        {"{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}", "deeper than the pass goes"},
    };
    struct jsonpick_value v[ARRAY_LEN(paths)];
    (void)state;

    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        if (jsonpick(cases[i].text, strlen(cases[i].text), paths, ARRAY_LEN(paths), v))
            fail_msg("the pass took %s: %s", cases[i].why, cases[i].text);
    /* A NUL byte in the text, and the text's end inside a string: the length is the text's bound, not a NUL. */
    assert_false(jsonpick("{\"id\": \"a\0b\"}", 12, paths, ARRAY_LEN(paths), v));
    assert_false(jsonpick("{\"id\": \"ab\"}", 9, paths, ARRAY_LEN(paths), v));
    /* What it takes that might look odd: an escape in a string nobody picks, spaces everywhere JSON allows them. */
    static const char *const taken[] = {"{\"x\": \"a\\nb\\u00e9\\\"\", \"id\": \"c\"}",
                                        " \t\r\n{ \"id\" : 7 , \"workflow\" : { } } \n", "{}"};
    for (size_t i = 0; i < ARRAY_LEN(taken); i++)
        if (!agrees(taken[i], strlen(taken[i])))
            fail_msg("the pass left %s to jansson", taken[i]);
}

/* A fixed sequence (an LCG): the same texts every run. */
static uint32_t next(uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 8;
}

static void test_broken_payloads(void **state)
{
    static const char bytes[] = "{}[]\",:\\ \t\n0123456789-+.eEtrufalsn\x00\x01\x7f\x80\xc3\xa9\xed\xf0\xff";
    const char *const sources[] = {circleci, github};
    char text[4096];
    uint32_t seed = 20261207;
    int taken = 0, runs = 0;
    (void)state;

    for (size_t s = 0; s < ARRAY_LEN(sources); s++) {
        size_t base = strlen(sources[s]);
        for (int i = 0; i < 20000; i++, runs++) {
            size_t len = base, at, n;
            memcpy(text, sources[s], base);
            for (int edits = 1 + (int)(next(&seed) % 3); edits > 0; edits--) {
                at = next(&seed) % len;
                switch (next(&seed) % 4) {
                case 0: /* a byte replaced */
                    text[at] = bytes[next(&seed) % (sizeof bytes - 1)];
                    break;
                case 1: /* a byte taken out */
                    memmove(text + at, text + at + 1, len - at - 1);
                    len--;
                    break;
                case 2: /* a byte put in */
                    memmove(text + at + 1, text + at, len - at);
                    text[at] = bytes[next(&seed) % (sizeof bytes - 1)];
                    len++;
                    break;
                default: /* a run repeated: a member twice, often */
                    n = 1 + next(&seed) % 40;
                    if (at + n > len || len + n > sizeof text)
                        break;
                    memmove(text + at + n, text + at, len - at);
                    len += n;
                    break;
                }
            }
            taken += agrees(text, len);
        }
    }
    /* Most breaks land in a value nobody picks and leave valid JSON; the pass must have taken some, and refused many. */
    assert_true(taken > runs / 20 && taken < runs);
}

static void test_tree_reads_as_the_pass(void **state)
{
    const char *const p[] = {"a", "a.b", "c", "d", "e"};
    struct jsonpick_value v[ARRAY_LEN(p)];
    json_t *tree = json_loads("{\"a\": {\"b\": \"x\\ny\"}, \"c\": -0, \"d\": 1.5}", 0, NULL);
    (void)state;

    /* What the pass leaves, the tree reads: the escape decoded, -0 as jansson holds it. */
    jsonpick_tree(tree, p, ARRAY_LEN(p), v);
    assert_int_equal(v[0].type, JSONPICK_OBJECT);
    assert_true(v[1].type == JSONPICK_STRING && v[1].len == 3 && memcmp(v[1].text, "x\ny", 3) == 0);
    assert_true(v[2].type == JSONPICK_INTEGER && v[2].len == 1 && v[2].text[0] == '0');
    assert_int_equal(v[3].type, JSONPICK_OTHER);
    assert_int_equal(v[4].type, JSONPICK_ABSENT);
    json_decref(tree);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_payloads_take_the_pass),
        cmocka_unit_test(test_what_the_pass_leaves_to_jansson),
        cmocka_unit_test(test_broken_payloads),
        cmocka_unit_test(test_tree_reads_as_the_pass),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
