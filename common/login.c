/*
 * The sign-in messages (see login.h).
 */
#include <string.h>

#include "login.h"

static const char *const result_names[LOGIN_NRESULTS] = {
	[LOGIN_OK] = "ok",
	[LOGIN_UNAVAILABLE] = "identity provider unavailable",
	[LOGIN_CSRF] = "no valid CSRF cookie",
	[LOGIN_STATE] = "state mismatch",
	[LOGIN_IDP_ERROR] = "identity provider error",
	[LOGIN_TOKEN] = "invalid ID token",
	[LOGIN_UNVERIFIED] = "email not verified",
	[LOGIN_NO_SESSION] = "no session",
	[LOGIN_ERROR] = "internal error",
};

const char *
login_result_name(uint32_t r)
{
	return r < LOGIN_NRESULTS ? result_names[r] : "unknown";
}

int
login_compose_done(struct imsg_out *m, uint64_t id, const struct login_done *d)
{
	imsg_compose(m, IMSG_LOGIN_DONE, id);
	imsg_add_u32(m, d->result);
	imsg_add_string(m, d->message != NULL ? d->message : "");
	if (d->result == LOGIN_OK) {
		imsg_add_string(m, d->rd);
		imsg_add_string(m, d->cookie);
		imsg_add_u64(m, (uint64_t)d->cookie_expires);
		claims_add(m, &d->claims);
	}
	return imsg_close(m);
}

int
login_parse_done(struct imsg_in *in, struct login_done *d)
{
	uint64_t	exp;

	memset(d, 0, sizeof(*d));
	if (imsg_get_u32(in, &d->result) == -1 || d->result >= LOGIN_NRESULTS ||
	    imsg_get_string(in, &d->message) == -1)
		return -1;
	if (d->result == LOGIN_OK) {
		if (imsg_get_string(in, &d->rd) == -1 ||
		    imsg_get_string(in, &d->cookie) == -1 ||
		    imsg_get_u64(in, &exp) == -1 ||
		    claims_get(in, &d->claims) == -1)
			return -1;
		d->cookie_expires = (int64_t)exp;
	}
	return imsg_end(in);
}

int
login_compose_strings(struct imsg_out *m, uint32_t type, uint64_t id,
    const char *const *v, size_t n)
{
	size_t	i;

	imsg_compose(m, type, id);
	for (i = 0; i < n; i++)
		imsg_add_string(m, v[i] != NULL ? v[i] : "");
	return imsg_close(m);
}

int
login_parse_strings(struct imsg_in *in, const char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (imsg_get_string(in, &v[i]) == -1)
			return -1;
	return imsg_end(in);
}

int
login_compose_result(struct imsg_out *m, uint32_t type, uint64_t id,
    uint32_t result, const char *const *v, size_t n)
{
	size_t	i;

	imsg_compose(m, type, id);
	imsg_add_u32(m, result);
	for (i = 0; i < n; i++)
		imsg_add_string(m, v[i] != NULL ? v[i] : "");
	return imsg_close(m);
}

int
login_parse_result(struct imsg_in *in, uint32_t *result, const char **v,
    size_t n)
{
	if (imsg_get_u32(in, result) == -1)
		return -1;
	return login_parse_strings(in, v, n);
}
