/*
 * Whether a URL may name an identity provider endpoint.
 *
 * Endpoints must be https:// URLs.  http:// is accepted only when the host
 * is a loopback address (127.0.0.0/8, ::1) or "localhost": the test suite
 * and `make demo` run their OpenID Provider on this machine without TLS,
 * and a loopback connection never leaves it.  Any other http:// endpoint,
 * user information in a URL, or a URL with spaces, control characters or
 * backslashes is refused.
 */
#ifndef GH_IDP_URL_H
#define GH_IDP_URL_H

#define IDP_URL_MAX	2048

/* 1 when acceptable; else 0 with *why set to a short reason. */
int	idp_url_ok(const char *url, const char **why);

#endif /* GH_IDP_URL_H */
