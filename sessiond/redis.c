/*
 * sessiond's Redis client (see redis.h): the configuration turned into
 * an environment and connections, and commands routed to them.  Only
 * the standalone mode is here; Sentinel and Cluster will build on
 * redis_conn.h in files of their own.
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "redis.h"
#include "redis_conn.h"

struct redis {
	struct redis_env	*env;
	struct redis_conn	*conn;
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

struct redis *
redis_new(struct event_base *base, const struct redis_opts *o,
    redis_state_fn state, void *arg, char *err, size_t errlen)
{
	struct redis	*r;

	if (o->mode != REDIS_STANDALONE) {
		snprintf(err, errlen, "%s is not supported yet",
		    o->mode == REDIS_SENTINEL ? "Sentinel" : "Cluster");
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->state_fn = state;
	r->arg = arg;
	if (redis_standalone(r, base, o, err, errlen) == -1) {
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
	redis_env_free(r->env);
	free(r);
}

int
redis_up(const struct redis *r)
{
	return redis_conn_up(r->conn);
}

const char *
redis_error(const struct redis *r)
{
	return redis_conn_error(r->conn);
}

int
redis_command(struct redis *r, const char *key, size_t keylen,
    redis_reply_fn done, void *arg, int argc, const char **argv,
    const size_t *argvlen)
{
	(void)key;
	(void)keylen;
	return redis_conn_command(r->conn, done, arg, argc, argv, argvlen);
}
