/*
 * Startup validation of the provider, cookie and sign-in keys: what
 * authd and sessiond would otherwise find only after the sandbox.
 */
#include <stdio.h>
#include <string.h>

#include "config_priv.h"
#include "idp_url.h"

#define NS_PER_SEC	1000000000LL

/* A configured IdP URL: absent when optional, else acceptable. */
static void
check_idp_url(struct conf_diag *diag, const char *key, const char *url,
    int required)
{
	const char	*why;

	if (!conf_isset(url)) {
		if (required)
			conf_error(diag, "%s: required", key);
		return;
	}
	if (!idp_url_ok(url, &why))
		conf_error(diag, "%s: %s", key, why);
}

/* Whether the space-separated list s holds word. */
static int
has_word(const char *s, const char *word)
{
	size_t	n = strlen(word), len;

	for (; s != NULL && *s != '\0'; s += len) {
		s += strspn(s, " ");
		len = strcspn(s, " ");
		if (len == n && strncmp(s, word, n) == 0)
			return 1;
	}
	return 0;
}

static void
check_provider(const struct config *cf, struct conf_diag *diag)
{
	int	skip = cf->skip_oidc_discovery;

	if (cf->provider == NULL || strcmp(cf->provider, "oidc") != 0) {
		conf_error(diag, "provider: \"%s\" is not supported yet by "
		    "gatehouse (set provider = \"oidc\")",
		    cf->provider != NULL ? cf->provider : "");
		return;
	}
	if (!conf_isset(cf->client_secret))
		conf_error(diag, "client_secret: required (or "
		    "client_secret_file)");
	check_idp_url(diag, "oidc_issuer_url", cf->oidc_issuer_url, 1);
	check_idp_url(diag, "login_url", cf->login_url, skip);
	check_idp_url(diag, "redeem_url", cf->redeem_url, skip);
	check_idp_url(diag, "oidc_jwks_url", cf->oidc_jwks_url, skip);
	check_idp_url(diag, "profile_url", cf->profile_url, 0);
	check_idp_url(diag, "validate_url", cf->validate_url, 0);
	check_idp_url(diag, "backend_logout_url", cf->backend_logout_url, 0);
	if (conf_isset(cf->code_challenge_method) &&
	    strcmp(cf->code_challenge_method, "S256") != 0 &&
	    strcmp(cf->code_challenge_method, "plain") != 0)
		conf_error(diag, "code_challenge_method: must be S256 or "
		    "plain");
	if (!has_word(cf->scope, "openid"))
		conf_error(diag, "scope: must include \"openid\"");
}

static void
check_samesite(struct conf_diag *diag, const char *key, const char *s)
{
	if (s != NULL && *s != '\0' && strcmp(s, "lax") != 0 &&
	    strcmp(s, "strict") != 0 && strcmp(s, "none") != 0)
		conf_error(diag, "%s: must be \"\", lax, strict or none", key);
}

/* session_store_type and, for "redis", which Redis. */
static void
check_store(const struct config *cf, struct conf_diag *diag)
{
	const char	*t = cf->session_store_type;

	if (t != NULL && strcmp(t, "cookie") == 0)
		return;
	if (t == NULL || strcmp(t, "redis") != 0) {
		conf_error(diag, "session_store_type: must be cookie or redis");
		return;
	}
	if (cf->redis_use_sentinel && cf->redis_use_cluster)
		conf_error(diag, "redis_use_sentinel, redis_use_cluster: "
		    "choose one");
	else if (cf->redis_use_sentinel) {
		if (!conf_isset(cf->redis_sentinel_master_name) ||
		    cf->redis_sentinel_connection_urls.n == 0)
			conf_error(diag, "redis_use_sentinel: needs "
			    "redis_sentinel_master_name and "
			    "redis_sentinel_connection_urls");
	} else if (cf->redis_use_cluster) {
		if (cf->redis_cluster_connection_urls.n == 0)
			conf_error(diag, "redis_use_cluster: needs "
			    "redis_cluster_connection_urls");
	} else if (!conf_isset(cf->redis_connection_url))
		conf_error(diag, "redis_connection_url: required with "
		    "session_store_type = \"redis\"");
	if (cf->redis_connection_idle_timeout < 0)
		conf_error(diag, "redis_connection_idle_timeout: must not be "
		    "negative");
	if (cf->redis_key_prefix == NULL || strlen(cf->redis_key_prefix) > 128)
		conf_error(diag, "redis_key_prefix: at most 128 characters");
}

static void
check_cookie(const struct config *cf, struct conf_diag *diag)
{
	if (cf->cookie_path == NULL || cf->cookie_path[0] != '/')
		conf_error(diag, "cookie_path: must begin with \"/\"");
	if (cf->cookie_expire < 0)
		conf_error(diag, "cookie_expire: must not be negative");
	if (cf->cookie_refresh < 0 || (cf->cookie_refresh > 0 &&
	    cf->cookie_expire > 0 && cf->cookie_refresh >= cf->cookie_expire))
		conf_error(diag, "cookie_refresh: must be less than "
		    "cookie_expire");
	if (cf->cookie_csrf_expire < NS_PER_SEC)
		conf_error(diag, "cookie_csrf_expire: must be at least 1s");
	check_samesite(diag, "cookie_samesite", cf->cookie_samesite);
	check_samesite(diag, "cookie_csrf_samesite", cf->cookie_csrf_samesite);
	if (cf->session_cache_ttl < 0 || cf->session_cache_ttl > 60 * NS_PER_SEC)
		conf_error(diag, "session_cache_ttl: must be between 0s and "
		    "60s");
	/* As oauth2-proxy: a cookie without tokens cannot serve them. */
	if (cf->session_cookie_minimal && (cf->cookie_refresh > 0 ||
	    cf->pass_access_token || cf->pass_authorization_header ||
	    cf->set_authorization_header))
		conf_error(diag, "session_cookie_minimal: cannot be used with "
		    "cookie_refresh, pass_access_token, "
		    "pass_authorization_header or set_authorization_header");
	check_store(cf, diag);
}

/* redirect_url: an absolute http(s) URL, or a path on the request's host. */
static void
check_redirect_url(const struct config *cf, struct conf_diag *diag)
{
	const char	*u = cf->redirect_url;

	if (!conf_isset(u))
		return;
	if (u[0] == '/' && u[1] != '/')
		return;
	if (strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0)
		conf_error(diag, "redirect_url: must be an http(s) URL or a "
		    "path");
}

/* extra_jwt_issuers: "issuer=audience", the issuer an IdP URL. */
static void
check_extra_issuers(const struct config *cf, struct conf_diag *diag)
{
	const struct conf_list	*l = &cf->extra_jwt_issuers;
	const char		*eq, *why;
	char			 iss[IDP_URL_MAX + 1];
	size_t			 i;

	if (l->n > CONF_EXTRA_ISSUERS_MAX)
		conf_error(diag, "extra_jwt_issuers: at most %d",
		    CONF_EXTRA_ISSUERS_MAX);
	for (i = 0; i < l->n; i++) {
		eq = strchr(l->v[i], '=');
		if (eq == NULL || eq[1] == '\0' ||
		    (size_t)(eq - l->v[i]) > IDP_URL_MAX) {
			conf_error(diag, "extra_jwt_issuers: \"%s\": want "
			    "issuer=audience", l->v[i]);
			continue;
		}
		snprintf(iss, sizeof(iss), "%.*s", (int)(eq - l->v[i]),
		    l->v[i]);
		if (!idp_url_ok(iss, &why))
			conf_error(diag, "extra_jwt_issuers: %s: %s", iss, why);
	}
}

void
conf_validate_signin(const struct config *cf, struct conf_diag *diag)
{
	check_extra_issuers(cf, diag);
	check_provider(cf, diag);
	check_cookie(cf, diag);
	check_redirect_url(cf, diag);
}
