/*
 * Redis URLs (redis_connection_url and the Sentinel and Cluster lists),
 * parsed by sessiond to connect and by the parent for `gatehouse -n`.
 */
#ifndef GH_REDIS_URL_H
#define GH_REDIS_URL_H

#include <limits.h>
#include <stddef.h>

#define REDIS_PORT_DEFAULT	6379
#define REDIS_HOST_MAX		253	/* a host name, as RESOLVE_HOST_MAX */
#define REDIS_PATH_MAX		107	/* a socket's path: sun_path less NUL */
#define REDIS_CRED_MAX		1024	/* a user name or a password */
#define REDIS_DB_MAX		INT_MAX	/* Redis's own bound on "databases" */

/*
 * A connection URL, as go-redis's ParseURL reads it (oauth2-proxy's
 * parser):
 *	redis://[user[:password]@]host[:port][/db][?db=N]
 *	rediss://... (TLS)
 *	unix://[user[:password]@]/path/to.sock[?db=N], also unix:/path
 * User and password are percent-decoded; an IPv6 address goes in
 * brackets; the host defaults to localhost and the port to 6379.  "db"
 * in the query wins over the path, as in go-redis.  go-redis's other
 * query options (dial_timeout, pool_size...) are accepted when their
 * value is well formed, and ignored; "skip_verify" turns off certificate
 * verification of rediss://.  Anything else is an error.
 */
struct redis_url {
	int	 tls;		/* rediss:// */
	int	 local;		/* unix://: host is the socket's path */
	char	 host[REDIS_HOST_MAX + 1];	/* no brackets */
	int	 port;		/* 0 for unix:// */
	int	 db;
	int	 skip_verify;	/* ?skip_verify=true */
	char	*username;	/* NULL when the URL has none */
	char	*password;	/* NULL when the URL has none */
};

/*
 * Fills u, which the caller frees with redis_url_clear (also after a
 * failure).  -1 with err set, which never quotes the password.
 */
int	redis_url_parse(const char *, struct redis_url *u, char *err,
	    size_t errlen);
/* Wipes the password and frees what the URL holds. */
void	redis_url_clear(struct redis_url *);

#endif /* GH_REDIS_URL_H */
