/*
 * The worker's side of signing in and out.  authd makes the state, talks
 * to the IdP and has sessiond seal; the worker picks and checks redirect
 * targets, sets and clears cookies, applies the login policy to the new
 * session, and answers the browser: a 302, or a page.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>

#include "b64.h"
#include "conn.h"
#include "cookie.h"
#include "log.h"
#include "login.h"
#include "page.h"
#include "pct.h"
#include "redirect.h"
#include "route.h"
#include "signin.h"
#include "wait.h"
#include "worker.h"

#define LOGIN_TIMEOUT_SEC	15	/* authd's IdP timeout, and some */
#define LOGOUT_TIMEOUT_SEC	3	/* sign-out goes on without authd */
#define PARAM_MAX		4096	/* a decoded query parameter */
#define URL_MAX			8192
#define NAMES_MAX		32	/* request cookie names looked at */
#define ID_TOKEN_MARK		"{id_token}"	/* authd fills it in */
#define PAGE_HEADERS_MAX	1024

static struct {
	struct pages		*pages;
	struct route_set	*api;
} si;

void
signin_init(struct child *ch)
{
	const struct config	*cf = &ch->cf;
	struct conf_diag	 diag = { NULL, NULL, 0 };
	char			 err[512];

	if ((si.pages = page_load_config(cf, err, sizeof(err))) == NULL)
		fatalx("pages: %s", err);
	if ((si.api = route_compile_list(&cf->api_routes, "api_routes",
	    &diag)) == NULL)
		fatalx("api_routes: bad config from the parent");
}

/* --- answers --------------------------------------------------------- */

static struct evbuffer *
cookies(struct conn *c)
{
	if (c->set_cookie == NULL)
		c->set_cookie = evbuffer_new();
	return c->set_cookie;
}

static void
respond_page(struct conn *c, int status, enum page_kind kind,
    struct evbuffer *body, const char *extra)
{
	char	hdrs[PAGE_HEADERS_MAX];

	snprintf(hdrs, sizeof(hdrs), "%sContent-Security-Policy: %s\r\n"
	    "X-Content-Type-Options: nosniff\r\n%s", HTTP_NO_CACHE,
	    page_csp(si.pages, kind), extra != NULL ? extra : "");
	http_respond(c, status, PAGE_HTML_TYPE, hdrs,
	    (const char *)evbuffer_pullup(body, -1), evbuffer_get_length(body));
}

void
signin_error(struct conn *c, int status, const char *message)
{
	struct evbuffer	*b;

	if ((b = evbuffer_new()) == NULL ||
	    page_error(si.pages, b, status, NULL, message, "/",
	    http_header_get(&c->req, worker->c.cf.request_id_header)) == -1)
		http_respond_error(c, status);
	else
		respond_page(c, status, PAGE_ERROR, b, NULL);
	if (b != NULL)
		evbuffer_free(b);
}

static void
respond_redirect(struct conn *c, const char *location)
{
	char	hdrs[URL_MAX + 256];

	/* Our own targets: checked, encoded; a line break is a bug. */
	if (strpbrk(location, "\r\n") != NULL ||
	    strlen(location) >= URL_MAX) {
		signin_error(c, 500, NULL);
		return;
	}
	snprintf(hdrs, sizeof(hdrs), "%sLocation: %s\r\n", HTTP_NO_CACHE,
	    location);
	http_respond(c, 302, NULL, hdrs, "", 0);
}

void
signin_robots(struct conn *c)
{
	struct evbuffer	*b;

	if ((b = evbuffer_new()) == NULL || page_robots(si.pages, b) == -1)
		http_respond_error(c, 500);
	else
		http_respond(c, 200, PAGE_ROBOTS_TYPE, NULL,
		    (const char *)evbuffer_pullup(b, -1),
		    evbuffer_get_length(b));
	if (b != NULL)
		evbuffer_free(b);
}

static void
serve_static(struct conn *c, const char *name)
{
	const char	*data, *type;
	size_t		 len;

	if ((data = page_static(name, &len, &type)) == NULL)
		http_respond_error(c, 404);
	else
		http_respond(c, 200, type, "Cache-Control: max-age=3600\r\n"
		    "X-Content-Type-Options: nosniff\r\n", data, len);
}

/* --- cookies --------------------------------------------------------- */

/* The host the browser asked for: a trusted proxy's word, or Host. */
static const char *
request_host(const struct conn *c)
{
	const char	*h = NULL;

	if (c->trusted)
		h = http_header_get(&c->req, "X-Forwarded-Host");
	return h != NULL && *h != '\0' ? h : c->req.host;
}

static void
session_opts(const struct conn *c, struct cookie_opts *o)
{
	const struct config	*cf = &worker->c.cf;

	memset(o, 0, sizeof(*o));
	o->name = cf->cookie_name;
	o->path = cf->cookie_path;
	o->domain = cookie_domain_pick(&cf->cookie_domains, request_host(c));
	o->max_age = cf->cookie_expire / 1000000000;
	o->secure = cf->cookie_secure;
	o->httponly = cf->cookie_httponly;
	o->samesite = cf->cookie_samesite;
}

/*
 * The CSRF cookie's name: <cookie_name>_csrf, or with
 * cookie_csrf_per_request one per sign-in, named after its state so that
 * parallel sign-ins (several tabs) do not overwrite each other.
 */
static void
csrf_opts(const struct conn *c, const char *state, struct cookie_opts *o)
{
	static char		 name[COOKIE_NAME_MAX + 32];
	const struct config	*cf = &worker->c.cf;
	unsigned char		 h[EVP_MAX_MD_SIZE];
	unsigned int		 hlen;
	char			 hb[B64URL_LEN(EVP_MAX_MD_SIZE) + 1];

	session_opts(c, o);
	if (cf->cookie_csrf_per_request) {
		EVP_Digest(state, strlen(state), h, &hlen, EVP_sha256(), NULL);
		b64url_encode(h, hlen, hb, sizeof(hb));
		snprintf(name, sizeof(name), "%s_%.8s_csrf", cf->cookie_name,
		    hb);
	} else
		snprintf(name, sizeof(name), "%s_csrf", cf->cookie_name);
	o->name = name;
	o->max_age = cf->cookie_csrf_expire / 1000000000;
	if (cf->cookie_csrf_samesite != NULL && *cf->cookie_csrf_samesite)
		o->samesite = cf->cookie_csrf_samesite;
}

/* The names of the request's cookies, for clearing split ones. */
static size_t
request_cookie_names(const struct conn *c, const char **names, size_t max)
{
	static char	 buf[NAMES_MAX][COOKIE_NAME_MAX + 8];
	const char	*v, *p;
	size_t		 i, n = 0, len;

	for (i = 0; i < c->req.nheaders; i++) {
		if (strcasecmp(c->req.headers[i].name, "Cookie") != 0)
			continue;
		for (v = c->req.headers[i].value; *v != '\0' && n < max &&
		    n < NAMES_MAX; v = *p == ';' ? p + 1 : p) {
			v += strspn(v, " \t");
			p = v + strcspn(v, ";");
			len = strcspn(v, "=;");
			if (len > 0 && len < sizeof(buf[n])) {
				memcpy(buf[n], v, len);
				buf[n][len] = '\0';
				names[n] = buf[n];
				n++;
			}
		}
	}
	return n;
}

int
signin_set_session_cookie(struct conn *c, const char *value)
{
	struct cookie_opts	o;

	session_opts(c, &o);
	if (cookies(c) == NULL || cookie_set(c->set_cookie, &o, value) == -1) {
		log_warnx("signin: %s: the session cookie cannot be set "
		    "(%zu bytes)", c->peer, strlen(value));
		return -1;
	}
	return 0;
}

void
signin_clear_session_cookie(struct conn *c)
{
	struct cookie_opts	 o;
	const char		*names[NAMES_MAX];
	size_t			 n;

	session_opts(c, &o);
	n = request_cookie_names(c, names, NAMES_MAX);
	if (cookies(c) != NULL)
		cookie_clear(c->set_cookie, &o, names, n);
}

/* --- start ----------------------------------------------------------- */

/* Where the IdP sends the browser back: redirect_url, or P/callback here. */
static void
redirect_uri(const struct conn *c, char *out, size_t len)
{
	const struct config	*cf = &worker->c.cf;
	const char		*proto = NULL, *path;

	if (cf->redirect_url != NULL && (strncmp(cf->redirect_url,
	    "https://", 8) == 0 || strncmp(cf->redirect_url, "http://", 7) ==
	    0)) {
		snprintf(out, len, "%s", cf->redirect_url);
		return;
	}
	if (c->trusted)
		proto = http_header_get(&c->req, "X-Forwarded-Proto");
	if (cf->cookie_secure)
		proto = "https";	/* as oauth2-proxy */
	else if (proto == NULL || (strcasecmp(proto, "https") != 0 &&
	    strcasecmp(proto, "http") != 0))
		proto = c->tls ? "https" : "http";
	path = cf->redirect_url != NULL && *cf->redirect_url != '\0' ?
	    cf->redirect_url : NULL;
	snprintf(out, len, "%s://%s%s%s", proto, request_host(c),
	    path != NULL ? path : cf->proxy_prefix,
	    path != NULL ? "" : "/callback");
}

/* The target after sign-in, for a request that is itself the target. */
static const char *
target_of_request(const struct conn *c, char *buf, size_t len)
{
	const struct config	*cf = &worker->c.cf;
	const char		*uri = NULL;

	if (c->trusted)
		uri = http_header_get(&c->req, "X-Forwarded-Uri");
	if (uri == NULL)
		uri = c->req.target;
	if (redirect_under_prefix(uri, cf->proxy_prefix))
		uri = NULL;
	snprintf(buf, len, "%s", redirect_pick(NULL, NULL, NULL, uri,
	    &cf->whitelist_domains));
	return buf;
}

/* The target a P/ endpoint was given: rd, then X-Auth-Request-Redirect. */
static const char *
target_of_param(const struct conn *c, char *buf, size_t len)
{
	const struct config	*cf = &worker->c.cf;
	char			 rd[PARAM_MAX];

	if (pct_query_get(c->req.query, "rd", rd, sizeof(rd)) != 1)
		rd[0] = '\0';
	snprintf(buf, len, "%s", redirect_pick(rd, http_header_get(&c->req,
	    "X-Auth-Request-Redirect"), NULL, NULL, &cf->whitelist_domains));
	return buf;
}

static int
start_answer(struct conn *c, struct imsg_in *in)
{
	const char		*v[3];		/* url, state, csrf */
	struct cookie_opts	 o;
	uint32_t		 result;

	if (in == NULL) {
		signin_error(c, 503, "The sign-in service did not answer.");
		return 0;
	}
	if (imsg_get_u32(in, &result) == -1 || login_parse_strings(in, v,
	    result == LOGIN_OK ? 3 : 0) == -1)
		return -1;
	if (result != LOGIN_OK) {
		log_warnx("signin: %s: cannot start: %s", c->peer,
		    login_result_name(result));
		signin_error(c, result == LOGIN_UNAVAILABLE ? 503 : 500,
		    "Sign-in is not available right now.");
		return 0;
	}
	csrf_opts(c, v[1], &o);
	if (cookies(c) == NULL || cookie_set(c->set_cookie, &o, v[2]) == -1) {
		signin_error(c, 500, NULL);
		return 0;
	}
	respond_redirect(c, v[0]);
	return 0;
}

static void
start_login(struct conn *c, const char *rd)
{
	char		 uri[URL_MAX];
	const char	*v[2] = { uri, rd };
	struct imsg_out	 m;

	redirect_uri(c, uri, sizeof(uri));
	if (login_compose_strings(&m, IMSG_LOGIN_START, 0, v, 2) == -1)
		start_answer(c, NULL);
	else
		wait_send(c, child_peer(&worker->c, ROLE_AUTHD, 0), &m,
		    LOGIN_TIMEOUT_SEC, start_answer);
}

/* --- callback -------------------------------------------------------- */

/* What the browser is told, for each way a sign-in fails. */
static void
finish_failed(struct conn *c, uint32_t result, const char *why)
{
	log_warnx("signin: %s: sign-in failed: %s: %s", c->peer,
	    login_result_name(result), why);
	switch (result) {
	case LOGIN_CSRF:
		signin_error(c, 403, "Login Failed: Unable to find a valid "
		    "CSRF token. Please try again.");
		break;
	case LOGIN_STATE:
		signin_error(c, 403, "Login Failed: CSRF token mismatch.");
		break;
	case LOGIN_TOKEN:
	case LOGIN_UNVERIFIED:
		signin_error(c, 403, "Login Failed: Session validation "
		    "failed.");
		break;
	case LOGIN_UNAVAILABLE:
		signin_error(c, 503, "The identity provider is not available "
		    "right now. Please try again.");
		break;
	default:
		signin_error(c, 500, "Login Failed: the identity provider "
		    "refused the sign-in.");
		break;
	}
}

static int
finish_answer(struct conn *c, struct imsg_in *in)
{
	struct login_done	 d;
	struct identity		*id;
	const char		*rd;

	if (in == NULL) {
		finish_failed(c, LOGIN_UNAVAILABLE, "authd did not answer");
		return 0;
	}
	if (login_parse_done(in, &d) == -1)
		return -1;
	if (d.result != LOGIN_OK) {
		finish_failed(c, d.result, d.message);
		return 0;
	}
	if ((id = identity_new(&d.claims)) == NULL) {
		signin_error(c, 500, NULL);
		return 0;
	}
	if (!auth_allowed(id)) {
		log_audit("login_denied", "user", d.claims.user, "email",
		    d.claims.email, "reason", "email_domains or "
		    "allowed_groups", NULL);
		identity_free(id);
		signin_error(c, 403, "Invalid session: unauthorized.");
		return 0;
	}
	identity_free(id);
	if (signin_set_session_cookie(c, d.cookie) == -1) {
		signin_error(c, 500, "The session is too large for cookies.");
		return 0;
	}
	log_audit("login", "user", d.claims.user, "email", d.claims.email,
	    NULL);
	/* Checked at the start; again, as the rules may have changed. */
	rd = redirect_valid(d.rd, &worker->c.cf.whitelist_domains) ? d.rd :
	    "/";
	respond_redirect(c, rd);
	return 0;
}

static void
callback(struct conn *c)
{
	static char		 csrf[CLAIMS_COOKIE_MAX];
	char			 code[PARAM_MAX], state[PARAM_MAX];
	char			 err[PARAM_MAX], msg[PARAM_MAX + 128];
	const char		*v[3] = { code, state, csrf };
	struct cookie_opts	 o;
	struct imsg_out		 m;
	int			 n;

	if (pct_query_get(c->req.query, "error", err, sizeof(err)) == 1) {
		snprintf(msg, sizeof(msg), "Login Failed: The upstream "
		    "identity provider returned an error: %s", err);
		log_audit("login_failed", "reason", "identity provider error",
		    "detail", err, NULL);
		signin_error(c, 403, msg);
		return;
	}
	if (pct_query_get(c->req.query, "code", code, sizeof(code)) != 1)
		code[0] = '\0';
	if (pct_query_get(c->req.query, "state", state, sizeof(state)) != 1)
		state[0] = '\0';
	csrf_opts(c, state, &o);
	if ((n = auth_cookie(c, o.name, csrf, sizeof(csrf))) <= 0)
		csrf[0] = '\0';
	/* The CSRF cookie is spent, whatever happens next. */
	if (cookies(c) != NULL)
		cookie_clear(c->set_cookie, &o, NULL, 0);
	if (login_compose_strings(&m, IMSG_LOGIN_FINISH, 0, v, 3) == -1)
		finish_answer(c, NULL);
	else
		wait_send(c, child_peer(&worker->c, ROLE_AUTHD, 0), &m,
		    LOGIN_TIMEOUT_SEC, finish_answer);
	explicit_bzero(m.buf, m.len);
	if (n > 0)
		explicit_bzero(csrf, (size_t)n);
}

/* --- sign-in page, sign-out ------------------------------------------ */

static void
sign_in_page(struct conn *c, int status, const char *rd)
{
	struct evbuffer	*b;

	/* A fresh sign-in never rides on an old session (session fixation). */
	signin_clear_session_cookie(c);
	if ((b = evbuffer_new()) == NULL ||
	    page_sign_in(si.pages, b, rd, status) == -1)
		http_respond_error(c, 500);
	else
		respond_page(c, status, PAGE_SIGN_IN, b, NULL);
	if (b != NULL)
		evbuffer_free(b);
}

/*
 * authd's answer: the target with the ID token filled in.  Without one
 * (authd silent), the worker's own target, unless it waited for a token.
 */
static int
logout_answer(struct conn *c, struct imsg_in *in)
{
	char		 own[URL_MAX];
	const char	*rd = NULL;

	if (in != NULL && login_parse_strings(in, &rd, 1) == -1)
		return -1;
	if (in == NULL) {
		log_warnx("signin: %s: authd did not answer the sign-out",
		    c->peer);
		rd = target_of_param(c, own, sizeof(own));
		if (strstr(rd, ID_TOKEN_MARK) != NULL)
			rd = "/";
	}
	signin_clear_session_cookie(c);
	respond_redirect(c, rd[0] != '\0' && strlen(rd) < URL_MAX ? rd : "/");
	return 0;
}

static void
sign_out(struct conn *c)
{
	static char	 cookie[CLAIMS_COOKIE_MAX];
	char		 rd[URL_MAX], all[8];
	const char	*v[3] = { cookie, rd, all };
	struct imsg_out	 m;
	int		 n;

	target_of_param(c, rd, sizeof(rd));
	/* ?all=1: every session of the user (a store that can revoke). */
	if (pct_query_get(c->req.query, "all", all, sizeof(all)) != 1)
		all[0] = '\0';
	if ((n = auth_cookie(c, worker->c.cf.cookie_name, cookie,
	    sizeof(cookie))) <= 0) {
		signin_clear_session_cookie(c);
		respond_redirect(c, rd);
		return;
	}
	/* authd revokes, calls backend_logout_url, fills in {id_token}. */
	if (login_compose_strings(&m, IMSG_LOGOUT, 0, v, 3) == -1)
		logout_answer(c, NULL);
	else
		wait_send(c, child_peer(&worker->c, ROLE_AUTHD, 0), &m,
		    LOGOUT_TIMEOUT_SEC, logout_answer);
	explicit_bzero(m.buf, m.len);
	explicit_bzero(cookie, (size_t)n);
}

int
signin_endpoint(struct conn *c, const char *rest)
{
	const struct config	*cf = &worker->c.cf;
	char			 rd[URL_MAX];

	if (strcmp(rest, "/start") == 0)
		start_login(c, target_of_param(c, rd, sizeof(rd)));
	else if (strcmp(rest, "/callback") == 0)
		callback(c);
	else if (strcmp(rest, "/sign_in") == 0) {
		target_of_param(c, rd, sizeof(rd));
		if (cf->skip_provider_button)
			start_login(c, rd);
		else
			sign_in_page(c, 200, rd);
	} else if (strcmp(rest, "/sign_out") == 0)
		sign_out(c);
	else if (strncmp(rest, "/static/", 8) == 0)
		serve_static(c, rest + 8);
	else
		return 0;
	return 1;
}

/* --- a protected request without a session --------------------------- */

/* An Accept header naming application/json, as oauth2-proxy reads it. */
static int
wants_json(const struct conn *c)
{
	const char	*v, *p;
	size_t		 i, n;

	for (i = 0; i < c->req.nheaders; i++) {
		if (strcasecmp(c->req.headers[i].name, "Accept") != 0)
			continue;
		for (v = c->req.headers[i].value; *v != '\0';
		    v = *p == ',' ? p + 1 : p) {
			v += strspn(v, " \t");
			p = v + strcspn(v, ",");
			n = strcspn(v, ";, \t");
			if (n == 16 && strncasecmp(v, "application/json", 16) ==
			    0)
				return 1;
		}
	}
	return 0;
}

static int
api_route(const struct conn *c)
{
	char	path[URL_MAX];

	if (route_normalise_path(c->req.target, path, sizeof(path)) == -1)
		return 0;
	return route_skip_auth(si.api, c->req.method, path);
}

void
signin_needed(struct conn *c)
{
	char	rd[URL_MAX];

	if (worker->c.cf.force_json_errors || wants_json(c) || api_route(c)) {
		http_respond(c, 401, "application/json", HTTP_NO_CACHE, "{}",
		    2);
		return;
	}
	target_of_request(c, rd, sizeof(rd));
	if (worker->c.cf.skip_provider_button)
		start_login(c, rd);
	else
		sign_in_page(c, 403, rd);
}
