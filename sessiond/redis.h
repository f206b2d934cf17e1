/*
 * Redis for sessiond: connections that sessiond's own libevent loop
 * drives (plain TCP, unix sockets, TLS through libevent_openssl), the
 * protocol written with hiredis's command formatter and read with its
 * reply reader only (Debian 12's hiredis has neither TLS, Sentinel nor
 * Cluster, and its own I/O would block).  Three modes behind one API:
 * standalone, Sentinel (the master found through the sentinels, followed
 * across a failover) and Cluster (slot map, MOVED and ASK).
 *
 * Nothing here ever blocks the loop.  Every command has a deadline;
 * when Redis is unreachable commands fail at once (fail closed), and
 * the client reconnects with backoff on its own.
 */
#ifndef GH_REDIS_H
#define GH_REDIS_H

#include <stddef.h>

#include <hiredis/hiredis.h>

struct event_base;
struct redis;

enum redis_mode {
	REDIS_STANDALONE,
	REDIS_SENTINEL,
	REDIS_CLUSTER,
};

/* From the config keys of the same names. */
struct redis_opts {
	enum redis_mode		 mode;
	const char		*url;		/* redis_connection_url */
	const char *const	*sentinel_urls;	/* redis_sentinel_connection_urls */
	size_t			 nsentinel_urls;
	const char		*master_name;	/* redis_sentinel_master_name */
	const char		*sentinel_password;
	const char *const	*cluster_urls;	/* redis_cluster_connection_urls */
	size_t			 ncluster_urls;
	const char		*username;	/* overrides the URLs' */
	const char		*password;	/* overrides the URLs' */
	const char		*ca_path;	/* redis_ca_path */
	int			 insecure_skip_verify;
	int			 idle_timeout_sec;	/* 0: keep connections */
	int			 command_timeout_ms;	/* e.g. 2000 */
};

/*
 * reply is NULL when the command failed without an answer (not
 * connected, timed out, connection lost, MOVED followed too often...);
 * then error says why.  A Redis error reply (REDIS_REPLY_ERROR) is a
 * reply.  reply is freed when the callback returns.
 */
typedef void	(*redis_reply_fn)(void *arg, const redisReply *reply,
		    const char *error);

/* Called from the loop when the client becomes usable (1) or not (0). */
typedef void	(*redis_state_fn)(void *arg, int up);

/*
 * Before the sandbox: checks the URLs, reads the CA file, resolves host
 * names (or keeps a resolver that works in the sandbox), and starts
 * connecting.  NULL with err set on a config error.  Secrets in opts are
 * copied; the caller may wipe its copies.
 */
struct redis	*redis_new(struct event_base *, const struct redis_opts *,
		    redis_state_fn, void *arg, char *err, size_t errlen);
void		 redis_free(struct redis *);
int		 redis_up(const struct redis *);

/*
 * Sends one command (argc arguments, binary-safe) about key (used to pick
 * the Cluster node; the key must also be one of the arguments).  done is
 * called exactly once, from the loop, never from inside redis_command.
 * Returns 0, or -1 when it cannot even be queued (then done is not called).
 */
int	redis_command(struct redis *, const char *key, size_t keylen,
	    redis_reply_fn done, void *arg, int argc, const char **argv,
	    const size_t *argvlen);

#endif /* GH_REDIS_H */
