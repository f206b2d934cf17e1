/*
 * What a session says about its user, as it travels from sessiond to a
 * worker, and the messages that carry it.  A worker gets tokens only when
 * its config needs them in a header, and never a refresh token.
 */
#ifndef GH_CLAIMS_H
#define GH_CLAIMS_H

#include <stddef.h>
#include <stdint.h>

#include "imsg.h"

#define CLAIMS_WANT_ID_TOKEN		0x01
#define CLAIMS_WANT_ACCESS_TOKEN	0x02

#define CLAIMS_MAX_GROUPS	256
#define CLAIMS_COOKIE_MAX	(IMSG_MAX_BODY - 64)

/* Why a session did not open (0: it did). */
enum claims_result {
	CLAIMS_OK = 0,
	CLAIMS_NONE,		/* no such session: bad, forged, wrong key */
	CLAIMS_EXPIRED,
	CLAIMS_MALFORMED,
	CLAIMS_ERROR,		/* sessiond could not answer */
};

/* Strings are "" when absent, never NULL. */
struct claims {
	const char	*user;
	const char	*email;
	const char	*preferred_username;
	const char	*groups[CLAIMS_MAX_GROUPS];
	size_t		 ngroups;
	int64_t		 created_at;
	int64_t		 expires_on;
	int64_t		 refresh_due;
	const char	*id_token;
	const char	*access_token;
};

const char	*claims_result_name(uint32_t);

/* IMSG_SESSION_OPEN body: u32 wants (CLAIMS_WANT_*), string cookie value. */
int	claims_compose_open(struct imsg_out *, uint64_t id, uint32_t wants,
	    const char *cookie);
int	claims_parse_open(struct imsg_in *, uint32_t *wants,
	    const char **cookie);

/*
 * IMSG_SESSION_CLAIMS body: u32 result; when CLAIMS_OK: strings user,
 * email, preferred_username; u32 n then n group strings; u64 created_at,
 * expires_on, refresh_due; strings id_token, access_token ("" unless
 * wanted).  Parsed strings point into the message: copy what you keep.
 */
int	claims_compose(struct imsg_out *, uint64_t id, uint32_t result,
	    const struct claims *);
int	claims_parse(struct imsg_in *, uint32_t *result, struct claims *);

/* The claims fields alone, for messages that carry claims among others. */
void	claims_add(struct imsg_out *, const struct claims *);
int	claims_get(struct imsg_in *, struct claims *);

#endif /* GH_CLAIMS_H */
