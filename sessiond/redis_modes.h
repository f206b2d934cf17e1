/*
 * The Sentinel and Cluster modes of sessiond's Redis client (redis.h),
 * each built on redis_conn.h.  redis.c parses the URLs and makes the
 * environment, then hands them to a mode, which owns its connections and
 * answers redis_command, redis_up and redis_error for the client.
 *
 * Which options come from where, as oauth2-proxy (go-redis's
 * FailoverClient and ClusterClient) has them: the user name, password
 * and TLS of the data nodes are those of the last URL of the list,
 * overridden by redis_username and redis_password; the db of the URLs is
 * not used (always 0).  Sentinels are sent AUTH with
 * redis_sentinel_password only, without a user name.  Everything is
 * reached over TCP (unix:// URLs are refused, as go-redis dials TCP).
 */
#ifndef GH_REDIS_MODES_H
#define GH_REDIS_MODES_H

#include <stddef.h>

#include "redis_conn.h"

#define REDIS_MODE_URLS_MAX	64	/* sentinel or seed URLs */

struct event_base;
struct redis_sentinel;
struct redis_cluster;

struct redis_mode_opts {
	struct event_base	*base;
	struct redis_env	*env;	/* outlives the mode */
	const struct redis_url	*urls;	/* sentinels, or seed nodes */
	size_t			 nurls;
	int			 tls;	/* every connection uses TLS */
	const char		*username;	/* data nodes; NULL or "" */
	const char		*password;	/* data nodes; NULL or "" */
	const char		*master_name;	/* Sentinel */
	const char		*sentinel_password;	/* NULL or "" */
	int			 command_timeout_ms;
	int			 idle_timeout_sec;
	redis_state_fn		 state;		/* may be NULL */
	void			*arg;
};

/*
 * Sentinel: the master named master_name, as the sentinels (asked in
 * turn) report it, checked with ROLE, followed on +switch-master.
 * Secrets are copied.  NULL with err set.
 */
struct redis_sentinel	*redis_sentinel_new(const struct redis_mode_opts *,
			    char *err, size_t errlen);
void			 redis_sentinel_free(struct redis_sentinel *);
int			 redis_sentinel_up(const struct redis_sentinel *);
const char		*redis_sentinel_error(const struct redis_sentinel *);
int			 redis_sentinel_command(struct redis_sentinel *,
			    redis_reply_fn, void *, int argc, const char **argv,
			    const size_t *argvlen);

/*
 * Cluster: a slot map from CLUSTER SLOTS, a connection per node, MOVED
 * and ASK followed.  Secrets are copied.  NULL with err set.
 */
struct redis_cluster	*redis_cluster_new(const struct redis_mode_opts *,
			    char *err, size_t errlen);
void			 redis_cluster_free(struct redis_cluster *);
int			 redis_cluster_up(const struct redis_cluster *);
const char		*redis_cluster_error(const struct redis_cluster *);
int			 redis_cluster_command(struct redis_cluster *,
			    const char *key, size_t keylen, redis_reply_fn,
			    void *, int argc, const char **argv,
			    const size_t *argvlen);
/* The slot of a key, hash tags as Redis reads them. */
unsigned int		 redis_cluster_slot(const char *key, size_t keylen);

#endif /* GH_REDIS_MODES_H */
