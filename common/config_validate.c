/*
 * Startup validation: every rule is checked and every failure reported,
 * so one run of "gatehouse -n" lists all that is wrong.
 */
#include <stdio.h>
#include <string.h>

#include "config_priv.h"
#include "gatehouse.h"
#include "secret.h"

#define COOKIE_NAME_MAX	256

/* As sessiond will read it: 16, 24 or 32 bytes, raw or base64. */
static void
check_secret(struct conf_diag *diag, const char *what, const char *s)
{
	unsigned char	b[SECRET_BYTES_MAX];
	int		n = secret_bytes(s, b);

	explicit_bzero(b, sizeof(b));
	if (n == -1)
		conf_error(diag, "%s: must be 16, 24 or 32 bytes (raw, or "
		    "base64 of that), got %zu", what, strlen(s));
}

static void
check_secrets(const struct config *cf, struct conf_diag *diag)
{
	char	what[64];
	size_t	i;

	if (!conf_isset(cf->cookie_secret) && cf->cookie_secrets.n == 0)
		conf_error(diag, "cookie_secret: required (or "
		    "cookie_secret_file, or cookie_secrets)");
	if (conf_isset(cf->cookie_secret))
		check_secret(diag, "cookie_secret", cf->cookie_secret);
	/* cookie_secret joins cookie_secrets once the load is done. */
	if (cf->cookie_secrets.n + conf_isset(cf->cookie_secret) >
	    SECRET_KEYS_MAX)
		conf_error(diag, "cookie_secrets: at most %d secrets",
		    SECRET_KEYS_MAX);
	for (i = 0; i < cf->cookie_secrets.n; i++) {
		snprintf(what, sizeof(what), "cookie_secrets[%zu]", i);
		check_secret(diag, what, cf->cookie_secrets.v[i]);
	}
}

/* RFC 6265 cookie-name: an RFC 7230 token. */
static void
check_cookie_name(struct conf_diag *diag, const char *s)
{
	static const char	 tchar[] = "!#$%&'*+-.^_`|~0123456789"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

	if (!conf_isset(s) || strspn(s, tchar) != strlen(s))
		conf_error(diag, "cookie_name: not a valid cookie name");
	else if (strlen(s) > COOKIE_NAME_MAX)
		conf_error(diag, "cookie_name: longer than %d characters",
		    COOKIE_NAME_MAX);
}

static void
check_absolute(struct conf_diag *diag, const char *key, const char *s)
{
	if (s == NULL || s[0] != '/')
		conf_error(diag, "%s: must begin with \"/\"", key);
}

static void
check_nonempty(struct conf_diag *diag, const char *key, const char *s)
{
	if (!conf_isset(s))
		conf_error(diag, "%s: must not be empty", key);
}

/* set is NULL-terminated. */
static void
check_oneof(struct conf_diag *diag, const char *key, const char *s,
    const char *const *set)
{
	char	buf[CONF_MAX_WHERE] = "";
	size_t	i;

	for (i = 0; set[i] != NULL; i++) {
		if (s != NULL && strcmp(s, set[i]) == 0)
			return;
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
		    i == 0 ? "" : set[i + 1] == NULL ? " or " : ", ", set[i]);
	}
	conf_error(diag, "%s: must be %s", key, buf);
}

/* The pattern of the log files: one "%s", the process name. */
static void
check_log_file(struct conf_diag *diag, const char *s)
{
	int	n = 0, bad = s == NULL;

	for (; !bad && *s != '\0'; s++) {
		if (*s != '%')
			continue;
		bad = *++s != 's';
		n++;
	}
	if (bad || n != 1)
		conf_error(diag, "log_file: must contain \"%%s\" once, and no "
		    "other \"%%\"");
}

int
config_validate(struct config *cf, struct conf_diag *diag)
{
	static const char *const targets[] = { "stderr", "syslog", "file",
	    NULL };
	static const char *const formats[] = { "text", "json", NULL };
	static const char *const levels[] = { "error", "warn", "info", "debug",
	    NULL };
	int	nerrors = diag->nerrors;

	if (!conf_isset(cf->client_id))
		conf_error(diag, "client_id: required");
	/* As oauth2-proxy: who may sign in is never left to a default. */
	if (cf->email_domains.n == 0 &&
	    !conf_isset(cf->authenticated_emails_file))
		conf_error(diag, "email_domains: required, unless "
		    "authenticated_emails_file is set (\"*\" allows any "
		    "verified email)");
	check_secrets(cf, diag);
	check_cookie_name(diag, cf->cookie_name);
	check_absolute(diag, "ping_path", cf->ping_path);
	check_absolute(diag, "ready_path", cf->ready_path);
	check_absolute(diag, "chroot_dir", cf->chroot_dir);
	if (cf->workers < 0 || cf->workers > PROXY_MAX_WORKERS)
		conf_error(diag, "workers: must be between 0 (one per CPU) "
		    "and %d", PROXY_MAX_WORKERS);
	check_nonempty(diag, "proxy_user", cf->proxy_user);
	check_nonempty(diag, "authd_user", cf->authd_user);
	check_nonempty(diag, "sessiond_user", cf->sessiond_user);
	if (cf->shutdown_timeout <= 0)
		conf_error(diag, "shutdown_timeout: must be more than 0");
	check_oneof(diag, "log_target", cf->log_target, targets);
	check_oneof(diag, "log_format", cf->log_format, formats);
	check_oneof(diag, "log_level", cf->log_level, levels);
	check_log_file(diag, cf->log_file);
	conf_validate_http(cf, diag);
	conf_validate_signin(cf, diag);
	return (diag->nerrors == nerrors ? 0 : -1);
}
