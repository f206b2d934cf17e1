/*
 * What each request gets: the probes, then either a 401 (no session yet)
 * or, for a request that needs none, its upstream.  And the request log
 * line once it is answered.
 */
#include <sys/random.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "accesslog.h"
#include "conn.h"
#include "log.h"
#include "route.h"
#include "signin.h"
#include "static.h"
#include "worker.h"

#define PATH_NORM_MAX	8192

static uint64_t
splitmix64(uint64_t *s)
{
	uint64_t	z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static struct {
	struct upstream_set	 ups;
	struct route_set	*skip;
	struct cidr_set		*trusted_proxies;
	struct cidr_set		*trusted_ips;
	struct access_log	*log;
	int			 dirs[UPSTREAM_MAX];
	size_t			 ndirs;
} rt;

static void
diag_fatal(void *arg, const char *msg)
{
	(void)arg;
	log_warnx("config: %s", msg);
}

/* Without trusted_proxy_ips only loopback may vouch for a client. */
static struct cidr_set *
trusted_proxies(const struct config *cf, struct conf_diag *diag)
{
	static char		*loopback[] = { "127.0.0.0/8", "::1" };
	struct conf_list	 def = { loopback, 2 };

	return cidr_parse(cf->trusted_proxy_ips.n > 0 ?
	    &cf->trusted_proxy_ips : &def, "trusted_proxy_ips", diag);
}

/* Before the sandbox: everything that needs files, names or compiling. */
void
router_init(struct child *ch)
{
	const struct config	*cf = &ch->cf;
	struct conf_diag	 diag = { diag_fatal, NULL, 0 };
	int			 n;

	if (upstream_parse_all(cf, &rt.ups, &diag) == -1 ||
	    (rt.skip = route_compile(cf, &diag)) == NULL ||
	    (rt.trusted_proxies = trusted_proxies(cf, &diag)) == NULL ||
	    (rt.trusted_ips = cidr_parse(&cf->trusted_ips, "trusted_ips",
	    &diag)) == NULL ||
	    (rt.log = accesslog_compile(cf->request_logging_format,
	    &diag)) == NULL)
		fatalx("router: bad config from the parent");
	if ((n = static_privinit(&rt.ups, rt.dirs, UPSTREAM_MAX)) == -1)
		fatalx("router: cannot open the file:// directories");
	rt.ndirs = (size_t)n;
	if (proxy_init(cf, &rt.ups) == -1)
		fatalx("router: cannot set up the upstreams");
	signin_init(ch);
	auth_policy_init(cf);
	ch->ro_dirs = rt.dirs;
	ch->nro_dirs = rt.ndirs;
}

static int
path_is(const char *path, const char *want)
{
	return strcmp(path, want) == 0;
}

/* The client's own address: a trusted proxy's word for it, or the peer. */
static const char *
client_ip(const struct conn *c, char *buf, size_t len)
{
	const char	*v;
	size_t		 n;

	if (!c->trusted || (v = http_header_get(&c->req,
	    worker->c.cf.real_client_ip_header)) == NULL)
		return c->peer;
	v += strspn(v, " \t");
	n = strcspn(v, ", \t");
	snprintf(buf, len, "%.*s", (int)n, v);
	return buf;
}

static int
skip_auth(struct conn *c)
{
	const struct http_request	*r = &c->req;
	const char			*uri = NULL;
	char				 norm[PATH_NORM_MAX], ip[64];

	if (cidr_match_text(rt.trusted_ips, client_ip(c, ip, sizeof(ip))))
		return 1;
	if (c->trusted)
		uri = http_header_get(r, "X-Forwarded-Uri");
	/* A path we cannot read is one we will not let through. */
	if (route_normalise_path(uri != NULL ? uri : r->target, norm,
	    sizeof(norm)) == -1)
		return 0;
	return route_skip_auth(rt.skip, r->method, norm);
}

static void
to_upstream(struct conn *c)
{
	const struct upstream	*u;
	char			 loc[PATH_NORM_MAX + 32];
	int			 redirect = 0;

	if ((u = upstream_match(&rt.ups, c->req.path, &redirect)) == NULL) {
		if (!redirect) {
			http_respond(c, 404, "text/plain; charset=utf-8",
			    "X-Content-Type-Options: nosniff\r\n",
			    "404 page not found\n", 19);
			return;
		}
		snprintf(loc, sizeof(loc), "Location: %s/%s%s\r\n",
		    c->req.path, c->req.query != NULL ? "?" : "",
		    c->req.query != NULL ? c->req.query : "");
		http_respond(c, 301, NULL, loc, "", 0);
		return;
	}
	if (u->type == UPSTREAM_FILE || u->type == UPSTREAM_STATIC) {
		c->upstream_id = u->id;
		static_serve(c, u, c->req.path);
	} else
		proxy_start(c, u);
}

/*
 * Signed in and allowed: on to the upstream with the identity headers.
 * A session the policy refuses is cleared, as oauth2-proxy does.
 */
static void
after_session(struct conn *c)
{
	if (c->auth == AUTH_UNAVAILABLE)
		signin_error(c, 503, "The session service is not available "
		    "right now.");
	else if (c->auth == AUTH_FORBIDDEN)
		signin_error(c, 403, "The bearer token was refused.");
	else if (c->auth != AUTH_OK)
		signin_needed(c);
	else if (!auth_allowed(c->identity)) {
		signin_clear_session_cookie(c);
		signin_error(c, 403, "The session failed authorization "
		    "checks.");
	} else
		to_upstream(c);
}

/*
 * P/auth, for nginx auth_request and alike: 202 and the identity headers,
 * 401 without an acceptable session (401, not 403, even when the policy
 * refuses it: nginx would otherwise not redirect to sign in), 403 when the
 * request's own constraints, or a bad bearer token without fallback,
 * refuse it.
 */
static void
answer_auth(struct conn *c)
{
	struct evbuffer	*h;

	if (c->auth == AUTH_UNAVAILABLE || c->auth == AUTH_FORBIDDEN) {
		http_respond_error(c, c->auth == AUTH_FORBIDDEN ? 403 : 503);
		return;
	}
	if (c->auth != AUTH_OK || !auth_allowed(c->identity)) {
		http_respond_error(c, 401);
		return;
	}
	if (c->req.query != NULL &&
	    !auth_query_allows(c->req.query, c->identity)) {
		http_respond_error(c, 403);
		return;
	}
	if ((h = evbuffer_new()) == NULL) {
		http_respond_error(c, 500);
		return;
	}
	auth_headers_response(h, c->identity);
	evbuffer_add(h, "", 1);
	http_respond(c, 202, NULL, (const char *)evbuffer_pullup(h, -1), "", 0);
	evbuffer_free(h);
}

static void
answer_userinfo(struct conn *c)
{
	struct evbuffer	*b;

	if (c->auth != AUTH_OK || !auth_allowed(c->identity)) {
		http_respond_error(c, c->auth == AUTH_UNAVAILABLE ? 503 :
		    c->auth == AUTH_FORBIDDEN ? 403 : 401);
		return;
	}
	if ((b = evbuffer_new()) == NULL) {
		http_respond_error(c, 500);
		return;
	}
	auth_userinfo_json(b, c->identity);
	http_respond(c, 200, "application/json", HTTP_NO_CACHE,
	    (const char *)evbuffer_pullup(b, -1), evbuffer_get_length(b));
	evbuffer_free(b);
}

/* The endpoints under proxy_prefix. */
static void
prefix_endpoint(struct conn *c, const char *rest)
{
	if (strcmp(rest, "/auth") == 0)
		auth_session(c, answer_auth);
	else if (strcmp(rest, "/userinfo") == 0)
		auth_session(c, answer_userinfo);
	else if (!signin_endpoint(c, rest))
		http_respond_error(c, 404);
}

void
router_dispatch(struct conn *c)
{
	const struct config	*cf = &worker->c.cf;
	const char		*path = c->req.path;
	size_t			 plen = strlen(cf->proxy_prefix);

	c->trusted = cf->reverse_proxy && (c->peer_sa.ss_family == AF_UNIX ||
	    cidr_match(rt.trusted_proxies, (struct sockaddr *)&c->peer_sa));
	if (path_is(path, cf->ping_path))
		http_respond(c, 200, "text/plain; charset=utf-8", NULL, "OK",
		    2);
	else if (path_is(path, cf->ready_path))
		worker_ready_check(c);
	else if (path_is(path, "/robots.txt"))
		signin_robots(c);
	else if (strncmp(path, cf->proxy_prefix, plen) == 0 &&
	    (path[plen] == '/' || path[plen] == '\0'))
		prefix_endpoint(c, path + plen);
	else if (skip_auth(c))
		to_upstream(c);
	else
		auth_session(c, after_session);
}

/*
 * The request id of the log line: the client's, when it looks like one;
 * else a UUIDv4 from a generator seeded once, since an id needs to be
 * unique, not secret, and a syscall per request is not worth it.
 */
static const char *
request_id(const struct conn *c, char *buf, size_t len)
{
	static uint64_t	 state;
	const char	*v = http_header_get(&c->req,
			    worker->c.cf.request_id_header);
	uint64_t	 a, b;

	if (v != NULL && *v != '\0' && strlen(v) < len &&
	    strspn(v, "0123456789abcdefABCDEF-_.") == strlen(v))
		return v;
	if (state == 0 && getrandom(&state, sizeof(state), 0) !=
	    sizeof(state))
		state = (uint64_t)time(NULL);
	a = splitmix64(&state);
	b = splitmix64(&state);
	snprintf(buf, len, "%08x-%04x-4%03x-%04x-%012llx",
	    (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xffff,
	    (unsigned)a & 0xfff, (unsigned)((b >> 48) & 0x3fff) | 0x8000,
	    (unsigned long long)(b & 0xffffffffffffULL));
	return buf;
}

static int
log_excluded(const struct conn *c)
{
	const struct config	*cf = &worker->c.cf;
	const char		*path = c->req.path != NULL ? c->req.path : "";
	size_t			 i;

	if (!cf->request_logging)
		return 1;
	if (cf->silence_ping_logging && (path_is(path, cf->ping_path) ||
	    path_is(path, cf->ready_path)))
		return 1;
	for (i = 0; i < cf->exclude_logging_paths.n; i++)
		if (path_is(path, cf->exclude_logging_paths.v[i]))
			return 1;
	return 0;
}

void
router_log(struct conn *c)
{
	struct access_entry	 e;
	struct timespec		 now;
	char			 proto[16], ip[64], id[40];
	const struct http_request *r = &c->req;

	if (log_excluded(c))
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(proto, sizeof(proto), "HTTP/1.%d", r->minor);
	memset(&e, 0, sizeof(e));
	e.client = client_ip(c, ip, sizeof(ip));
	e.request_id = request_id(c, id, sizeof(id));
	/* As oauth2-proxy: the email, else the user. */
	if (c->identity != NULL)
		e.username = c->identity->email != NULL ? c->identity->email :
		    c->identity->user;
	e.host = r->host != NULL ? r->host : "";
	e.method = r->method != NULL ? r->method : "-";
	e.upstream = c->upstream_id;
	e.uri = r->target != NULL ? r->target : "";
	e.protocol = proto;
	e.user_agent = r->method != NULL ? http_header_get(r, "User-Agent") :
	    NULL;
	if (e.user_agent == NULL)
		e.user_agent = "";
	e.status = c->status;
	e.size = c->sent;
	e.start = r->start;
	e.duration = (double)(now.tv_sec - r->start.tv_sec) +
	    (double)(now.tv_nsec - r->start.tv_nsec) / 1e9;
	accesslog_write(rt.log, &e);
}
