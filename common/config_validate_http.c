/*
 * Startup validation of the HTTP keys: listeners and TLS, proxying, the
 * request log, and gatehouse's own limits.  What needs a library (regexes,
 * CIDRs, upstream URLs, log templates, certificates) is checked by the
 * parent with the code the workers use, so that the config model links
 * nothing but libc.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "config_priv.h"

#define MAX_CONNECTIONS		1000000
#define MIN_HEADER_BYTES	1024
#define MAX_HEADER_BYTES	(1024 * 1024)
#define MAX_HEADERS		1000
#define MIN_URI_LENGTH		256

/* RFC 9110 tchar, the characters of a header name. */
static const char	tchar[] = "!#$%&'*+-.^_`|~0123456789"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static void
check_range(struct conf_diag *diag, const char *key, int64_t v, int64_t lo,
    int64_t hi)
{
	if (v < lo || v > hi)
		conf_error(diag, "%s: must be between %lld and %lld", key,
		    (long long)lo, (long long)hi);
}

static void
check_positive(struct conf_diag *diag, const char *key, int64_t ns)
{
	if (ns <= 0)
		conf_error(diag, "%s: must be more than 0", key);
}

/* oauth2-proxy's set, compared without case as header names are. */
static void
check_real_ip_header(struct conf_diag *diag, const char *s)
{
	static const char *const names[] = { "X-Forwarded-For", "X-Real-IP",
	    "X-ProxyUser-IP", "X-Envoy-External-Address", "CF-Connecting-IP" };
	size_t	i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (s != NULL && strcasecmp(s, names[i]) == 0)
			return;
	conf_error(diag, "real_client_ip_header: must be X-Forwarded-For, "
	    "X-Real-IP, X-ProxyUser-IP, X-Envoy-External-Address or "
	    "CF-Connecting-IP");
}

/*
 * The prefix of gatehouse's own endpoints ("/oauth2"): compared with
 * request paths as they are sent, so it must look like one.
 */
static void
check_proxy_prefix(struct conf_diag *diag, const char *s)
{
	size_t	n, i;

	if (s == NULL || s[0] != '/') {
		conf_error(diag, "proxy_prefix: must begin with \"/\"");
		return;
	}
	n = strlen(s);
	if (s[n - 1] == '/')
		conf_error(diag, "proxy_prefix: must not end with \"/\"");
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f ||
		    s[i] == '?' || s[i] == '#' || s[i] == '%') {
			conf_error(diag, "proxy_prefix: must not contain "
			    "spaces, control characters, non-ASCII bytes, "
			    "'?', '#' or '%%'");
			return;
		}
	}
}

static void
check_header_name(struct conf_diag *diag, const char *key, const char *s)
{
	if (!conf_isset(s) || strspn(s, tchar) != strlen(s))
		conf_error(diag, "%s: not a valid header name", key);
}

/*
 * The listeners: a certificate and key make the HTTPS listener, and, as
 * in oauth2-proxy's legacy configuration, turn the plain one off.
 */
static void
check_tls(const struct config *cf, struct conf_diag *diag)
{
	const char	*v = cf->tls_min_version;

	if (conf_isset(cf->tls_cert_file) != conf_isset(cf->tls_key_file))
		conf_error(diag, "tls_cert_file and tls_key_file: must be "
		    "given together");
	if (v != NULL && *v != '\0' && strcmp(v, "TLS1.2") != 0 &&
	    strcmp(v, "TLS1.3") != 0)
		conf_error(diag, "tls_min_version: must be TLS1.2 or TLS1.3");
}

static void
check_limits(const struct config *cf, struct conf_diag *diag)
{
	check_range(diag, "max_connections", cf->max_connections, 1,
	    MAX_CONNECTIONS);
	check_range(diag, "max_header_bytes", cf->max_header_bytes,
	    MIN_HEADER_BYTES, MAX_HEADER_BYTES);
	check_range(diag, "max_headers", cf->max_headers, 1, MAX_HEADERS);
	/* The request line is part of the head, so is the URI. */
	if (cf->max_uri_length < MIN_URI_LENGTH ||
	    cf->max_uri_length > cf->max_header_bytes)
		conf_error(diag, "max_uri_length: must be between %d and "
		    "max_header_bytes (%lld)", MIN_URI_LENGTH,
		    (long long)cf->max_header_bytes);
	check_positive(diag, "flush_interval", cf->flush_interval);
	check_positive(diag, "upstream_timeout", cf->upstream_timeout);
	check_positive(diag, "client_header_timeout",
	    cf->client_header_timeout);
	check_positive(diag, "client_idle_timeout", cf->client_idle_timeout);
	check_positive(diag, "client_body_timeout", cf->client_body_timeout);
	check_positive(diag, "upstream_connect_timeout",
	    cf->upstream_connect_timeout);
}

void
conf_validate_http(const struct config *cf, struct conf_diag *diag)
{
	check_tls(cf, diag);
	check_limits(cf, diag);
	check_real_ip_header(diag, cf->real_client_ip_header);
	check_proxy_prefix(diag, cf->proxy_prefix);
	check_header_name(diag, "request_id_header", cf->request_id_header);
	/*
	 * Left to oauth2-proxy's option, a client could send the identity
	 * headers that upstreams believe.
	 */
	if (!cf->skip_auth_strip_headers)
		conf_error(diag, "skip_auth_strip_headers = false would let "
		    "clients send identity headers upstream: not supported");
	if (cf->trusted_ips.n > 0 && cf->reverse_proxy)
		conf_warn(diag, "trusted_ips with reverse_proxy: the address "
		    "matched is the one real_client_ip_header gives, which "
		    "the proxies of trusted_proxy_ips control");
}
