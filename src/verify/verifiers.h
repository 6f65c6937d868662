/*
 * verifiers.h: one step function per integration type (the protocol of
 * each provider, docs/verification.md). The catalog names them in its
 * provider table.
 */
#ifndef SLIPWAY_VERIFIERS_H
#define SLIPWAY_VERIFIERS_H

#include "verify/verify.h"

void verify_github(struct verification *v, const struct outbound_response *res);
void verify_gitlab(struct verification *v, const struct outbound_response *res);
void verify_bitbucket(struct verification *v, const struct outbound_response *res);
void verify_gitea(struct verification *v, const struct outbound_response *res);
void verify_app_store(struct verification *v, const struct outbound_response *res);
void verify_play_store(struct verification *v, const struct outbound_response *res);
void verify_firebase(struct verification *v, const struct outbound_response *res);
void verify_jenkins(struct verification *v, const struct outbound_response *res);
void verify_github_actions(struct verification *v, const struct outbound_response *res);
void verify_gitlab_ci(struct verification *v, const struct outbound_response *res);
void verify_circleci(struct verification *v, const struct outbound_response *res);
void verify_slack(struct verification *v, const struct outbound_response *res);
void verify_teams(struct verification *v, const struct outbound_response *res);
void verify_email(struct verification *v, const struct outbound_response *res);
void verify_jira(struct verification *v, const struct outbound_response *res);
void verify_linear(struct verification *v, const struct outbound_response *res);
void verify_azure_devops(struct verification *v, const struct outbound_response *res);
void verify_test_rail(struct verification *v, const struct outbound_response *res);
void verify_code_signing(struct verification *v, const struct outbound_response *res);

#endif
