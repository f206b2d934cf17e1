/*
 * sessiond's Redis client (see redis.h): the configuration turned into
 * an environment and connections, and commands routed to them.  The
 * standalone mode is here; Sentinel (redis_sentinel.c) and Cluster
 * (redis_cluster.c) get their URLs parsed and their environment from
 * here, and answer for the client (redis_modes.h).
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "redis.h"
#include "redis_conn.h"
#include "redis_modes.h"

struct redis {
	enum redis_mode		 mode;
	struct redis_env	*env;
	struct redis_conn	*conn;		/* standalone */
	struct redis_sentinel	*sentinel;
	struct redis_cluster	*cluster;
	redis_state_fn		 state_fn;
	void			*arg;
};

static void
redis_state_cb(void *arg, int up)
{
	struct redis	*r = arg;

	if (r->state_fn != NULL)
		r->state_fn(r->arg, up);
}

static int
redis_is_address(const char *host)
{
	unsigned char	buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 ||
	    inet_pton(AF_INET6, host, buf) == 1;
}

/*
 * TLS as oauth2-proxy has it: rediss://, or a CA file or
 * insecure_skip_verify, which give go-redis a TLS config even for
 * redis://.
 */
static int
redis_wants_tls(const struct redis_opts *o, const struct redis_url *u)
{
	if (u->local)
		return 0;
	if (!u->tls && (o->ca_path != NULL || o->insecure_skip_verify))
		log_info("redis: redis_ca_path or insecure_skip_verify is set: "
		    "TLS to %s, as oauth2-proxy does", u->host);
	return u->tls || o->ca_path != NULL || o->insecure_skip_verify;
}

static int
redis_standalone(struct redis *r, struct event_base *base,
    const struct redis_opts *o, char *err, size_t errlen)
{
	struct redis_env_opts	 eo;
	struct redis_conn_opts	 co;
	struct redis_url	 u;
	char			 e[REDIS_ERROR_MAX];
	int			 ms, rc = -1;

	if (o->url == NULL || *o->url == '\0') {
		snprintf(err, errlen, "redis_connection_url is not set");
		return -1;
	}
	if (redis_url_parse(o->url, &u, e, sizeof(e)) == -1) {
		snprintf(err, errlen, "redis_connection_url: %s", e);
		goto done;
	}
	ms = o->command_timeout_ms > 0 ? o->command_timeout_ms :
	    REDIS_COMMAND_TIMEOUT_MS;
	memset(&eo, 0, sizeof(eo));
	eo.resolver = !u.local && !redis_is_address(u.host);
	eo.resolv_conf = o->resolv_conf;
	eo.hosts = o->hosts;
	eo.resolve_timeout_ms = ms;
	eo.tls = redis_wants_tls(o, &u);
	eo.ca_path = o->ca_path;
	eo.insecure_skip_verify = o->insecure_skip_verify || u.skip_verify;
	if ((r->env = redis_env_new(base, &eo, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "%s", e);
		goto done;
	}
	redis_conn_opts_url(&co, &u, o->username, o->password);
	co.tls = eo.tls;
	co.role = "redis";
	co.command_timeout_ms = co.connect_timeout_ms = ms;
	co.idle_timeout_sec = o->idle_timeout_sec < 0 ? 0 :
	    o->idle_timeout_sec > REDIS_IDLE_MAX_SEC ? REDIS_IDLE_MAX_SEC :
	    o->idle_timeout_sec;
	co.state = redis_state_cb;
	co.arg = r;
	if ((r->conn = redis_conn_new(r->env, &co, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "%s", e);
		goto done;
	}
	rc = 0;
done:
	redis_url_clear(&u);
	return rc;
}

/* The user name or password of the data nodes: the option's, or the URL's. */
static const char *
redis_cred(const char *opt, const char *url)
{
	return opt != NULL && *opt != '\0' ? opt : url;
}

static void
redis_urls_free(struct redis_url *u, size_t n)
{
	size_t	i;

	if (u == NULL)
		return;
	for (i = 0; i < n; i++)
		redis_url_clear(&u[i]);
	free(u);
}

/* Every URL of a Sentinel or Cluster list, *np of them; NULL with err. */
static struct redis_url *
redis_mode_urls(const struct redis_opts *o, size_t *np, char *err,
    size_t errlen)
{
	const char *const	*urls = o->mode == REDIS_SENTINEL ?
				    o->sentinel_urls : o->cluster_urls;
	const char		*key = o->mode == REDIS_SENTINEL ?
				    "redis_sentinel_connection_urls" :
				    "redis_cluster_connection_urls";
	size_t			 i, n = o->mode == REDIS_SENTINEL ?
				    o->nsentinel_urls : o->ncluster_urls;
	struct redis_url	*u;
	char			 e[REDIS_ERROR_MAX];
	int			 dbs = 0;

	if (n == 0 || urls == NULL) {
		snprintf(err, errlen, "%s is not set", key);
		return NULL;
	}
	if (n > REDIS_MODE_URLS_MAX) {
		snprintf(err, errlen, "%s: more than %d URLs", key,
		    REDIS_MODE_URLS_MAX);
		return NULL;
	}
	if ((u = calloc(n, sizeof(*u))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (urls[i] == NULL || redis_url_parse(urls[i], &u[i], e,
		    sizeof(e)) == -1) {
			snprintf(err, errlen, "%s: %s", key, urls[i] == NULL ?
			    "empty URL" : e);
			redis_urls_free(u, n);
			return NULL;
		}
		/* go-redis dials sentinels and nodes over TCP only. */
		if (u[i].local) {
			snprintf(err, errlen, "%s: unix sockets are not "
			    "supported with %s", key, o->mode ==
			    REDIS_SENTINEL ? "Sentinel" : "Cluster");
			redis_urls_free(u, n);
			return NULL;
		}
		if (u[i].db != 0 && !dbs++)
			log_info("redis: %s: the db of a URL is not used, as "
			    "in oauth2-proxy", key);
		if (i > 0 && u[i].tls != u[i - 1].tls)
			log_warnx("redis: %s: redis:// and rediss:// mixed; "
			    "the last URL decides for all, as in oauth2-proxy",
			    key);
	}
	*np = n;
	return u;
}

/*
 * Sentinel and Cluster: the URLs parsed and an environment made, with a
 * resolver whatever the URLs hold, since sentinels and nodes may report
 * host names; options as redis_modes.h says.
 */
static int
redis_modes(struct redis *r, struct event_base *base,
    const struct redis_opts *o, char *err, size_t errlen)
{
	struct redis_env_opts	 eo;
	struct redis_mode_opts	 mo;
	struct redis_url	*u, *last;
	char			 e[REDIS_ERROR_MAX];
	size_t			 n = 0;
	int			 ms, rc = -1;

	if ((u = redis_mode_urls(o, &n, err, errlen)) == NULL)
		return -1;
	if (o->mode == REDIS_SENTINEL && (o->master_name == NULL ||
	    *o->master_name == '\0')) {
		snprintf(err, errlen, "redis_sentinel_master_name is not set");
		goto done;
	}
	last = &u[n - 1];
	ms = o->command_timeout_ms > 0 ? o->command_timeout_ms :
	    REDIS_COMMAND_TIMEOUT_MS;
	memset(&eo, 0, sizeof(eo));
	eo.resolver = 1;
	eo.resolv_conf = o->resolv_conf;
	eo.hosts = o->hosts;
	eo.resolve_timeout_ms = ms;
	eo.tls = redis_wants_tls(o, last);
	eo.ca_path = o->ca_path;
	eo.insecure_skip_verify = o->insecure_skip_verify || last->skip_verify;
	if ((r->env = redis_env_new(base, &eo, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "%s", e);
		goto done;
	}
	memset(&mo, 0, sizeof(mo));
	mo.base = base;
	mo.env = r->env;
	mo.urls = u;
	mo.nurls = n;
	mo.tls = eo.tls;
	mo.username = redis_cred(o->username, last->username);
	mo.password = redis_cred(o->password, last->password);
	mo.master_name = o->master_name;
	mo.sentinel_password = o->sentinel_password;
	mo.command_timeout_ms = ms;
	mo.idle_timeout_sec = o->idle_timeout_sec < 0 ? 0 :
	    o->idle_timeout_sec > REDIS_IDLE_MAX_SEC ? REDIS_IDLE_MAX_SEC :
	    o->idle_timeout_sec;
	mo.state = redis_state_cb;
	mo.arg = r;
	if (o->mode == REDIS_SENTINEL)
		r->sentinel = redis_sentinel_new(&mo, err, errlen);
	else
		r->cluster = redis_cluster_new(&mo, err, errlen);
	if (r->sentinel != NULL || r->cluster != NULL)
		rc = 0;
done:
	redis_urls_free(u, n);
	return rc;
}

struct redis *
redis_new(struct event_base *base, const struct redis_opts *o,
    redis_state_fn state, void *arg, char *err, size_t errlen)
{
	struct redis	*r;
	int		 rc;

	if (o->mode != REDIS_STANDALONE && o->mode != REDIS_SENTINEL &&
	    o->mode != REDIS_CLUSTER) {
		snprintf(err, errlen, "unknown Redis mode");
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->mode = o->mode;
	r->state_fn = state;
	r->arg = arg;
	if (o->mode == REDIS_STANDALONE)
		rc = redis_standalone(r, base, o, err, errlen);
	else
		rc = redis_modes(r, base, o, err, errlen);
	if (rc == -1) {
		redis_free(r);
		return NULL;
	}
	return r;
}

void
redis_free(struct redis *r)
{
	if (r == NULL)
		return;
	redis_conn_free(r->conn);
	redis_sentinel_free(r->sentinel);
	redis_cluster_free(r->cluster);
	redis_env_free(r->env);
	free(r);
}

int
redis_up(const struct redis *r)
{
	switch (r->mode) {
	case REDIS_SENTINEL:
		return redis_sentinel_up(r->sentinel);
	case REDIS_CLUSTER:
		return redis_cluster_up(r->cluster);
	default:
		return redis_conn_up(r->conn);
	}
}

const char *
redis_error(const struct redis *r)
{
	switch (r->mode) {
	case REDIS_SENTINEL:
		return redis_sentinel_error(r->sentinel);
	case REDIS_CLUSTER:
		return redis_cluster_error(r->cluster);
	default:
		return redis_conn_error(r->conn);
	}
}

int
redis_command(struct redis *r, const char *key, size_t keylen,
    redis_reply_fn done, void *arg, int argc, const char **argv,
    const size_t *argvlen)
{
	switch (r->mode) {
	case REDIS_SENTINEL:
		return redis_sentinel_command(r->sentinel, done, arg, argc,
		    argv, argvlen);
	case REDIS_CLUSTER:
		return redis_cluster_command(r->cluster, key, keylen, done, arg,
		    argc, argv, argvlen);
	default:
		return redis_conn_command(r->conn, done, arg, argc, argv,
		    argvlen);
	}
}
