/*
 * A request's session: its cookie opened by sessiond, the answer checked
 * against the policy, and the identity headers that follow from it.
 */
#ifndef GH_AUTH_H
#define GH_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>

#include "imsg.h"

struct conn;

enum auth_state {
	AUTH_NONE,		/* no session (none sent, or sessiond said no) */
	AUTH_OK,		/* a session, not yet checked against policy */
	AUTH_UNAVAILABLE,	/* sessiond did not answer: fail closed */
	AUTH_FORBIDDEN,		/* a bad bearer token, without fallback */
};

/* What the session says, copied out of sessiond's answer. */
struct identity {
	char	*user;
	char	*email;
	char	*preferred_username;
	char	**groups;
	size_t	 ngroups;
	char	*id_token;
	char	*access_token;
	int64_t	 expires_on;	/* the access token's, 0 when unknown */
	int	 refs;		/* shared by requests and auth_cache.c */
};

typedef void	(*auth_done_fn)(struct conn *);

/*
 * Looks up the request's session; done() follows with c->auth set, at
 * once when there is no cookie, else when sessiond (and, for a session
 * due for refresh, authd) answered.
 */
void	auth_session(struct conn *, auth_done_fn);
struct claims;
struct identity	*identity_new(const struct claims *);
void	identity_free(struct identity *);	/* drops one reference */

/*
 * auth_cache.c: identities of recently opened cookies.  get returns a
 * new reference, or NULL; put keeps one of its own.
 */
struct identity	*auth_cache_get(const char *cookie, size_t len);
void		 auth_cache_put(const char *cookie, size_t len,
		    struct identity *, int64_t refresh_due);

/* The value of cookie name, its parts joined; 0 absent, -1 bad. */
int	auth_cookie(const struct conn *, const char *name, char *out,
	    size_t len);

/* Before the sandbox: authenticated_emails_file. */
struct config;
void	auth_policy_init(const struct config *);

/*
 * The policy: email_domains or authenticated_emails_file, and
 * allowed_groups; 1 when allowed.
 */
int	auth_allowed(const struct identity *);
/* P/auth's query constraints (allowed_groups, allowed_emails, ...). */
int	auth_query_allows(const char *query, const struct identity *);

/* Identity headers: to the upstream, and on the answer to the client. */
void	auth_headers_upstream(struct evbuffer *, const struct identity *);
void	auth_headers_response(struct evbuffer *, const struct identity *);
int	auth_sets_authorization(void);

/* P/userinfo's JSON. */
void	auth_userinfo_json(struct evbuffer *, const struct identity *);

#endif /* GH_AUTH_H */
