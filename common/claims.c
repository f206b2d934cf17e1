/*
 * The session messages between workers and sessiond.
 */
#include <string.h>

#include "claims.h"

static const char *const result_names[] = {
	[CLAIMS_OK] = "ok",
	[CLAIMS_NONE] = "no session",
	[CLAIMS_EXPIRED] = "expired",
	[CLAIMS_MALFORMED] = "malformed",
	[CLAIMS_ERROR] = "error",
};

const char *
claims_result_name(uint32_t r)
{
	if (r >= sizeof(result_names) / sizeof(result_names[0]))
		return "unknown";
	return result_names[r];
}

int
claims_compose_open(struct imsg_out *m, uint64_t id, uint32_t wants,
    const char *cookie)
{
	imsg_compose(m, IMSG_SESSION_OPEN, id);
	imsg_add_u32(m, wants);
	imsg_add_string(m, cookie);
	return imsg_close(m);
}

int
claims_parse_open(struct imsg_in *in, uint32_t *wants, const char **cookie)
{
	if (imsg_get_u32(in, wants) == -1 || imsg_get_string(in, cookie) == -1 ||
	    imsg_end(in) == -1)
		return -1;
	return 0;
}

void
claims_add(struct imsg_out *m, const struct claims *c)
{
	size_t	i;

	imsg_add_string(m, c->user);
	imsg_add_string(m, c->email);
	imsg_add_string(m, c->preferred_username);
	imsg_add_u32(m, (uint32_t)c->ngroups);
	for (i = 0; i < c->ngroups; i++)
		imsg_add_string(m, c->groups[i]);
	imsg_add_u64(m, (uint64_t)c->created_at);
	imsg_add_u64(m, (uint64_t)c->expires_on);
	imsg_add_u64(m, (uint64_t)c->refresh_due);
	imsg_add_string(m, c->id_token);
	imsg_add_string(m, c->access_token);
}

int
claims_compose(struct imsg_out *m, uint64_t id, uint32_t result,
    const struct claims *c)
{
	imsg_compose(m, IMSG_SESSION_CLAIMS, id);
	imsg_add_u32(m, result);
	if (result == CLAIMS_OK)
		claims_add(m, c);
	return imsg_close(m);
}

static int
get_time(struct imsg_in *in, int64_t *t)
{
	uint64_t	v;

	if (imsg_get_u64(in, &v) == -1)
		return -1;
	*t = (int64_t)v;
	return 0;
}

int
claims_get(struct imsg_in *in, struct claims *c)
{
	uint32_t	n, i;

	memset(c, 0, sizeof(*c));
	if (imsg_get_string(in, &c->user) == -1 ||
	    imsg_get_string(in, &c->email) == -1 ||
	    imsg_get_string(in, &c->preferred_username) == -1 ||
	    imsg_get_u32(in, &n) == -1 || n > CLAIMS_MAX_GROUPS)
		return -1;
	for (i = 0; i < n; i++)
		if (imsg_get_string(in, &c->groups[i]) == -1)
			return -1;
	c->ngroups = n;
	if (get_time(in, &c->created_at) == -1 ||
	    get_time(in, &c->expires_on) == -1 ||
	    get_time(in, &c->refresh_due) == -1 ||
	    imsg_get_string(in, &c->id_token) == -1 ||
	    imsg_get_string(in, &c->access_token) == -1)
		return -1;
	return 0;
}

int
claims_parse(struct imsg_in *in, uint32_t *result, struct claims *c)
{
	memset(c, 0, sizeof(*c));
	if (imsg_get_u32(in, result) == -1)
		return -1;
	if (*result == CLAIMS_OK && claims_get(in, c) == -1)
		return -1;
	return imsg_end(in);
}
