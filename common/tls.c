/*
 * TLS contexts with OpenSSL 3: the server side of https_address and the
 * client side for https upstreams.  Every file is read here, before the
 * sandbox: the certificate chain and key, the system CA bundle (as one
 * file, never the hashed directory, which OpenSSL reads lazily) and
 * upstream_ca_files.
 */
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "tls.h"

#define TLS_MSG_MAX		512
#define TLS_LIST_MAX		1024	/* a joined OpenSSL cipher list */
#define SYSTEM_CA_FALLBACK	"/etc/ssl/certs/ca-certificates.crt"

/* ALPN: gatehouse speaks HTTP/1.1 only. */
static const unsigned char	alpn_http11[] = "\x08http/1.1";

/*
 * Go's cipher suite names, as oauth2-proxy takes them, and OpenSSL's
 * names for them.  TLS 1.3 suites have the same (IANA) name in both.
 * RC4 and 3DES, which Go still accepts by name, are refused.
 */
static const struct {
	const char	*go;
	const char	*openssl;	/* NULL: a TLS 1.3 suite */
	int		 refused;
} suites[] = {
	{ "TLS_AES_128_GCM_SHA256", NULL, 0 },
	{ "TLS_AES_256_GCM_SHA384", NULL, 0 },
	{ "TLS_CHACHA20_POLY1305_SHA256", NULL, 0 },
	{ "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
	    "ECDHE-ECDSA-AES128-GCM-SHA256", 0 },
	{ "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	    "ECDHE-RSA-AES128-GCM-SHA256", 0 },
	{ "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
	    "ECDHE-ECDSA-AES256-GCM-SHA384", 0 },
	{ "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	    "ECDHE-RSA-AES256-GCM-SHA384", 0 },
	{ "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
	    "ECDHE-ECDSA-CHACHA20-POLY1305", 0 },
	{ "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
	    "ECDHE-RSA-CHACHA20-POLY1305", 0 },
	{ "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA", 0 },
	{ "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA", 0 },
	{ "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA", 0 },
	{ "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA", 0 },
	{ "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
	    "ECDHE-ECDSA-AES128-SHA256", 0 },
	{ "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
	    "ECDHE-RSA-AES128-SHA256", 0 },
	{ "TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256", 0 },
	{ "TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384", 0 },
	{ "TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA", 0 },
	{ "TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA", 0 },
	{ "TLS_RSA_WITH_AES_128_CBC_SHA256", "AES128-SHA256", 0 },
	{ "TLS_RSA_WITH_RC4_128_SHA", NULL, 1 },
	{ "TLS_RSA_WITH_3DES_EDE_CBC_SHA", NULL, 1 },
	{ "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", NULL, 1 },
	{ "TLS_ECDHE_RSA_WITH_RC4_128_SHA", NULL, 1 },
	{ "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", NULL, 1 },
};

/* TLS 1.2 without a list: Go's defaults, forward secret only. */
static const char	default_tls12[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:"
    "ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA";

/*
 * The most specific OpenSSL error of the queue (its first), such as "No
 * such file or directory" or "key values mismatch"; the queue is emptied.
 */
static const char *
tls_reason(void)
{
	static char	 buf[128];
	const char	*r;
	unsigned long	 e = ERR_get_error();

	if (e == 0)
		r = "unknown error";
	else if (ERR_SYSTEM_ERROR(e))
		r = strerror(ERR_GET_REASON(e));
	else if ((r = ERR_reason_error_string(e)) == NULL)
		r = "unknown error";
	snprintf(buf, sizeof(buf), "%s", r);
	ERR_clear_error();
	return buf;
}

static int
alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	(void)ssl;
	(void)arg;
	/* A client that offers no http/1.1 goes on without ALPN. */
	if (SSL_select_next_proto((unsigned char **)out, outlen, alpn_http11,
	    sizeof(alpn_http11) - 1, in, inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	return SSL_TLSEXT_ERR_OK;
}

static int
set_min_version(SSL_CTX *ctx, const char *v, struct conf_diag *diag)
{
	int	version;

	if (v == NULL || *v == '\0' || strcmp(v, "TLS1.2") == 0)
		version = TLS1_2_VERSION;
	else if (strcmp(v, "TLS1.3") == 0)
		version = TLS1_3_VERSION;
	else {
		conf_error(diag, "tls_min_version: must be TLS1.2 or TLS1.3");
		return -1;
	}
	if (!SSL_CTX_set_min_proto_version(ctx, version) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION)) {
		conf_error(diag, "tls_min_version: %s", tls_reason());
		return -1;
	}
	return 0;
}

/* Appends item to the ':'-separated list in buf; -1 when it is full. */
static int
list_append(char *buf, size_t size, const char *item)
{
	size_t	n = strlen(buf);
	int	r;

	r = snprintf(buf + n, size - n, "%s%s", n > 0 ? ":" : "", item);
	return (r < 0 || (size_t)r >= size - n) ? -1 : 0;
}

/* One Go name into the TLS 1.2 or the TLS 1.3 list; -1 if refused. */
static int
add_suite(SSL_CTX *ctx, const char *name, char *l12, char *l13,
    struct conf_diag *diag)
{
	size_t	i;

	for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (strcmp(suites[i].go, name) == 0)
			break;
	if (i == sizeof(suites) / sizeof(suites[0])) {
		conf_error(diag, "tls_cipher_suites: unknown cipher suite "
		    "\"%.64s\"", name);
		return -1;
	}
	if (suites[i].refused) {
		conf_error(diag, "tls_cipher_suites: %s is insecure (RC4 or "
		    "3DES): not supported by gatehouse", name);
		return -1;
	}
	if (suites[i].openssl == NULL)
		return list_append(l13, TLS_LIST_MAX, name);
	/* Whether this OpenSSL has it at all: it would drop it silently. */
	if (!SSL_CTX_set_cipher_list(ctx, suites[i].openssl)) {
		ERR_clear_error();
		conf_error(diag, "tls_cipher_suites: %s is not available in "
		    "this OpenSSL", name);
		return -1;
	}
	return list_append(l12, TLS_LIST_MAX, suites[i].openssl);
}

/*
 * As in Go, the list restricts TLS 1.2; unlike Go, TLS 1.3 suites named
 * in it restrict TLS 1.3 too (Go ignores them).  A list that leaves TLS
 * 1.2 without a suite needs tls_min_version TLS1.3.
 */
static int
set_suites(SSL_CTX *ctx, const struct config *cf, struct conf_diag *diag)
{
	char	l12[TLS_LIST_MAX] = "", l13[TLS_LIST_MAX] = "";
	size_t	i;
	int	bad = 0;

	for (i = 0; i < cf->tls_cipher_suites.n; i++)
		if (add_suite(ctx, cf->tls_cipher_suites.v[i], l12, l13,
		    diag) == -1)
			bad = 1;
	if (bad)
		return -1;
	if (cf->tls_cipher_suites.n == 0)
		snprintf(l12, sizeof(l12), "%s", default_tls12);
	if (l12[0] == '\0' && (cf->tls_min_version == NULL ||
	    strcmp(cf->tls_min_version, "TLS1.3") != 0)) {
		conf_error(diag, "tls_cipher_suites: names no TLS 1.2 suite: "
		    "add one, or set tls_min_version = \"TLS1.3\"");
		return -1;
	}
	if ((l12[0] != '\0' && !SSL_CTX_set_cipher_list(ctx, l12)) ||
	    (l13[0] != '\0' && !SSL_CTX_set_ciphersuites(ctx, l13))) {
		conf_error(diag, "tls_cipher_suites: %s", tls_reason());
		return -1;
	}
	return 0;
}

static int
load_cert(SSL_CTX *ctx, const struct config *cf, struct conf_diag *diag)
{
	if (SSL_CTX_use_certificate_chain_file(ctx, cf->tls_cert_file) != 1) {
		conf_error(diag, "tls_cert_file: %s: %s", cf->tls_cert_file,
		    tls_reason());
		return -1;
	}
	/* OpenSSL compares the key with the certificate as it loads it. */
	if (SSL_CTX_use_PrivateKey_file(ctx, cf->tls_key_file,
	    SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
		if (ERR_GET_REASON(ERR_peek_error()) ==
		    X509_R_KEY_VALUES_MISMATCH) {
			ERR_clear_error();
			conf_error(diag, "tls_key_file: %s: not the key of "
			    "tls_cert_file %s", cf->tls_key_file,
			    cf->tls_cert_file);
		} else
			conf_error(diag, "tls_key_file: %s: %s",
			    cf->tls_key_file, tls_reason());
		return -1;
	}
	return 0;
}

/*
 * No session resumption: each worker would hold its own ticket key and
 * cache, so a client coming back would mostly reach another worker, and
 * a long-lived ticket key weakens forward secrecy.  A full handshake
 * with ECDHE costs little.
 */
SSL_CTX *
tls_server_ctx(const struct config *cf, struct conf_diag *diag)
{
	SSL_CTX	*ctx;

	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		conf_error(diag, "tls: %s", tls_reason());
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET |
	    SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
	if (set_min_version(ctx, cf->tls_min_version, diag) == -1 ||
	    set_suites(ctx, cf, diag) == -1 || load_cert(ctx, cf, diag) == -1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/*
 * The system bundle, as one file read now.  Missing, it is an error only
 * when nothing else could verify an upstream.
 */
static int
load_system_ca(SSL_CTX *ctx, const struct config *cf, struct conf_diag *diag)
{
	const char	*path = X509_get_default_cert_file();

	if (access(path, R_OK) == -1)
		path = SYSTEM_CA_FALLBACK;
	if (SSL_CTX_load_verify_file(ctx, path) == 1)
		return 0;
	if (cf->ssl_upstream_insecure_skip_verify ||
	    cf->upstream_ca_files.n > 0) {
		ERR_clear_error();
		return 0;
	}
	conf_error(diag, "tls: system CA bundle %s: %s; set "
	    "upstream_ca_files for https upstreams", path, tls_reason());
	return -1;
}

SSL_CTX *
tls_client_ctx(const struct config *cf, struct conf_diag *diag)
{
	SSL_CTX	*ctx;
	size_t	 i;
	int	 bad = 0;

	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		conf_error(diag, "tls: %s", tls_reason());
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_verify(ctx, cf->ssl_upstream_insecure_skip_verify ?
	    SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
	/* SSL_CTX_set_alpn_protos returns 0 on success. */
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    SSL_CTX_set_alpn_protos(ctx, alpn_http11,
	    sizeof(alpn_http11) - 1) != 0) {
		conf_error(diag, "tls: %s", tls_reason());
		bad = 1;
	}
	if (load_system_ca(ctx, cf, diag) == -1)
		bad = 1;
	for (i = 0; i < cf->upstream_ca_files.n; i++) {
		if (SSL_CTX_load_verify_file(ctx,
		    cf->upstream_ca_files.v[i]) != 1) {
			conf_error(diag, "upstream_ca_files: %s: %s",
			    cf->upstream_ca_files.v[i], tls_reason());
			bad = 1;
		}
	}
	if (bad) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static int
is_ip_literal(const char *host)
{
	unsigned char	buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 ||
	    inet_pton(AF_INET6, host, buf) == 1;
}

/*
 * SNI is sent for a name only (RFC 6066 forbids an address); the
 * certificate is checked against the name, or the address, in its
 * subjectAltName.
 */
SSL *
tls_client_new(SSL_CTX *ctx, const char *host)
{
	SSL	*ssl;
	int	 ip = is_ip_literal(host), ok = 1;

	if ((ssl = SSL_new(ctx)) == NULL)
		return NULL;
	if (!ip && SSL_set_tlsext_host_name(ssl, host) != 1)
		ok = 0;
	if (ok && (SSL_CTX_get_verify_mode(ctx) & SSL_VERIFY_PEER)) {
		if (ip)
			ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl),
			    host) == 1;
		else {
			/* As Go: the subject's CN is no name. */
			SSL_set_hostflags(ssl,
			    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS |
			    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
			ok = SSL_set1_host(ssl, host) == 1;
		}
	}
	if (!ok) {
		SSL_free(ssl);
		ERR_clear_error();
		return NULL;
	}
	SSL_set_connect_state(ssl);
	return ssl;
}
