/*
 * The config model: every oauth2-proxy key by name, gatehouse's own keys,
 * their types, defaults, and which child processes receive them.
 *
 * Only the parent parses config (file, environment, flags).  Children get
 * the keys of their role over the parent channel (config_compose_key /
 * config_recv_key) and never read a config file.
 */
#ifndef GH_CONFIG_H
#define GH_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "imsg.h"

enum conf_type {
	CONF_STRING,
	CONF_BOOL,
	CONF_INT,
	CONF_DURATION,		/* Go syntax ("168h", "1h30m"); stored in ns */
	CONF_LIST,		/* TOML array, repeated flag, comma list in env */
};

#define CONF_F_SECRET		0x01	/* never logged, wiped when freed */
#define CONF_F_OWN		0x02	/* gatehouse's own, not oauth2-proxy's */
#define CONF_F_UNSUPPORTED	0x04	/* known, refused: "not supported yet" */
#define CONF_F_DEPRECATED	0x08	/* accepted with a warning */

struct conf_key {
	const char	*name;		/* TOML key; env is OAUTH2_PROXY_<NAME> */
	const char	*flag;		/* long flag without "--" */
	enum conf_type	 type;
	unsigned	 flags;
	unsigned	 roles;		/* children that receive it (gh_role) */
	const char	*defval;	/* textual default, NULL for none */
	size_t		 off;		/* offsetof(struct config, field) */
};

struct conf_list {
	char		**v;
	size_t		  n;
};

struct config {
	/* Server: listeners, TLS, probes. */
	char		*http_address;
	char		*https_address;
	char		*tls_cert_file;
	char		*tls_key_file;
	char		*tls_min_version;
	struct conf_list tls_cipher_suites;
	char		*ping_path;
	char		*ready_path;

	/* Upstreams and proxying. */
	struct conf_list upstreams;
	int64_t		 flush_interval;	/* ns */
	int		 pass_host_header;
	int		 proxy_websockets;
	int		 ssl_upstream_insecure_skip_verify;
	int64_t		 upstream_timeout;	/* ns, to the response head */
	int		 disable_keep_alives;
	int		 skip_auth_strip_headers;	/* only true is safe */
	int		 reverse_proxy;
	char		*real_client_ip_header;
	struct conf_list trusted_proxy_ips;
	struct conf_list trusted_ips;
	char		*proxy_prefix;

	/* Requests that need no session. */
	struct conf_list skip_auth_routes;
	struct conf_list skip_auth_regex;
	int		 skip_auth_preflight;

	/* Who may pass, and what the upstream and the client learn of them. */
	struct conf_list email_domains;
	char		*authenticated_emails_file;	/* workers read it */
	struct conf_list allowed_groups;
	struct conf_list allowed_roles;		/* Keycloak: "role:" groups */
	int		 pass_basic_auth;
	char		*basic_auth_password;	/* workers: for upstreams */
	int		 pass_user_headers;
	int		 pass_access_token;
	int		 pass_authorization_header;
	int		 set_xauthrequest;
	int		 set_basic_auth;
	int		 set_authorization_header;
	int		 prefer_email_to_user;

	/* Request log. */
	int		 request_logging;
	char		*request_logging_format;
	struct conf_list exclude_logging_paths;
	int		 silence_ping_logging;
	char		*request_id_header;

	/* Provider: authd talks to it; workers only name it. */
	char		*provider;
	char		*provider_display_name;
	char		*client_id;
	char		*client_secret;		/* authd only */
	char		*client_secret_file;	/* parent reads it */
	struct conf_list provider_ca_files;	/* authd reads them */
	char		*oidc_issuer_url;
	int		 skip_oidc_discovery;
	char		*login_url;
	char		*redeem_url;
	char		*profile_url;
	char		*validate_url;		/* no effect with "oidc" */
	char		*oidc_jwks_url;
	char		*scope;
	char		*prompt;
	char		*approval_prompt;
	char		*acr_values;
	char		*code_challenge_method;
	char		*backend_logout_url;
	char		*oidc_email_claim;
	char		*oidc_groups_claim;
	char		*user_id_claim;
	struct conf_list oidc_extra_audiences;
	int		 insecure_oidc_allow_unverified_email;
	int		 insecure_oidc_skip_issuer_verification;
	int		 insecure_oidc_skip_nonce;

	/* Sign-in: where browsers go, and what they see. */
	char		*redirect_url;
	struct conf_list whitelist_domains;
	struct conf_list api_routes;
	int		 skip_provider_button;
	int		 skip_jwt_bearer_tokens;
	int		 bearer_token_login_fallback;
	struct conf_list extra_jwt_issuers;	/* "issuer=audience" */
#define CONF_EXTRA_ISSUERS_MAX	16
	int		 force_json_errors;
	char		*custom_templates_dir;
	char		*custom_sign_in_logo;
	char		*banner;
	char		*footer;

	/* Cookie: secrets go to sessiond only. */
	char		*cookie_name;
	char		*cookie_secret;
	char		*cookie_secret_file;
	struct conf_list cookie_secrets;	/* own: first seals, all open */
	struct conf_list cookie_domains;
	char		*cookie_path;
	int64_t		 cookie_expire;		/* ns; 0: browser session */
	int64_t		 cookie_refresh;	/* ns; 0: never */
	int		 cookie_secure;
	int		 cookie_httponly;
	char		*cookie_samesite;
	int		 cookie_csrf_per_request;
	int64_t		 cookie_csrf_expire;	/* ns */
	char		*cookie_csrf_samesite;
	char		*session_store_type;
	int		 session_cookie_minimal;
	char		*redis_connection_url;
	char		*redis_username;
	char		*redis_password;
	int		 redis_use_sentinel;
	char		*redis_sentinel_master_name;
	struct conf_list redis_sentinel_connection_urls;
	char		*redis_sentinel_password;
	int		 redis_use_cluster;
	struct conf_list redis_cluster_connection_urls;
	char		*redis_ca_path;
	int		 redis_insecure_skip_tls_verify;
	int64_t		 redis_connection_idle_timeout;	/* seconds */
	char		*redis_key_prefix;	/* own */

	/* gatehouse's own keys. */
	int64_t		 workers;		/* 0: one per CPU */
	char		*proxy_user;
	char		*authd_user;
	char		*sessiond_user;
	char		*chroot_dir;
	int		 sandbox_debug;
	int64_t		 shutdown_timeout;	/* ns */
	char		*log_target;		/* stderr, syslog, file */
	char		*log_file;		/* pattern with %s: process name */
	char		*log_format;		/* text, json */
	char		*log_level;		/* error, warn, info, debug */

	/* gatehouse's own HTTP limits, per worker. */
	int64_t		 max_connections;
	int64_t		 max_header_bytes;	/* request line and headers */
	int64_t		 max_headers;
	int64_t		 max_uri_length;
	int64_t		 client_header_timeout;	/* ns, for a request head */
	int64_t		 client_idle_timeout;	/* ns, between requests */
	int64_t		 client_body_timeout;	/* ns, between body reads */
	int64_t		 upstream_connect_timeout;	/* ns */
	int64_t		 session_cache_ttl;	/* ns; 0: no cache */
	struct conf_list upstream_ca_files;
};

/* Options that exist only on the command line. */
struct conf_cli {
	const char	*config_file;	/* -c, --config */
	int		 test;		/* -n, --config-test */
	int		 version;	/* -V, --version */
	int		 help;		/* -h, --help */
	const char	*libexec_dir;	/* --libexec-dir */
};

/* Where errors go: each is one line "file:line: key: what was expected". */
struct conf_diag {
	void		(*report)(void *arg, const char *msg);
	void		*arg;
	int		 nerrors;
};

/*
 * The one way to report a config problem, from any module that checks a
 * part of the config (routes, upstreams, TLS, ...).  A warning does not
 * count as an error.  diag may be NULL: nothing is said, errors counted
 * nowhere.
 */
void	conf_error(struct conf_diag *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	conf_warn(struct conf_diag *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

void	config_init(struct config *);		/* all defaults */
void	config_free(struct config *);		/* wipes secrets */

/*
 * The whole load, in oauth2-proxy's precedence: flags over environment
 * over file over defaults; then secret files and systemd credentials,
 * then config_validate.  Returns 0, or -1 with every error reported.
 */
int	config_load(struct config *, struct conf_cli *, int argc, char **argv,
	    char *const *envp, struct conf_diag *);
int	config_parse_buffer(struct config *, const char *name, const char *buf,
	    size_t len, struct conf_diag *);
int	config_validate(struct config *, struct conf_diag *);

const struct conf_key	*config_keys(size_t *n);
const struct conf_key	*config_key_lookup(const char *name);

/* The config slice of one role, one IMSG_CONF_KEY message per key. */
int	config_compose_key(const struct config *, const struct conf_key *,
	    struct imsg_out *);
int	config_recv_key(struct config *, struct imsg_in *);

/* Duration text ("1h30m") to ns; -1 on error (a bare number is an error). */
int	config_parse_duration(const char *, int64_t *);

#endif /* GH_CONFIG_H */
