/*
 * The identity provider as authd knows it: its endpoints (discovery, or
 * the config with skip_oidc_discovery), its signing keys (keys.c), and
 * every request to it: names resolved on our own loop and pinned, so
 * curl never resolves (fetch.h), and the client's credentials added.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/buffer.h>

#include "authd.h"
#include "log.h"
#include "pct.h"
#include "resolve.h"

#define DISCOVERY_RETRY_MAX	60	/* seconds between discovery tries */
#define IDP_HOST_MAX		256

struct idp_req {
	char		*url;
	char		*form;		/* NULL: GET */
	char		*user;		/* client_secret_basic */
	char		*pass;
	char		*bearer;
	char		 host[IDP_HOST_MAX];
	int		 port;
	fetch_done_fn	 done;
	void		*arg;
};

struct child	*authd;

static struct {
	struct fetch_ctx	*fetch;
	struct resolver		*res;
	struct oidc_discovery	 disc;
	int			 ready;
	int			 backoff;	/* seconds, next discovery retry */
	struct event		*retry;
	struct keyset		*keys;
} idp;

static void	discovery_again(evutil_socket_t, short, void *);

/* provider_ca_files, concatenated: read now, before the sandbox. */
static char *
read_cas(const struct conf_list *files)
{
	struct evbuffer	*b;
	char		*pem;
	size_t		 i;
	int		 fd;

	if (files->n == 0)
		return NULL;
	if ((b = evbuffer_new()) == NULL)
		fatalx("authd: out of memory");
	for (i = 0; i < files->n; i++) {
		if ((fd = open(files->v[i], O_RDONLY | O_CLOEXEC)) == -1)
			fatal("authd: provider_ca_file %s", files->v[i]);
		while (evbuffer_read(b, fd, 65536) > 0)
			if (evbuffer_get_length(b) > FETCH_CA_MAX)
				fatalx("authd: provider_ca_file: more than "
				    "%d bytes", FETCH_CA_MAX);
		close(fd);
		evbuffer_add(b, "\n", 1);
	}
	evbuffer_add(b, "", 1);
	if ((pem = strdup((const char *)evbuffer_pullup(b, -1))) == NULL)
		fatalx("authd: out of memory");
	evbuffer_free(b);
	return pem;
}

void
idp_privinit(struct child *c)
{
	char	 err[256], *pem;

	authd = c;
	pem = read_cas(&c->cf.provider_ca_files);
	idp.fetch = fetch_init(c->base, pem, IDP_MAX_BODY, IDP_TIMEOUT_MS);
	free(pem);
	if (idp.fetch == NULL)
		fatalx("authd: cannot set up the IdP client");
	fetch_require_pins(idp.fetch, 1);
	if ((idp.res = resolve_init(c->base, NULL, NULL, IDP_TIMEOUT_MS / 2, err,
	    sizeof(err))) == NULL)
		fatalx("authd: resolver: %s", err);
	if ((idp.retry = evtimer_new(c->base, discovery_again, NULL)) == NULL)
		fatalx("authd: out of memory");
}

int
idp_ready(void)
{
	return idp.ready;
}

const struct oidc_discovery *
idp_endpoints(void)
{
	return &idp.disc;
}

/* --- requests ------------------------------------------------------ */

static void
wipe_free(char *s)
{
	if (s != NULL)
		explicit_bzero(s, strlen(s));
	free(s);
}

static void
req_free(struct idp_req *r)
{
	wipe_free(r->form);
	wipe_free(r->user);
	wipe_free(r->pass);
	wipe_free(r->bearer);
	free(r->url);
	free(r);
}

static void
req_done(void *arg, int status, const char *body, size_t len,
    const char *error)
{
	struct idp_req	*r = arg;

	r->done(r->arg, status, body, len, error);
	req_free(r);
}

static int
req_send(struct idp_req *r)
{
	if (r->form != NULL)
		return fetch_post_form(idp.fetch, r->url, r->form, r->user,
		    r->pass, req_done, r);
	return fetch_get_bearer(idp.fetch, r->url, r->bearer, req_done, r);
}

static void
req_resolved(void *arg, const char *addrs, const char *error)
{
	struct idp_req	*r = arg;
	const char	*why = error;

	if (addrs != NULL) {
		why = "cannot start the request";
		if (fetch_pin(idp.fetch, r->host, r->port, addrs) == 0 &&
		    req_send(r) == 0)
			return;
	}
	log_warnx("idp: %s: %s", r->url, why);
	r->done(r->arg, -1, "", 0, why);
	req_free(r);
}

/* Host and port of url; 1 when the host is an address, 0 a name, -1 bad. */
static int
req_host(struct idp_req *r)
{
	struct in_addr	 a4;
	CURLU		*u;
	char		*host = NULL, *port = NULL;
	int		 rc = -1;

	if ((u = curl_url()) == NULL)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, r->url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
	    CURLUE_OK && strlen(host) < sizeof(r->host)) {
		memcpy(r->host, host, strlen(host) + 1);
		r->port = atoi(port);
		rc = host[0] == '[' || inet_pton(AF_INET, host, &a4) == 1;
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

/* Takes form, user and pass (malloc'd) whatever happens. */
static int
req_start(const char *url, char *form, char *user, char *pass,
    const char *bearer, fetch_done_fn done, void *arg)
{
	struct idp_req	*r;
	int		 literal;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		wipe_free(form);
		wipe_free(user);
		wipe_free(pass);
		return -1;
	}
	r->form = form;
	r->user = user;
	r->pass = pass;
	r->done = done;
	r->arg = arg;
	if ((r->url = strdup(url)) == NULL || (bearer != NULL &&
	    (r->bearer = strdup(bearer)) == NULL) ||
	    (literal = req_host(r)) == -1) {
		log_warnx("idp: %s: bad URL", url);
		req_free(r);
		return -1;
	}
	if ((literal ? req_send(r) : resolve_host(idp.res, r->host,
	    req_resolved, r)) == -1) {
		req_free(r);
		return -1;
	}
	return 0;
}

int
idp_get(const char *url, const char *bearer, fetch_done_fn done, void *arg)
{
	return req_start(url, NULL, NULL, NULL, bearer, done, arg);
}

char *
buf_string(struct evbuffer *b)
{
	char	*s = NULL;
	size_t	 n;

	if (evbuffer_add(b, "", 1) == 0) {
		n = evbuffer_get_length(b);
		if ((s = malloc(n)) != NULL)
			evbuffer_remove(b, s, n);
	}
	evbuffer_free(b);
	return s;
}

static char *
form_encoded(const char *s)
{
	struct evbuffer	*b;

	if ((b = evbuffer_new()) == NULL)
		return NULL;
	pct_encode(b, s);
	return buf_string(b);
}

/*
 * client_secret_basic sends the id and secret form-encoded in the Basic
 * header (RFC 6749, 2.3.1), client_secret_post in the body; with both
 * offered we take basic, as discovery's default says.
 */
int
idp_post(const char *url, const char *form, fetch_done_fn done, void *arg)
{
	const struct config	*cf = &authd->cf;
	struct evbuffer		*b;

	if (idp.disc.auth_basic || !idp.disc.auth_post)
		return req_start(url, strdup(form),
		    form_encoded(cf->client_id),
		    form_encoded(cf->client_secret), NULL, done, arg);
	if ((b = evbuffer_new()) == NULL)
		return -1;
	evbuffer_add_printf(b, "%s&client_id=", form);
	pct_encode(b, cf->client_id);
	evbuffer_add_printf(b, "&client_secret=");
	pct_encode(b, cf->client_secret);
	return req_start(url, buf_string(b), NULL, NULL, NULL, done, arg);
}

/* --- discovery ----------------------------------------------------- */

static void
discovery_retry(const char *why)
{
	struct timeval	tv = { idp.backoff, 0 };

	log_warnx("discovery: %s; next try in %d s", why, idp.backoff);
	evtimer_add(idp.retry, &tv);
	idp.backoff = idp.backoff * 2 > DISCOVERY_RETRY_MAX ?
	    DISCOVERY_RETRY_MAX : idp.backoff * 2;
}

/* profile_url, when set, is the userinfo endpoint whatever discovery said. */
static int
discovery_overrides(void)
{
	const char	*p = authd->cf.profile_url;

	if (p == NULL || *p == '\0')
		return 0;
	free(idp.disc.userinfo_endpoint);
	return (idp.disc.userinfo_endpoint = strdup(p)) == NULL ? -1 : 0;
}

static void
discovery_ready(void)
{
	idp.ready = 1;
	log_info("discovery: issuer %s, authorization at %s", idp.disc.issuer,
	    idp.disc.authorization_endpoint);
	if ((idp.keys = keyset_new(idp.disc.jwks_uri)) == NULL)
		fatalx("authd: out of memory");
	keyset_fetch(idp.keys);
}

static void
discovery_done(void *arg, int status, const char *body, size_t len,
    const char *error)
{
	const struct config	*cf = &authd->cf;
	char			 err[256], why[300];

	(void)arg;
	if (status != 200) {
		if (status == -1)
			snprintf(why, sizeof(why), "%s", error);
		else
			snprintf(why, sizeof(why), "HTTP status %d", status);
		discovery_retry(why);
		return;
	}
	if (discovery_parse(body, len, cf->oidc_issuer_url,
	    cf->insecure_oidc_skip_issuer_verification, &idp.disc, err,
	    sizeof(err)) == -1 || discovery_overrides() == -1) {
		snprintf(why, sizeof(why), "bad document: %s", err);
		discovery_retry(why);
		return;
	}
	discovery_ready();
}

static int
dup_into(char **dst, const char *src)
{
	if (src == NULL || *src == '\0')
		return 0;
	return (*dst = strdup(src)) == NULL ? -1 : 0;
}

/* skip_oidc_discovery: the endpoints are the config's. */
static void
endpoints_from_config(void)
{
	const struct config	*cf = &authd->cf;

	memset(&idp.disc, 0, sizeof(idp.disc));
	if (dup_into(&idp.disc.issuer, cf->oidc_issuer_url) == -1 ||
	    dup_into(&idp.disc.authorization_endpoint, cf->login_url) == -1 ||
	    dup_into(&idp.disc.token_endpoint, cf->redeem_url) == -1 ||
	    dup_into(&idp.disc.jwks_uri, cf->oidc_jwks_url) == -1 ||
	    dup_into(&idp.disc.userinfo_endpoint, cf->profile_url) == -1)
		fatalx("authd: out of memory");
	idp.disc.auth_basic = 1;
	discovery_ready();
}

static void
discovery_again(evutil_socket_t s, short ev, void *arg)
{
	(void)s;
	(void)ev;
	(void)arg;
	idp_start();
}

void
idp_start(void)
{
	const struct config	*cf = &authd->cf;
	char			 url[2048];
	size_t			 n = strlen(cf->oidc_issuer_url);

	if (cf->skip_oidc_discovery) {
		endpoints_from_config();
		return;
	}
	if (idp.backoff == 0)
		idp.backoff = 1;
	/* The issuer with one slash before the well-known path. */
	while (n > 0 && cf->oidc_issuer_url[n - 1] == '/')
		n--;
	snprintf(url, sizeof(url), "%.*s/.well-known/openid-configuration",
	    (int)n, cf->oidc_issuer_url);
	if (idp_get(url, NULL, discovery_done, NULL) == -1)
		discovery_retry("cannot start the request");
}

struct keyset *
idp_keys(void)
{
	return idp.keys;
}

void
idp_expect(struct jwt_expect *e, const char *nonce)
{
	const struct config	*cf = &authd->cf;

	memset(e, 0, sizeof(*e));
	e->issuer = cf->insecure_oidc_skip_issuer_verification ? NULL :
	    idp.disc.issuer;
	e->client_id = cf->client_id;
	e->extra_audiences = cf->oidc_extra_audiences.v;
	e->nextra_audiences = cf->oidc_extra_audiences.n;
	e->nonce = cf->insecure_oidc_skip_nonce ? NULL : nonce;
	e->algs = idp.disc.algs;
	e->nalgs = idp.disc.nalgs;
	e->now = time(NULL);
	e->skew = JWT_SKEW_DEFAULT;
}
