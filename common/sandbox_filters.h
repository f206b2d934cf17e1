/*
 * Internal to the sandbox: the seccomp allowlists of the roles, built as
 * libseccomp filters.  Only sandbox.c and its tests include this.
 */
#ifndef GH_SANDBOX_FILTERS_H
#define GH_SANDBOX_FILTERS_H

#include <stdint.h>
#include <seccomp.h>

#include "gatehouse.h"

/*
 * The role's allowlist, not loaded yet; any other syscall gets defaction.
 * Fatal when the role has no allowlist or libseccomp refuses a rule.
 */
scmp_filter_ctx	sandbox_filter_build(enum gh_role, uint32_t defaction);

#endif /* GH_SANDBOX_FILTERS_H */
