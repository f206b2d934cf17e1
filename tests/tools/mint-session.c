/*
 * mint-session: a test tool, never installed.  Seals a session cookie
 * value exactly as sessiond does (seal.c and session.c, the session
 * cookie's purpose, its name and expiry bound in) and prints it, so the
 * integration tests can make valid, expired, tampered, wrong-name and
 * old-key cookies without an identity provider.
 *
 *	mint-session --secret S [--secret OLD ...] [--name N]
 *	    [--expires-in SECONDS] [--expired] [--user U] [--email E]
 *	    [--preferred-username P] [--group G ...] [--id-token T]
 *	    [--access-token T] [--refresh-token T] [--refresh-in SECONDS]
 *	    [--minimal]
 *
 * The first secret seals, as in sessiond; the others are accepted so a
 * test can pass the same list it configures.  --expired seals a value
 * whose expiry passed a minute ago.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "seal.h"
#include "secret.h"
#include "session.h"

#define MINT_NAME_DEFAULT	"_oauth2_proxy"
#define MINT_EXPIRES_DEFAULT	3600
#define MINT_EXPIRED_AGO	60

struct mint {
	struct conf_list	 secrets;
	const char		*name;
	int64_t			 expires_in;
	int64_t			 refresh_in;
	int			 expired;
	int			 flags;		/* session_encode */
	struct session		 s;
};

enum {
	OPT_SECRET = 256, OPT_NAME, OPT_EXPIRES_IN, OPT_EXPIRED, OPT_USER,
	OPT_EMAIL, OPT_PREFERRED, OPT_GROUP, OPT_ID_TOKEN, OPT_ACCESS_TOKEN,
	OPT_REFRESH_TOKEN, OPT_REFRESH_IN, OPT_MINIMAL,
};

static const struct option longopts[] = {
	{ "secret",		required_argument, NULL, OPT_SECRET },
	{ "name",		required_argument, NULL, OPT_NAME },
	{ "expires-in",		required_argument, NULL, OPT_EXPIRES_IN },
	{ "expired",		no_argument,	   NULL, OPT_EXPIRED },
	{ "user",		required_argument, NULL, OPT_USER },
	{ "email",		required_argument, NULL, OPT_EMAIL },
	{ "preferred-username",	required_argument, NULL, OPT_PREFERRED },
	{ "group",		required_argument, NULL, OPT_GROUP },
	{ "id-token",		required_argument, NULL, OPT_ID_TOKEN },
	{ "access-token",	required_argument, NULL, OPT_ACCESS_TOKEN },
	{ "refresh-token",	required_argument, NULL, OPT_REFRESH_TOKEN },
	{ "refresh-in",		required_argument, NULL, OPT_REFRESH_IN },
	{ "minimal",		no_argument,	   NULL, OPT_MINIMAL },
	{ NULL,			0,		   NULL, 0 },
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: mint-session --secret S [--secret OLD ...] "
	    "[--name N] [--expires-in SECONDS]\n"
	    "\t[--expired] [--user U] [--email E] [--preferred-username P]\n"
	    "\t[--group G ...] [--id-token T] [--access-token T]\n"
	    "\t[--refresh-token T] [--refresh-in SECONDS] [--minimal]\n");
	exit(2);
}

static int64_t
seconds(const char *opt, const char *s)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || errno != 0 || v < 0 ||
	    v > INT32_MAX)
		errx(2, "--%s: not a number of seconds: %s", opt, s);
	return ((int64_t)v);
}

static void
list_add(char ***v, size_t *n, size_t max, const char *what, char *s)
{
	char	**nv;

	if (*n >= max)
		errx(2, "more than %zu %s", max, what);
	if ((nv = reallocarray(*v, *n + 1, sizeof(**v))) == NULL)
		err(1, "reallocarray");
	nv[(*n)++] = s;
	*v = nv;
}

static void
parse_args(struct mint *mt, int argc, char **argv)
{
	int	ch;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_SECRET:
			list_add(&mt->secrets.v, &mt->secrets.n,
			    SECRET_KEYS_MAX, "secrets", optarg);
			break;
		case OPT_NAME:
			mt->name = optarg;
			break;
		case OPT_EXPIRES_IN:
			mt->expires_in = seconds("expires-in", optarg);
			break;
		case OPT_EXPIRED:
			mt->expired = 1;
			break;
		case OPT_USER:
			mt->s.user = optarg;
			break;
		case OPT_EMAIL:
			mt->s.email = optarg;
			break;
		case OPT_PREFERRED:
			mt->s.preferred_username = optarg;
			break;
		case OPT_GROUP:
			list_add(&mt->s.groups, &mt->s.ngroups,
			    SESSION_GROUPS_MAX, "groups", optarg);
			break;
		case OPT_ID_TOKEN:
			mt->s.id_token = optarg;
			break;
		case OPT_ACCESS_TOKEN:
			mt->s.access_token = optarg;
			break;
		case OPT_REFRESH_TOKEN:
			mt->s.refresh_token = optarg;
			break;
		case OPT_REFRESH_IN:
			mt->refresh_in = seconds("refresh-in", optarg);
			break;
		case OPT_MINIMAL:
			mt->flags |= SESSION_MINIMAL;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || mt->secrets.n == 0)
		usage();
}

int
main(int argc, char **argv)
{
	static uint8_t		 pt[SESSION_ENC_MAX];
	static char		 value[SEAL_VALUE_SIZE(SESSION_ENC_MAX)];
	struct mint		 mt;
	struct seal_keys	*keys;
	char			 errbuf[256];
	int64_t			 now, expires;
	int			 ptlen;

	memset(&mt, 0, sizeof(mt));
	mt.name = MINT_NAME_DEFAULT;
	mt.expires_in = MINT_EXPIRES_DEFAULT;
	parse_args(&mt, argc, argv);

	now = (int64_t)time(NULL);
	expires = mt.expired ? now - MINT_EXPIRED_AGO : now + mt.expires_in;
	mt.s.created_at = now;
	mt.s.expires_on = expires;
	mt.s.refresh_due = mt.refresh_in > 0 ? now + mt.refresh_in : 0;

	if (seal_init() == -1)
		errx(1, "libsodium cannot start");
	if (seal_keys_load(&mt.secrets, &keys, errbuf, sizeof(errbuf)) == -1)
		errx(1, "%s", errbuf);
	if ((ptlen = session_encode(&mt.s, mt.flags, pt, sizeof(pt))) == -1)
		errx(1, "session_encode: a field breaks a limit or is not "
		    "UTF-8");
	if (seal(keys, SEAL_SESSION, mt.name, expires, pt, (size_t)ptlen,
	    value, sizeof(value)) == -1)
		errx(1, "seal failed (cookie name too long?)");
	seal_keys_free(keys);
	free(mt.secrets.v);
	free(mt.s.groups);
	if (printf("%s\n", value) < 0 || fflush(stdout) == EOF)
		err(1, "stdout");
	return (0);
}
