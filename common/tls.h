/*
 * TLS contexts, built before the sandbox (they read certificate, key and
 * CA files): the server side of https_address, and the client side for
 * https upstreams.  The parent builds them too, to validate the config.
 */
#ifndef GH_TLS_H
#define GH_TLS_H

#include <openssl/ssl.h>

#include "config.h"

/*
 * tls_cert_file and tls_key_file; tls_min_version ("TLS1.2" default, or
 * "TLS1.3"); tls_cipher_suites (oauth2-proxy takes Go's names: map the
 * ones OpenSSL has, refuse the rest by name); ALPN offers only http/1.1.
 * NULL, with every problem reported through diag, on failure.
 */
SSL_CTX	*tls_server_ctx(const struct config *, struct conf_diag *);

/*
 * For https upstreams: peer verification on (unless
 * ssl_upstream_insecure_skip_verify) against the system bundle and
 * upstream_ca_files, loaded now since no file can be opened later.
 */
SSL_CTX	*tls_client_ctx(const struct config *, struct conf_diag *);

/* A client SSL for one upstream connection: SNI and host name checked. */
SSL	*tls_client_new(SSL_CTX *, const char *host);

#endif /* GH_TLS_H */
