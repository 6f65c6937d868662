#include "tenancy/roles.h"

static const char *const role_names[] = {
    [ROLE_PUBLIC] = "public", [ROLE_ACCOUNT] = "account", [ROLE_VIEWER] = "viewer",
    [ROLE_EDITOR] = "editor", [ROLE_OWNER] = "owner",
};

const char *role_name(enum role r)
{
    return (unsigned)r < ARRAY_LEN(role_names) ? role_names[r] : "public";
}

enum role role_parse(const char *s)
{
    for (int r = ROLE_VIEWER; r <= ROLE_OWNER; r++)
        if (s && strcmp(s, role_names[r]) == 0)
            return (enum role)r;
    return ROLE_PUBLIC;
}

const char *access_name(int access)
{
    if (access == ACCESS_WEBHOOK)
        return "webhook";
    if (access == ACCESS_ADMIN)
        return "admin";
    return role_name(access == ACCESS_PUBLIC_OR_ACCOUNT ? ROLE_PUBLIC : (enum role)access);
}

const struct principal *principal_of(const struct request *req)
{
    static const struct principal nobody;
    return req->principal ? req->principal : &nobody;
}

struct principal *principal_new(struct request *req)
{
    struct principal *who = arena_alloc(req->arena, sizeof *who);
    req->principal = who;
    req->tenant_id = who->tenant_id;
    req->account_id = who->account_id;
    return who;
}
