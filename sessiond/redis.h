/*
 * Redis for sessiond: connections that sessiond's own libevent loop
 * drives (plain TCP, unix sockets, TLS through libevent_openssl), the
 * protocol written with hiredis's command formatter and read with its
 * reply reader only (Debian 12's hiredis has neither TLS, Sentinel nor
 * Cluster, and its own I/O would block).  Three modes behind one API:
 * standalone, Sentinel (the master found through the sentinels, followed
 * across a failover: redis_sentinel.c) and Cluster (slot map, MOVED and
 * ASK: redis_cluster.c), both built on redis_conn.h.
 *
 * Nothing here ever blocks the loop.  Every command has a deadline;
 * when Redis is unreachable commands fail at once (fail closed), and
 * the client reconnects with backoff on its own.
 *
 * redis_connection_idle_timeout: a connection without a command for that
 * long is closed, and opened again by the next command, which waits for
 * it within its deadline (go-redis's ConnMaxIdleTime, which oauth2-proxy
 * sets from it).  The client stays "up" meanwhile.  0 keeps connections
 * open; one Redis itself closes for idleness (its "timeout") is opened
 * again at once, also without going down.
 *
 * TLS: rediss://, and also redis:// when redis_ca_path or
 * insecure_skip_verify is set (oauth2-proxy then gives go-redis a TLS
 * config, which turns TLS on); never on unix sockets, where Redis has
 * none.  The certificate is checked against the system's CAs and
 * redis_ca_path, and its name against the URL's host (an IP address
 * against its IP SANs); insecure_skip_verify, or ?skip_verify=true on a
 * rediss:// URL, turns that off.
 */
#ifndef GH_REDIS_H
#define GH_REDIS_H

#include <stddef.h>

#include <hiredis/hiredis.h>

#define REDIS_COMMAND_TIMEOUT_MS	3000	/* go-redis's read timeout */

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
	int			 command_timeout_ms;	/* 0: default */
	/*
	 * Where host names are looked up: NULL for /etc/resolv.conf and
	 * /etc/hosts.  Read by redis_new, and only when a host is a name.
	 */
	const char		*resolv_conf;
	const char		*hosts;
};

/*
 * reply is NULL when the command failed without an answer ("not
 * connected", "timeout: ...", "connection closed by the server"...);
 * then error says why.  A Redis error reply (REDIS_REPLY_ERROR) is a
 * reply.  reply is freed when the callback returns.
 */
typedef void	(*redis_reply_fn)(void *arg, const redisReply *reply,
		    const char *error);

/* Called from the loop when the client becomes usable (1) or not (0). */
typedef void	(*redis_state_fn)(void *arg, int up);

/*
 * Before the sandbox: checks the URLs, reads the CA file, opens a
 * resolver that works in the sandbox when a host is a name, and starts
 * connecting (from the loop: the client is down until then).  NULL with
 * err set on a config error; err never quotes a password.  Secrets in
 * opts are copied; the caller may wipe its copies.
 */
struct redis	*redis_new(struct event_base *, const struct redis_opts *,
		    redis_state_fn, void *arg, char *err, size_t errlen);
/*
 * Drops pending commands without calling them back.  Not from inside a
 * callback of this client.  With a resolver, as resolve_free says: run
 * the loop once more before freeing the event base.
 */
void		 redis_free(struct redis *);
int		 redis_up(const struct redis *);
/* Why the client last failed, for a log line ("" if it never did). */
const char	*redis_error(const struct redis *);

/*
 * Sends one command (argc arguments, binary-safe) about key (used to pick
 * the Cluster node; the key must also be one of the arguments).  done is
 * called exactly once, from the loop, never from inside redis_command
 * (unless redis_free comes first).  Returns 0, or -1 when it cannot even
 * be queued (then done is not called): no argument, out of memory, or
 * too many commands or bytes waiting (REDIS_CONN_PENDING_MAX,
 * REDIS_CONN_OUTPUT_MAX in redis_conn.h).  Callbacks may send commands.
 */
int	redis_command(struct redis *, const char *key, size_t keylen,
	    redis_reply_fn done, void *arg, int argc, const char **argv,
	    const size_t *argvlen);

#endif /* GH_REDIS_H */
