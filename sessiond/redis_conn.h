/*
 * What the Redis modes of redis.c share, and what the Sentinel and
 * Cluster code build on: the URL parser, an environment (the loop, a
 * resolver, a TLS context) and one connection to one server.
 *
 * A connection (struct redis_conn) goes to one host and port, or one
 * unix socket, and keeps itself connected: it resolves the host at each
 * attempt, connects (TCP, TLS through libevent_openssl, or a unix
 * socket), sends AUTH and SELECT and a PING, and counts as up only once
 * all three are answered.  Commands are pipelined: their callbacks wait
 * in a FIFO, matched to the replies in order.  Every command has a
 * deadline; one not answered in time fails with "timeout" and drops the
 * connection, since later replies could no longer be matched.  A lost
 * connection fails every pending command at once; the connection then
 * retries with a jittered exponential backoff (REDIS_BACKOFF_MIN_MS
 * doubling to REDIS_BACKOFF_MAX_MS) and reports the up and down
 * transitions through its state callback.  While it is down, commands
 * fail at once ("not connected"), their callbacks made from the loop.
 *
 * Two cases keep the connection "up" across a reconnection, so a command
 * sent meanwhile waits for it (within its deadline) instead of failing:
 * a connection closed after idle_timeout_sec without commands (it
 * reconnects when the next command comes), and one the server closed
 * while no command was pending after at least REDIS_CONN_STABLE_MS up
 * (Redis's own "timeout" setting; it reconnects at once).  If that
 * reconnection fails, the connection goes down as any other.
 *
 * Callbacks are made from the loop only, never from inside
 * redis_conn_command.  A callback may send commands and may free its own
 * connection (redis_conn_free); it must not free the environment.
 */
#ifndef GH_REDIS_CONN_H
#define GH_REDIS_CONN_H

#include <limits.h>
#include <stdint.h>

#include "redis.h"
#include "redis_url.h"

#define REDIS_ERROR_MAX		256	/* an error phrase */
#define REDIS_IDLE_MAX_SEC	86400	/* idle_timeout_sec */

#define REDIS_CONN_PENDING_MAX	10000	/* commands waiting for an answer */
#define REDIS_CONN_OUTPUT_MAX	(32 * 1024 * 1024) /* bytes not yet sent */
#define REDIS_CONN_INPUT_MAX	(8 * 1024 * 1024) /* a reply not yet whole */
#define REDIS_CONN_ARRAY_MAX	(1024 * 1024)	/* elements of one array */
#define REDIS_CONN_STABLE_MS	1000
#define REDIS_BACKOFF_MIN_MS	100
#define REDIS_BACKOFF_MAX_MS	5000

struct event_base;
struct redis_env;
struct redis_conn;

/*
 * The environment of a client's connections, made before the sandbox:
 * a resolver when some host is a name (it reads resolv.conf and the hosts
 * file now), a TLS context when some connection uses TLS (the CA file,
 * and the system's CA bundle, as oauth2-proxy appends redis_ca_path to
 * the system pool, are read now; verification, host name included, is on
 * unless insecure_skip_verify).
 */
struct redis_env_opts {
	int		 resolver;	/* some host is a name */
	const char	*resolv_conf;	/* NULL: /etc/resolv.conf */
	const char	*hosts;		/* NULL: /etc/hosts */
	long		 resolve_timeout_ms;
	int		 tls;		/* some connection uses TLS */
	const char	*ca_path;	/* NULL: the system's CAs only */
	int		 insecure_skip_verify;
};

struct redis_env	*redis_env_new(struct event_base *,
			    const struct redis_env_opts *, char *err,
			    size_t errlen);
/*
 * After every connection made with it.  The resolver is freed as
 * resolve_free says: run the loop once more before freeing the base.
 */
void			 redis_env_free(struct redis_env *);

/*
 * A pub/sub message (an array "message", channel, payload, or
 * "pmessage", pattern, channel, payload) on a connection that has a push
 * callback; the reply is freed when it returns.  Other replies, the
 * answers to SUBSCRIBE included, go to the commands' callbacks: send
 * SUBSCRIBE with one channel at a time, since each channel is answered
 * with its own reply.
 */
typedef void	(*redis_push_fn)(void *arg, const redisReply *);

struct redis_conn_opts {
	const char	*host;		/* name, address, or socket path */
	int		 port;
	int		 local;		/* host is a unix socket's path */
	int		 tls;		/* the environment must have TLS */
	const char	*username;	/* NULL or "": AUTH password */
	const char	*password;	/* NULL or "": no AUTH */
	int		 db;		/* 0: no SELECT */
	int		 command_timeout_ms;
	int		 connect_timeout_ms;	/* look-up to PING answered */
	int		 idle_timeout_sec;	/* 0: keep the connection */
	const char	*role;		/* for log lines: "redis", "sentinel" */
	redis_state_fn	 state;		/* may be NULL */
	redis_push_fn	 push;		/* NULL: no pub/sub */
	void		*arg;		/* of state and push */
};

/*
 * Copies opts (the password too: wipe yours when you like) and starts
 * connecting from the loop; the connection is down until the first
 * attempt succeeds.  A connection with a push callback never counts as
 * up across a reconnection and is never closed for idleness: its owner
 * subscribes again on each "up".  NULL with err set on a bad option.
 */
struct redis_conn	*redis_conn_new(struct redis_env *,
			    const struct redis_conn_opts *, char *err,
			    size_t errlen);
/* Pending commands are dropped without their callbacks. */
void			 redis_conn_free(struct redis_conn *);

/*
 * Sends one command (binary-safe arguments).  done is called exactly
 * once, from the loop, unless the connection is freed first.  Returns -1
 * without calling done when the command cannot be queued: no argument,
 * out of memory, REDIS_CONN_PENDING_MAX commands pending, or
 * REDIS_CONN_OUTPUT_MAX bytes not yet sent.
 */
int			 redis_conn_command(struct redis_conn *,
			    redis_reply_fn done, void *arg, int argc,
			    const char **argv, const size_t *argvlen);
/* 1 when commands are accepted (see above), else 0. */
int			 redis_conn_up(const struct redis_conn *);
/* Why the connection last failed ("" when it never did). */
const char		*redis_conn_error(const struct redis_conn *);
/* "host:port", "[::1]:port" or the socket's path, for log lines. */
const char		*redis_conn_addr(const struct redis_conn *);

/*
 * Connection options from a URL, its user and password overridden by
 * username and password when they are not empty (oauth2-proxy's rule).
 * The strings stay the URL's and the caller's: keep them until
 * redis_conn_new has copied them.  Fills role, timeouts and callbacks
 * with zeros: set them after.
 */
void			 redis_conn_opts_url(struct redis_conn_opts *,
			    const struct redis_url *, const char *username,
			    const char *password);

/* The clock (CLOCK_MONOTONIC, ms) and timers of every Redis file. */
struct event;
int64_t	redis_now_ms(void);
void	redis_timer(struct event *, int64_t ms);	/* ms < 0: at once */

#endif /* GH_REDIS_CONN_H */
