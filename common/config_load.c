/*
 * The whole load in the parent: command line, environment, config file,
 * then secrets and validation.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_priv.h"

#define CONF_MAX_FLAG	128
#define CONF_OPEN_FLAGS	(O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)

/* The options that exist only on the command line. */
static const struct cli_opt {
	const char	*name;
	char		 shortname;
	int		 isbool;
	size_t		 off;
} cli_opts[] = {
	{ "config", 'c', 0, offsetof(struct conf_cli, config_file) },
	{ "config-test", 'n', 1, offsetof(struct conf_cli, test) },
	{ "version", 'V', 1, offsetof(struct conf_cli, version) },
	{ "help", 'h', 1, offsetof(struct conf_cli, help) },
	{ "libexec-dir", '\0', 0, offsetof(struct conf_cli, libexec_dir) },
};

/* oauth2-proxy's own command-line options that gatehouse lacks. */
static const char *const cli_unsupported[] = {
	"alpha-config",
	"convert-config-to-alpha",
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static int
read_fd(int fd, size_t max, char **bufp, size_t *lenp)
{
	char	*buf;
	size_t	 len = 0;
	ssize_t	 n;

	if ((buf = malloc(max + 1)) == NULL)
		return (-1);
	/* Read one byte more than allowed, to see a file that grew. */
	while (len <= max && (n = read(fd, buf + len, max + 1 - len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			explicit_bzero(buf, len);
			free(buf);
			return (-1);
		}
		len += n;
	}
	*bufp = buf;
	*lenp = len;
	return (0);
}

/*
 * Reads a regular file of at most max bytes; the buffer is NUL-terminated
 * past len.  Errors begin with label, which names the file.  Returns 0,
 * -1 with the error reported, or 1 when the file does not exist and
 * optional is set.
 */
int
conf_read_file(struct conf_diag *diag, const char *label, const char *path,
    size_t max, char **bufp, size_t *lenp, int optional)
{
	struct stat	sb;
	int		fd, r = -1;

	/* O_NONBLOCK: a FIFO must fail the check below, not hang the open. */
	if ((fd = open(path, CONF_OPEN_FLAGS)) == -1) {
		if (optional && errno == ENOENT)
			return (1);
		conf_error(diag, "%s: %s", label, strerror(errno));
		return (-1);
	}
	if (fstat(fd, &sb) == -1)
		conf_error(diag, "%s: %s", label, strerror(errno));
	else if (!S_ISREG(sb.st_mode))
		conf_error(diag, "%s: not a regular file", label);
	else if (sb.st_size > (off_t)max)
		conf_error(diag, "%s: larger than %zu bytes", label, max);
	else if (read_fd(fd, max, bufp, lenp) == -1)
		conf_error(diag, "%s: %s", label, strerror(errno));
	else if (*lenp > max) {
		conf_error(diag, "%s: larger than %zu bytes", label, max);
		explicit_bzero(*bufp, *lenp);
		free(*bufp);
	} else {
		(*bufp)[*lenp] = '\0';
		r = 0;
	}
	close(fd);
	return (r);
}

/* The first definition of name in envp, as getenv(3) finds it. */
const char *
conf_getenv(char *const *envp, const char *name)
{
	size_t	n = strlen(name);

	for (; envp != NULL && *envp != NULL; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return (*envp + n + 1);
	return (NULL);
}

static void
conf_file(struct conf_state *st, const char *path)
{
	char	*buf;
	size_t	 len;

	if (conf_read_file(st->diag, path, path, CONF_MAX_FILE, &buf, &len,
	    0) != 0)
		return;
	conf_toml_parse(st, path, buf, len);
	free(buf);
}

static void
env_name(char *buf, size_t len, const char *key)
{
	size_t	i;

	snprintf(buf, len, "%s%s", CONF_ENV_PREFIX, key);
	for (i = strlen(CONF_ENV_PREFIX); buf[i] != '\0'; i++)
		buf[i] = toupper((unsigned char)buf[i]);
}

/* OAUTH2_PROXY_<KEY> for every key, as viper reads it: empty is unset. */
static void
conf_env(struct conf_state *st, char *const *envp)
{
	const struct conf_key	*keys;
	const char		*v;
	char			 var[CONF_MAX_WHERE / 2], where[CONF_MAX_WHERE];
	size_t			 i, n;

	keys = config_keys(&n);
	for (i = 0; i < n; i++) {
		env_name(var, sizeof(var), keys[i].name);
		if ((v = conf_getenv(envp, var)) == NULL || *v == '\0')
			continue;
		snprintf(where, sizeof(where), "environment %s", var);
		conf_set_text(st, &keys[i], CONF_SRC_ENV, where, v);
	}
}

static const struct cli_opt *
cli_opt_find(const char *name, char shortname)
{
	size_t	i;

	for (i = 0; i < NITEMS(cli_opts); i++)
		if (name != NULL ? strcmp(cli_opts[i].name, name) == 0 :
		    cli_opts[i].shortname == shortname)
			return (&cli_opts[i]);
	return (NULL);
}

static void
cli_set(struct conf_diag *diag, struct conf_cli *cli, const struct cli_opt *o,
    const char *where, const char *v)
{
	int	b;

	if (!o->isbool)
		*(const char **)(void *)((char *)cli + o->off) = v;
	else if (conf_parse_bool(v, &b) == 0)
		*(int *)(void *)((char *)cli + o->off) = b;
	else
		conf_error(diag, "%s: expected true or false, got \"%.64s\"",
		    where, v);
}

static void
flag_unknown(struct conf_diag *diag, const char *where, const char *name)
{
	const struct conf_key	*k;
	size_t			 i;

	for (i = 0; i < NITEMS(cli_unsupported); i++)
		if (strcmp(name, cli_unsupported[i]) == 0) {
			conf_error(diag, "%s: not supported yet by gatehouse",
			    where);
			return;
		}
	if ((k = conf_key_suggest(name)) != NULL)
		conf_error(diag, "%s: unknown flag; did you mean --%s?", where,
		    k->flag);
	else
		conf_error(diag, "%s: unknown flag", where);
}

/* One command-line option, resolved. */
struct flag {
	const struct cli_opt	*opt;
	const struct conf_key	*key;
	const char		*value;		/* the "=value" part, if any */
	char			 where[CONF_MAX_WHERE];
};

/* Finds the option of "--name[=value]" or "-c"; -1 when there is none. */
static int
flag_parse(struct conf_diag *diag, const char *arg, struct flag *f)
{
	char	name[CONF_MAX_FLAG];
	size_t	n;

	memset(f, 0, sizeof(*f));
	if (arg[0] == '-' && arg[1] != '-' && arg[1] != '\0' &&
	    arg[2] == '\0') {
		snprintf(f->where, sizeof(f->where), "flag %s", arg);
		if ((f->opt = cli_opt_find(NULL, arg[1])) != NULL)
			return (0);
		conf_error(diag, "%s: unknown flag", f->where);
		return (-1);
	}
	if (arg[0] != '-' || arg[1] != '-' || arg[2] == '\0') {
		conf_error(diag, "\"%.64s\": unexpected argument", arg);
		return (-1);
	}
	n = strcspn(arg + 2, "=");
	if (arg[2 + n] == '=')
		f->value = arg + 3 + n;
	snprintf(name, sizeof(name), "%.*s", (int)n, arg + 2);
	snprintf(f->where, sizeof(f->where), "flag --%s", name);
	if (n < sizeof(name) && ((f->opt = cli_opt_find(name, 0)) != NULL ||
	    (f->key = conf_key_by_flag(name)) != NULL))
		return (0);
	flag_unknown(diag, f->where, name);
	return (-1);
}

/*
 * The option at argv[i]: "--name=value", "--name value", a bare bool
 * "--name", or a short option "-c FILE".  Returns the index of the last
 * argument it used.
 */
static int
conf_flag(struct conf_state *st, struct conf_cli *cli, int argc,
    char **argv, int i)
{
	struct flag	f;
	int		isbool;

	if (flag_parse(st->diag, argv[i], &f) == -1)
		return (i);
	isbool = f.opt != NULL ? f.opt->isbool : f.key->type == CONF_BOOL;
	if (f.value == NULL && isbool)
		f.value = "true";
	else if (f.value == NULL && i + 1 < argc)
		f.value = argv[++i];
	else if (f.value == NULL) {
		conf_error(st->diag, "%s: needs a value", f.where);
		return (i);
	}
	if (f.opt != NULL)
		cli_set(st->diag, cli, f.opt, f.where, f.value);
	else
		conf_set_text(st, f.key, CONF_SRC_FLAG, f.where, f.value);
	return (i);
}

/*
 * cf comes from config_init.  --help and --version end the load early
 * (0, cf holds the flags seen), so that they work with any config.  A
 * load that failed leaves cf for config_free.
 */
int
config_load(struct config *cf, struct conf_cli *cli, int argc, char **argv,
    char *const *envp, struct conf_diag *diag)
{
	struct conf_state	st;
	int			i, nerrors = diag->nerrors;

	conf_state_init(&st, cf, diag);
	memset(cli, 0, sizeof(*cli));
	for (i = 1; i < argc; i++)
		i = conf_flag(&st, cli, argc, argv, i);
	if (diag->nerrors == nerrors && (cli->help || cli->version))
		return (0);
	conf_env(&st, envp);
	if (cli->config_file != NULL)
		conf_file(&st, cli->config_file);
	if (diag->nerrors != nerrors)
		return (-1);
	conf_secrets_load(cf, envp, diag);
	if (diag->nerrors != nerrors || config_validate(cf, diag) == -1)
		return (-1);
	return (conf_secrets_merge(cf, diag));
}
