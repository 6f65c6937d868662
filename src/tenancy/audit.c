#include "tenancy/audit.h"

#include "core/clock.h"
#include "core/rand.h"
#include "tenancy/roles.h"

enum err_code audit_write(struct store_conn *c, const struct request *req, const struct audit_event *ev, struct err *err)
{
    char id[UUID_SIZE], now[TIMESTAMP_SIZE];
    const char *actor_id = ev->actor_id, *actor_email = ev->actor_email;
    char *details = ev->details ? json_dumps(ev->details, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    enum err_code rc;

    if (!actor_id && !actor_email && req && principal_of(req)->authenticated)
        actor_id = principal_of(req)->account_id; /* the e-mail: the account's, looked up by the insert */
    rand_uuid(id);
    clock_now(now);
    rc = store_run(
        c,
        "INSERT INTO audit_logs (id, tenantId, actorAccountId, actorEmail, action, targetType, targetId, outcome, "
        "details, ip, userAgent, requestId, createdAt) VALUES (?, ?, ?, COALESCE(?, (SELECT email FROM accounts WHERE id = ?)), "
        "?, ?, ?, ?, ?, ?, ?, ?, ?)",
        STORE_ARGS(STORE_TEXT(id), STORE_TEXT(ev->tenant_id), STORE_TEXT(actor_id), STORE_TEXT(actor_email), STORE_TEXT(actor_id),
                   STORE_TEXT(ev->action), STORE_TEXT(ev->target_type), STORE_TEXT(ev->target_id),
                   STORE_TEXT(ev->failed ? "failure" : "success"), STORE_TEXT(details), STORE_TEXT(req ? req->ip : NULL),
                   STORE_TEXT(req ? req->user_agent : NULL), STORE_TEXT(req ? req->id : NULL), STORE_TIME(now)),
        NULL, err);
    free(details);
    return rc;
}
