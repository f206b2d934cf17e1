/*
 * The key table: every oauth2-proxy key (v7.15) by its TOML name, its flag,
 * type and default, then gatehouse's own keys.  A key without a field in
 * struct config is CONF_F_UNSUPPORTED: gatehouse knows it and refuses it
 * by name rather than as a typo.  A supported list key has no default
 * (config_init cannot allocate).
 */
#include <stddef.h>
#include <string.h>

#include "config_priv.h"
#include "gatehouse.h"

#define S	CONF_STRING
#define B	CONF_BOOL
#define I	CONF_INT
#define D	CONF_DURATION
#define L	CONF_LIST
#define SEC	CONF_F_SECRET
#define DEP	CONF_F_DEPRECATED
#define PROXY	ROLE_PROXY
#define AUTHD	ROLE_AUTHD
#define SESSD	ROLE_SESSIOND

/* A supported key: its field in struct config has the key's name. */
#define K(name, flag, type, fl, roles, def)				\
	{ #name, flag, type, fl, roles, def, offsetof(struct config, name) }
/* A gatehouse key. */
#define G(name, flag, type, fl, roles, def)				\
	K(name, flag, type, (fl) | CONF_F_OWN, roles, def)
/* An oauth2-proxy key gatehouse refuses for now. */
#define U(name, flag, type, fl, def)					\
	{ #name, flag, type, (fl) | CONF_F_UNSUPPORTED, 0, def, 0 }

static const struct conf_key conf_keys[] = {
	/* Provider, general. */
	K(provider, "provider", S, 0, PROXY | AUTHD, "google"),
	K(provider_display_name, "provider-display-name", S, 0, PROXY, NULL),
	K(client_id, "client-id", S, 0, AUTHD, NULL),
	K(client_secret, "client-secret", S, SEC, AUTHD, NULL),
	K(client_secret_file, "client-secret-file", S, 0, 0, NULL),
	K(provider_ca_files, "provider-ca-file", L, 0, AUTHD, NULL),
	U(use_system_trust_store, "use-system-trust-store", B, 0, "false"),
	U(ssl_insecure_skip_verify, "ssl-insecure-skip-verify", B, 0, "false"),
	K(login_url, "login-url", S, 0, AUTHD, NULL),
	K(redeem_url, "redeem-url", S, 0, AUTHD, NULL),
	K(profile_url, "profile-url", S, 0, AUTHD, NULL),
	/* Read by no child: oauth2-proxy's oidc provider never calls it either. */
	K(validate_url, "validate-url", S, 0, 0, NULL),
	U(resource, "resource", S, 0, NULL),
	K(scope, "scope", S, 0, AUTHD, "openid email profile"),
	K(prompt, "prompt", S, 0, AUTHD, ""),
	K(approval_prompt, "approval-prompt", S, DEP, AUTHD, "force"),
	K(acr_values, "acr-values", S, 0, AUTHD, ""),
	U(auth_request_response_mode, "auth-request-response-mode", S, 0, ""),
	K(code_challenge_method, "code-challenge-method", S, 0, AUTHD, ""),
	U(force_code_challenge_method, "force-code-challenge-method", S, DEP,
	    ""),
	U(skip_claims_from_profile_url, "skip-claims-from-profile-url", B, 0,
	    "false"),
	K(backend_logout_url, "backend-logout-url", S, 0, AUTHD, NULL),
	K(allowed_groups, "allowed-group", L, 0, PROXY, NULL),
	K(allowed_roles, "allowed-role", L, 0, PROXY, NULL),
	K(user_id_claim, "user-id-claim", S, DEP, AUTHD, NULL),

	/* Provider, OIDC. */
	K(oidc_issuer_url, "oidc-issuer-url", S, 0, AUTHD, NULL),
	K(skip_oidc_discovery, "skip-oidc-discovery", B, 0, AUTHD, "false"),
	K(oidc_jwks_url, "oidc-jwks-url", S, 0, AUTHD, NULL),
	U(oidc_public_key_files, "oidc-public-key-file", L, 0, NULL),
	K(oidc_email_claim, "oidc-email-claim", S, 0, AUTHD, "email"),
	K(oidc_groups_claim, "oidc-groups-claim", S, 0, AUTHD, "groups"),
	U(oidc_audience_claims, "oidc-audience-claim", L, 0, "aud"),
	K(oidc_extra_audiences, "oidc-extra-audience", L, 0, AUTHD, NULL),
	U(oidc_enabled_signing_algs, "oidc-enabled-signing-alg", L, 0, NULL),
	K(insecure_oidc_allow_unverified_email,
	    "insecure-oidc-allow-unverified-email", B, 0, AUTHD, "false"),
	K(insecure_oidc_skip_issuer_verification,
	    "insecure-oidc-skip-issuer-verification", B, 0, AUTHD,
	    "false"),
	/* oauth2-proxy: "true".  gatehouse always sends a nonce and checks it. */
	K(insecure_oidc_skip_nonce, "insecure-oidc-skip-nonce", B, 0, AUTHD,
	    "false"),

	/* Provider, specific. */
	U(azure_tenant, "azure-tenant", S, 0, "common"),
	U(azure_graph_group_field, "azure-graph-group-field", S, 0, "id"),
	U(entra_id_allowed_tenants, "entra-id-allowed-tenant", L, 0, NULL),
	U(entra_id_federated_token_auth, "entra-id-federated-token-auth", B, 0,
	    "false"),
	U(bitbucket_team, "bitbucket-team", S, 0, NULL),
	U(bitbucket_repository, "bitbucket-repository", S, 0, NULL),
	U(github_org, "github-org", S, 0, NULL),
	U(github_team, "github-team", S, 0, NULL),
	U(github_repo, "github-repo", S, 0, NULL),
	U(github_token, "github-token", S, SEC, NULL),
	U(github_users, "github-user", L, 0, NULL),
	U(gitlab_groups, "gitlab-group", L, 0, NULL),
	U(gitlab_projects, "gitlab-project", L, 0, NULL),
	U(google_groups, "google-group", L, 0, NULL),
	/* The legacy key of the same flag; the flag finds the entry above. */
	U(google_group, "google-group", L, DEP, NULL),
	U(google_admin_email, "google-admin-email", S, 0, NULL),
	U(google_service_account_json, "google-service-account-json", S, 0,
	    NULL),
	U(google_use_application_default_credentials,
	    "google-use-application-default-credentials", B, 0, "false"),
	U(google_target_principal, "google-target-principal", S, 0, NULL),
	U(google_use_organization_id, "google-use-organization-id", B, 0,
	    "false"),
	U(google_admin_api_user_scope, "google-admin-api-user-scope", S, 0,
	    "readonly"),
	U(keycloak_groups, "keycloak-group", L, 0, NULL),
	U(jwt_key, "jwt-key", S, SEC, NULL),
	U(jwt_key_file, "jwt-key-file", S, 0, NULL),
	U(pubjwk_url, "pubjwk-url", S, 0, NULL),

	/* Cookie. */
	K(cookie_name, "cookie-name", S, 0, ROLE_CHILDREN, "_oauth2_proxy"),
	K(cookie_secret, "cookie-secret", S, SEC, SESSD, NULL),
	K(cookie_secret_file, "cookie-secret-file", S, 0, 0, NULL),
	K(cookie_domains, "cookie-domain", L, 0, PROXY, NULL),
	K(cookie_path, "cookie-path", S, 0, PROXY, "/"),
	K(cookie_expire, "cookie-expire", D, 0, PROXY | AUTHD | SESSD, "168h"),
	K(cookie_refresh, "cookie-refresh", D, 0, AUTHD, "0s"),
	K(cookie_secure, "cookie-secure", B, 0, PROXY, "true"),
	K(cookie_httponly, "cookie-httponly", B, 0, PROXY, "true"),
	K(cookie_samesite, "cookie-samesite", S, 0, PROXY, ""),
	K(cookie_csrf_per_request, "cookie-csrf-per-request", B, 0, PROXY,
	    "false"),
	U(cookie_csrf_per_request_limit, "cookie-csrf-per-request-limit", I, 0,
	    "0"),
	K(cookie_csrf_expire, "cookie-csrf-expire", D, 0, PROXY | AUTHD, "15m"),
	K(cookie_csrf_samesite, "cookie-csrf-samesite", S, 0, PROXY, ""),

	/* Session store, Redis. */
	K(session_store_type, "session-store-type", S, 0, SESSD, "cookie"),
	K(session_cookie_minimal, "session-cookie-minimal", B, 0, AUTHD,
	    "false"),
	K(redis_connection_url, "redis-connection-url", S, SEC, SESSD, NULL),
	K(redis_username, "redis-username", S, 0, SESSD, NULL),
	K(redis_password, "redis-password", S, SEC, SESSD, NULL),
	K(redis_use_sentinel, "redis-use-sentinel", B, 0, SESSD, "false"),
	K(redis_sentinel_master_name, "redis-sentinel-master-name", S, 0, SESSD,
	    NULL),
	K(redis_sentinel_connection_urls, "redis-sentinel-connection-urls", L,
	    0, SESSD, NULL),
	K(redis_sentinel_password, "redis-sentinel-password", S, SEC, SESSD,
	    NULL),
	K(redis_use_cluster, "redis-use-cluster", B, 0, SESSD, "false"),
	K(redis_cluster_connection_urls, "redis-cluster-connection-urls", L, 0,
	    SESSD, NULL),
	K(redis_ca_path, "redis-ca-path", S, 0, SESSD, NULL),
	K(redis_insecure_skip_tls_verify, "redis-insecure-skip-tls-verify", B,
	    0, SESSD, "false"),
	K(redis_connection_idle_timeout, "redis-connection-idle-timeout", I, 0,
	    SESSD, "0"),

	/* Upstreams, proxying. */
	K(upstreams, "upstream", L, 0, PROXY, NULL),
	K(flush_interval, "flush-interval", D, 0, PROXY, "1s"),
	K(pass_host_header, "pass-host-header", B, 0, PROXY, "true"),
	K(proxy_websockets, "proxy-websockets", B, 0, PROXY, "true"),
	K(ssl_upstream_insecure_skip_verify,
	    "ssl-upstream-insecure-skip-verify", B, 0, PROXY, "false"),
	K(upstream_timeout, "upstream-timeout", D, 0, PROXY, "30s"),
	K(disable_keep_alives, "disable-keep-alives", B, 0, PROXY, "false"),
	U(signature_key, "signature-key", S, SEC | DEP, NULL),

	/* Header passing. */
	K(pass_basic_auth, "pass-basic-auth", B, 0, PROXY, "true"),
	K(basic_auth_password, "basic-auth-password", S, SEC, PROXY, NULL),
	K(pass_user_headers, "pass-user-headers", B, 0, PROXY, "true"),
	K(pass_access_token, "pass-access-token", B, 0, PROXY, "false"),
	K(pass_authorization_header, "pass-authorization-header", B, 0,
	    PROXY, "false"),
	K(set_xauthrequest, "set-xauthrequest", B, 0, PROXY, "false"),
	K(set_basic_auth, "set-basic-auth", B, 0, PROXY, "false"),
	K(set_authorization_header, "set-authorization-header", B, 0, PROXY,
	    "false"),
	K(prefer_email_to_user, "prefer-email-to-user", B, 0, PROXY, "false"),
	K(skip_auth_strip_headers, "skip-auth-strip-headers", B, 0, PROXY,
	    "true"),

	/* Authorization, allow-lists, proxy behaviour. */
	K(email_domains, "email-domain", L, 0, PROXY, NULL),
	K(authenticated_emails_file, "authenticated-emails-file", S, 0, PROXY,
	    NULL),
	U(htpasswd_file, "htpasswd-file", S, 0, NULL),
	U(htpasswd_user_groups, "htpasswd-user-group", L, 0, NULL),
	K(whitelist_domains, "whitelist-domain", L, 0, PROXY, NULL),
	K(skip_auth_routes, "skip-auth-route", L, 0, PROXY, NULL),
	K(skip_auth_regex, "skip-auth-regex", L, DEP, PROXY, NULL),
	K(skip_auth_preflight, "skip-auth-preflight", B, 0, PROXY, "false"),
	K(skip_jwt_bearer_tokens, "skip-jwt-bearer-tokens", B, 0, PROXY,
	    "false"),
	K(bearer_token_login_fallback, "bearer-token-login-fallback", B, 0,
	    PROXY, "true"),
	K(extra_jwt_issuers, "extra-jwt-issuers", L, 0, AUTHD, NULL),
	K(api_routes, "api-route", L, 0, PROXY, NULL),
	K(trusted_ips, "trusted-ip", L, 0, PROXY, NULL),
	K(skip_provider_button, "skip-provider-button", B, 0, PROXY, "false"),
	K(force_json_errors, "force-json-errors", B, 0, PROXY, "false"),
	U(encode_state, "encode-state", B, 0, "false"),
	U(allow_query_semicolons, "allow-query-semicolons", B, 0, "false"),
	K(reverse_proxy, "reverse-proxy", B, 0, PROXY, "false"),
	K(real_client_ip_header, "real-client-ip-header", S, 0, PROXY,
	    "X-Real-IP"),
	/* Unset: loopback only, where oauth2-proxy trusts every peer. */
	K(trusted_proxy_ips, "trusted-proxy-ip", L, 0, PROXY, NULL),
	K(redirect_url, "redirect-url", S, 0, PROXY, NULL),
	U(relative_redirect_url, "relative-redirect-url", B, 0, "false"),
	K(proxy_prefix, "proxy-prefix", S, 0, PROXY, "/oauth2"),
	U(force_https, "force-https", B, 0, "false"),

	/* Probes. */
	K(ping_path, "ping-path", S, 0, PROXY, "/ping"),
	U(ping_user_agent, "ping-user-agent", S, 0, ""),
	K(ready_path, "ready-path", S, 0, PROXY, "/ready"),
	U(gcp_healthchecks, "gcp-healthchecks", B, DEP, "false"),

	/* Logging. */
	U(standard_logging, "standard-logging", B, 0, "true"),
	U(standard_logging_format, "standard-logging-format", S, 0,
	    "[{{.Timestamp}}] [{{.File}}] {{.Message}}"),
	U(auth_logging, "auth-logging", B, 0, "true"),
	U(auth_logging_format, "auth-logging-format", S, 0,
	    "{{.Client}} - {{.RequestID}} - {{.Username}} [{{.Timestamp}}] "
	    "[{{.Status}}] {{.Message}}"),
	K(request_logging, "request-logging", B, 0, PROXY, "true"),
	K(request_logging_format, "request-logging-format", S, 0, PROXY,
	    "{{.Client}} - {{.RequestID}} - {{.Username}} [{{.Timestamp}}] "
	    "{{.Host}} {{.RequestMethod}} {{.Upstream}} {{.RequestURI}} "
	    "{{.Protocol}} {{.UserAgent}} {{.StatusCode}} {{.ResponseSize}} "
	    "{{.RequestDuration}}"),
	U(errors_to_info_log, "errors-to-info-log", B, 0, "false"),
	K(exclude_logging_paths, "exclude-logging-path", L, 0, PROXY, NULL),
	K(silence_ping_logging, "silence-ping-logging", B, 0, PROXY, "false"),
	K(request_id_header, "request-id-header", S, 0, PROXY,
	    "X-Request-Id"),
	U(logging_local_time, "logging-local-time", B, 0, "true"),
	U(logging_filename, "logging-filename", S, 0, ""),
	U(logging_max_size, "logging-max-size", I, 0, "100"),
	U(logging_max_age, "logging-max-age", I, 0, "7"),
	U(logging_max_backups, "logging-max-backups", I, 0, "0"),
	U(logging_compress, "logging-compress", B, 0, "false"),

	/* Sign-in and error page templates. */
	K(custom_templates_dir, "custom-templates-dir", S, 0, PROXY, NULL),
	K(custom_sign_in_logo, "custom-sign-in-logo", S, 0, PROXY, NULL),
	K(banner, "banner", S, 0, PROXY, NULL),
	K(footer, "footer", S, 0, PROXY, NULL),
	U(display_htpasswd_form, "display-htpasswd-form", B, 0, "true"),
	U(show_debug_on_error, "show-debug-on-error", B, 0, "false"),

	/* Server, TLS, metrics. */
	K(http_address, "http-address", S, 0, 0, "127.0.0.1:4180"),
	K(https_address, "https-address", S, 0, 0, ":443"),
	/* The workers load certificate and key before their sandbox. */
	K(tls_cert_file, "tls-cert-file", S, 0, PROXY, NULL),
	K(tls_key_file, "tls-key-file", S, 0, PROXY, NULL),
	K(tls_min_version, "tls-min-version", S, 0, PROXY, ""),
	K(tls_cipher_suites, "tls-cipher-suite", L, 0, PROXY, NULL),
	U(metrics_address, "metrics-address", S, 0, ""),
	U(metrics_secure_address, "metrics-secure-address", S, 0, ""),
	U(metrics_tls_cert_file, "metrics-tls-cert-file", S, 0, NULL),
	U(metrics_tls_key_file, "metrics-tls-key-file", S, 0, NULL),

	/* gatehouse's own. */
	G(cookie_secrets, "cookie-secrets", L, SEC, SESSD, NULL),
	G(workers, "workers", I, 0, 0, "0"),
	G(proxy_user, "proxy-user", S, 0, PROXY, "gatehouse-proxy"),
	G(authd_user, "authd-user", S, 0, AUTHD, "gatehouse-auth"),
	G(sessiond_user, "sessiond-user", S, 0, SESSD, "gatehouse-session"),
	G(chroot_dir, "chroot-dir", S, 0, ROLE_CHILDREN,
	    "/var/empty/gatehouse"),
	G(sandbox_debug, "sandbox-debug", B, 0, ROLE_CHILDREN, "false"),
	G(shutdown_timeout, "shutdown-timeout", D, 0, PROXY, "30s"),
	G(log_target, "log-target", S, 0, ROLE_CHILDREN, "stderr"),
	G(log_file, "log-file", S, 0, 0, "/var/log/gatehouse/%s.log"),
	G(log_format, "log-format", S, 0, ROLE_CHILDREN, "text"),
	G(log_level, "log-level", S, 0, ROLE_CHILDREN, "info"),
	G(max_connections, "max-connections", I, 0, PROXY, "4096"),
	G(max_header_bytes, "max-header-bytes", I, 0, PROXY, "32768"),
	G(max_headers, "max-headers", I, 0, PROXY, "100"),
	G(max_uri_length, "max-uri-length", I, 0, PROXY, "8192"),
	G(client_header_timeout, "client-header-timeout", D, 0, PROXY, "10s"),
	G(client_idle_timeout, "client-idle-timeout", D, 0, PROXY, "60s"),
	G(client_body_timeout, "client-body-timeout", D, 0, PROXY, "60s"),
	G(upstream_connect_timeout, "upstream-connect-timeout", D, 0, PROXY,
	    "10s"),
	G(session_cache_ttl, "session-cache-ttl", D, 0, PROXY, "1s"),
	G(redis_key_prefix, "redis-key-prefix", S, 0, SESSD, "gatehouse:"),
	/* Read by the workers before their sandbox, like the system store. */
	G(upstream_ca_files, "upstream-ca-file", L, 0, PROXY, NULL),
};

#undef S
#undef B
#undef I
#undef D
#undef L
#undef SEC
#undef DEP
#undef PROXY
#undef AUTHD
#undef SESSD
#undef K
#undef G
#undef U

#define NKEYS	(sizeof(conf_keys) / sizeof(conf_keys[0]))

_Static_assert(NKEYS <= CONF_MAX_KEYS, "raise CONF_MAX_KEYS");

const struct conf_key *
config_keys(size_t *n)
{
	*n = NKEYS;
	return (conf_keys);
}

const struct conf_key *
config_key_lookup(const char *name)
{
	size_t	i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(conf_keys[i].name, name) == 0)
			return (&conf_keys[i]);
	return (NULL);
}

size_t
conf_key_index(const struct conf_key *k)
{
	return ((size_t)(k - conf_keys));
}

/* The first key of a flag: --google-group finds google_groups. */
const struct conf_key *
conf_key_by_flag(const char *flag)
{
	size_t	i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(conf_keys[i].flag, flag) == 0)
			return (&conf_keys[i]);
	return (NULL);
}

/* Whether a and b are equal once every '-' is read as '_'. */
static int
same_words(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if (*a != *b && !(*a == '-' && *b == '_') &&
		    !(*a == '_' && *b == '-'))
			return (0);
	return (*a == *b);
}

/*
 * The key a wrong name probably meant: the usual slips are a flag name
 * in the file ("upstream" for "upstreams") or a key name as a flag, with
 * dashes and underscores mixed up either way.
 */
const struct conf_key *
conf_key_suggest(const char *name)
{
	size_t	i;

	for (i = 0; i < NKEYS; i++)
		if (same_words(name, conf_keys[i].name) ||
		    same_words(name, conf_keys[i].flag))
			return (&conf_keys[i]);
	return (NULL);
}
