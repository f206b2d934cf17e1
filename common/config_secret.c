/*
 * Secrets that come from files: client_secret_file, cookie_secret_file
 * and systemd credentials, read by the parent during the load; and the
 * one key list sessiond gets.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"

#define CONF_CREDENTIALS_ENV	"CREDENTIALS_DIRECTORY"

/*
 * Reads a secret file into key k.  One trailing "\n" or "\r\n" is
 * dropped because editors add one; oauth2-proxy uses the file verbatim,
 * so a secret that really ends in a newline cannot come from a file.  A
 * NUL byte is refused: the secret is a C string (base64 a binary one).
 */
static void
secret_read(struct config *cf, const struct conf_key *k, const char *label,
    const char *path, int optional, struct conf_diag *diag)
{
	char	*buf;
	size_t	 len;

	if (conf_read_file(diag, label, path, CONF_MAX_SECRET, &buf, &len,
	    optional) != 0)
		return;
	if (len > 0 && buf[len - 1] == '\n') {
		buf[--len] = '\0';
		if (len > 0 && buf[len - 1] == '\r')
			buf[--len] = '\0';
	}
	if (memchr(buf, '\0', len) != NULL)
		conf_error(diag, "%s: contains a NUL byte", label);
	else if (conf_set_string(cf, k, buf) == -1)
		conf_error(diag, "%s: out of memory", label);
	explicit_bzero(buf, len);
	free(buf);
}

/*
 * The secret of key name: from the file that name_file points to, else,
 * when neither is set, from the systemd credential of the same name.
 */
static void
secret_load(struct config *cf, const char *name, const char *credsdir,
    struct conf_diag *diag)
{
	const struct conf_key	*k, *fk;
	const char		*file;
	char			 fname[CONF_MAX_WHERE], label[CONF_MAX_WHERE];
	char			 path[PATH_MAX];

	snprintf(fname, sizeof(fname), "%s_file", name);
	k = config_key_lookup(name);
	fk = config_key_lookup(fname);
	file = *CONF_STR(cf, fk);
	if (conf_isset(*CONF_STR(cf, k)) && conf_isset(file)) {
		conf_error(diag, "%s: cannot be used together with %s",
		    fk->name, k->name);
	} else if (conf_isset(file)) {
		snprintf(label, sizeof(label), "%s %.200s", fk->name, file);
		secret_read(cf, k, label, file, 0, diag);
	} else if (!conf_isset(*CONF_STR(cf, k)) && conf_isset(credsdir)) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", credsdir,
		    name) >= sizeof(path)) {
			conf_error(diag, "%s: path too long",
			    CONF_CREDENTIALS_ENV);
			return;
		}
		snprintf(label, sizeof(label), "credential %.200s", path);
		secret_read(cf, k, label, path, 1, diag);
	}
}

void
conf_secrets_load(struct config *cf, char *const *envp,
    struct conf_diag *diag)
{
	const char	*credsdir = conf_getenv(envp, CONF_CREDENTIALS_ENV);

	secret_load(cf, "client_secret", credsdir, diag);
	secret_load(cf, "cookie_secret", credsdir, diag);
}

/*
 * sessiond seals with the first of cookie_secrets and opens with any of
 * them.  cookie_secret, when set, is put first: an oauth2-proxy config
 * seals with its one secret, and cookie_secrets then lists the older
 * secrets that still open cookies during a rotation.  Without
 * cookie_secret the first of cookie_secrets seals.  A secret listed twice
 * stays twice; that only costs one more try when opening.
 */
int
conf_secrets_merge(struct config *cf, struct conf_diag *diag)
{
	struct conf_list	*l = &cf->cookie_secrets;
	char			*first;

	if (!conf_isset(cf->cookie_secret))
		return (0);
	if (conf_list_add(l, cf->cookie_secret) == -1) {
		conf_error(diag, "cookie_secrets: out of memory");
		return (-1);
	}
	first = l->v[l->n - 1];
	memmove(l->v + 1, l->v, (l->n - 1) * sizeof(*l->v));
	l->v[0] = first;
	return (0);
}
