/*
 * Unit tests of the config model: key table, TOML subset, environment,
 * flags, precedence, durations, secrets, validation and the IPC slice.
 */
#include <sys/stat.h>

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "gatehouse.h"
#include "imsg.h"

#define GOOD_SECRET	"0123456789abcdef0123456789abcdef"	/* 32 raw */
#define B64_SECRET	"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY"
#define MSGS_MAX	8192

struct capture {
	struct conf_diag	diag;
	char			msgs[MSGS_MAX];
};

struct fixture {
	struct config		cf;
	struct capture		cap;
	char			dir[64];
};

static void
capture_report(void *arg, const char *msg)
{
	struct capture	*c = arg;
	size_t		 n = strlen(c->msgs);

	snprintf(c->msgs + n, sizeof(c->msgs) - n, "%s\n", msg);
}

static void
provider_preset(struct config *cf)
{
	/* Defaults are static strings, not freed. */
	assert_non_null(cf->provider = strdup("oidc"));
	assert_non_null(cf->oidc_issuer_url = strdup("https://idp.example"));
	assert_non_null(cf->client_secret = strdup("client-secret"));
}

/* For the tests of where client_secret comes from. */
static void
no_client_secret(struct fixture *f)
{
	free(f->cf.client_secret);
	f->cf.client_secret = NULL;
}

static void
reinit(struct fixture *f)
{
	config_free(&f->cf);
	config_init(&f->cf);
	provider_preset(&f->cf);
}

static int
setup(void **state)
{
	struct fixture	*f;

	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	config_init(&f->cf);
	/* The provider every test's config would otherwise have to name. */
	provider_preset(&f->cf);
	f->cap.diag.report = capture_report;
	f->cap.diag.arg = &f->cap;
	strcpy(f->dir, "/tmp/test_config.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return (0);
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[128];

	config_free(&f->cf);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return (0);
}

/* Writes a file under the fixture's directory; returns its path. */
static const char *
write_file(struct fixture *f, const char *name, const char *text,
    size_t len)
{
	static char	 path[PATH_MAX];
	FILE		*fp;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	return (path);
}

static int
parse(struct fixture *f, const char *text)
{
	return (config_parse_buffer(&f->cf, "test.cfg", text, strlen(text),
	    &f->cap.diag));
}

/* Asserts that parsing text fails with a message containing want. */
static void
parse_fails(struct fixture *f, const char *text, const char *want)
{
	f->cap.msgs[0] = '\0';
	assert_int_equal(parse(f, text), -1);
	if (strstr(f->cap.msgs, want) == NULL)
		fail_msg("wanted \"%s\", got \"%s\"", want, f->cap.msgs);
}

static int
load(struct fixture *f, struct conf_cli *cli, char **argv, char **envp)
{
	int	argc = 0;

	while (argv[argc] != NULL)
		argc++;
	return (config_load(&f->cf, cli, argc, argv, envp, &f->cap.diag));
}

static void
assert_msg(struct fixture *f, const char *want)
{
	if (strstr(f->cap.msgs, want) == NULL)
		fail_msg("wanted \"%s\", got \"%s\"", want, f->cap.msgs);
}

static void
test_key_table(void **state)
{
	const struct conf_key	*keys, *k;
	size_t			 i, j, n, nproxy = 0;
	int64_t			 v;

	(void)state;
	keys = config_keys(&n);
	for (i = 0; i < n; i++) {
		k = &keys[i];
		if (!(k->flags & CONF_F_OWN))
			nproxy++;
		assert_ptr_equal(config_key_lookup(k->name), k);
		for (j = 0; j < i; j++)
			assert_string_not_equal(keys[j].name, k->name);
		/* No secret is a number, so a number may be printed. */
		if (k->flags & CONF_F_SECRET)
			assert_true(k->type == CONF_STRING ||
			    k->type == CONF_LIST);
		if (k->type == CONF_DURATION && k->defval != NULL)
			assert_int_equal(config_parse_duration(k->defval, &v),
			    0);
		if (!(k->flags & CONF_F_UNSUPPORTED) && k->type == CONF_LIST)
			assert_null(k->defval);
	}
	assert_int_equal(nproxy, 168);
	assert_int_equal(config_key_lookup("upstreams")->type, CONF_LIST);
	assert_string_equal(config_key_lookup("upstreams")->flag, "upstream");
	assert_string_equal(config_key_lookup("email_domains")->flag,
	    "email-domain");
	assert_string_equal(config_key_lookup("provider_ca_files")->flag,
	    "provider-ca-file");
	assert_null(config_key_lookup("upstream"));
}

static void
test_defaults(void **state)
{
	struct fixture	*f = *state;

	assert_string_equal(f->cf.http_address, "127.0.0.1:4180");
	assert_string_equal(f->cf.ping_path, "/ping");
	assert_string_equal(f->cf.ready_path, "/ready");
	assert_string_equal(f->cf.cookie_name, "_oauth2_proxy");
	assert_null(f->cf.client_id);
	assert_null(f->cf.cookie_secret);
	assert_int_equal(f->cf.workers, 0);
	assert_string_equal(f->cf.proxy_user, "gatehouse-proxy");
	assert_string_equal(f->cf.authd_user, "gatehouse-auth");
	assert_string_equal(f->cf.sessiond_user, "gatehouse-session");
	assert_string_equal(f->cf.chroot_dir, "/var/empty/gatehouse");
	assert_int_equal(f->cf.sandbox_debug, 0);
	assert_int_equal(f->cf.shutdown_timeout, 30000000000LL);
	assert_string_equal(f->cf.log_target, "stderr");
	assert_string_equal(f->cf.log_file, "/var/log/gatehouse/%s.log");
	assert_string_equal(f->cf.log_format, "text");
	assert_string_equal(f->cf.log_level, "info");
	assert_string_equal(f->cf.https_address, ":443");
	assert_null(f->cf.tls_cert_file);
	assert_string_equal(f->cf.tls_min_version, "");
	assert_int_equal(f->cf.upstreams.n, 0);
	assert_int_equal(f->cf.flush_interval, 1000000000LL);
	assert_int_equal(f->cf.pass_host_header, 1);
	assert_int_equal(f->cf.proxy_websockets, 1);
	assert_int_equal(f->cf.ssl_upstream_insecure_skip_verify, 0);
	assert_int_equal(f->cf.upstream_timeout, 30000000000LL);
	assert_int_equal(f->cf.disable_keep_alives, 0);
	assert_int_equal(f->cf.skip_auth_strip_headers, 1);
	assert_int_equal(f->cf.reverse_proxy, 0);
	assert_string_equal(f->cf.real_client_ip_header, "X-Real-IP");
	/* Empty: the workers then trust loopback peers only. */
	assert_int_equal(f->cf.trusted_proxy_ips.n, 0);
	assert_string_equal(f->cf.proxy_prefix, "/oauth2");
	assert_int_equal(f->cf.skip_auth_preflight, 0);
	assert_int_equal(f->cf.request_logging, 1);
	assert_non_null(strstr(f->cf.request_logging_format,
	    "{{.RequestDuration}}"));
	assert_int_equal(f->cf.silence_ping_logging, 0);
	assert_string_equal(f->cf.request_id_header, "X-Request-Id");
	assert_int_equal(f->cf.max_connections, 4096);
	assert_int_equal(f->cf.max_header_bytes, 32768);
	assert_int_equal(f->cf.max_headers, 100);
	assert_int_equal(f->cf.max_uri_length, 8192);
	assert_int_equal(f->cf.client_header_timeout, 10000000000LL);
	assert_int_equal(f->cf.client_idle_timeout, 60000000000LL);
	assert_int_equal(f->cf.client_body_timeout, 60000000000LL);
	assert_int_equal(f->cf.upstream_connect_timeout, 10000000000LL);
	assert_int_equal(f->cf.upstream_ca_files.n, 0);
}

/* Who receives the HTTP keys: the parent alone, or the workers. */
static void
test_http_key_roles(void **state)
{
	static const char *const parent_only[] = { "http_address",
	    "https_address" };
	static const char *const proxy[] = { "tls_cert_file", "tls_key_file",
	    "tls_min_version", "tls_cipher_suites", "upstreams",
	    "flush_interval", "pass_host_header", "proxy_websockets",
	    "ssl_upstream_insecure_skip_verify", "upstream_timeout",
	    "disable_keep_alives", "skip_auth_strip_headers", "reverse_proxy",
	    "real_client_ip_header", "trusted_proxy_ips", "trusted_ips",
	    "proxy_prefix", "skip_auth_routes", "skip_auth_regex",
	    "skip_auth_preflight", "request_logging", "request_logging_format",
	    "exclude_logging_paths", "silence_ping_logging",
	    "request_id_header" };
	static const char *const own[] = { "max_connections",
	    "max_header_bytes", "max_headers", "max_uri_length",
	    "client_header_timeout", "client_idle_timeout",
	    "client_body_timeout", "upstream_connect_timeout",
	    "upstream_ca_files" };
	const struct conf_key	*k;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(parent_only) / sizeof(parent_only[0]); i++) {
		assert_non_null(k = config_key_lookup(parent_only[i]));
		assert_int_equal(k->flags & CONF_F_UNSUPPORTED, 0);
		assert_int_equal(k->roles, 0);
	}
	for (i = 0; i < sizeof(proxy) / sizeof(proxy[0]); i++) {
		assert_non_null(k = config_key_lookup(proxy[i]));
		assert_int_equal(k->flags & (CONF_F_UNSUPPORTED | CONF_F_OWN),
		    0);
		if (k->roles != ROLE_PROXY)
			fail_msg("%s: roles %u", proxy[i], k->roles);
	}
	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		assert_non_null(k = config_key_lookup(own[i]));
		assert_int_equal(k->flags & (CONF_F_UNSUPPORTED | CONF_F_OWN),
		    CONF_F_OWN);
		assert_int_equal(k->roles, ROLE_PROXY);
	}
	assert_int_equal(config_key_lookup("skip_auth_regex")->flags &
	    CONF_F_DEPRECATED, CONF_F_DEPRECATED);
	assert_string_equal(config_key_lookup("upstream_ca_files")->flag,
	    "upstream-ca-file");
	assert_string_equal(config_key_lookup("tls_cipher_suites")->flag,
	    "tls-cipher-suite");
}

static void
test_toml_ok(void **state)
{
	struct fixture	*f = *state;
	const char	*text =
	    "\xef\xbb\xbf# a comment\n"
	    "\n"
	    "client_id = \"id\\t\\\"q\\\" \\u00e9\\U0001F600\\\\\" "
	    "# trailing\r\n"
	    "cookie_name = '_c\\raw'\n"
	    "workers = +1_2\n"
	    "sandbox_debug = true\n"
	    "shutdown_timeout = \"1m30s\"\n"
	    "cookie_secrets = [\n"
	    "  \"" GOOD_SECRET "\", # first\n"
	    "\n"
	    "  '" B64_SECRET "',\n"
	    "]\n"
	    "proxy_user = \"\\u0041\\u20ac\xe2\x82\xac\xf0\x9f\x98\x80\"\n"
	    "log_level=\"debug\"";

	assert_int_equal(parse(f, text), 0);
	assert_string_equal(f->cf.client_id,
	    "id\t\"q\" \xc3\xa9\xf0\x9f\x98\x80\\");
	assert_string_equal(f->cf.cookie_name, "_c\\raw");
	assert_int_equal(f->cf.workers, 12);
	assert_int_equal(f->cf.sandbox_debug, 1);
	assert_string_equal(f->cf.proxy_user,
	    "A\xe2\x82\xac\xe2\x82\xac\xf0\x9f\x98\x80");
	assert_int_equal(f->cf.shutdown_timeout, 90000000000LL);
	assert_int_equal(f->cf.cookie_secrets.n, 2);
	assert_string_equal(f->cf.cookie_secrets.v[0], GOOD_SECRET);
	assert_string_equal(f->cf.cookie_secrets.v[1], B64_SECRET);
	assert_string_equal(f->cf.log_level, "debug");
	assert_string_equal(f->cap.msgs, "");
	assert_int_equal(parse(f, "sandbox_debug = false"), 0);
	assert_int_equal(f->cf.sandbox_debug, 0);
}

static void
test_toml_list_forms(void **state)
{
	struct fixture	*f = *state;

	assert_int_equal(parse(f, "cookie_secrets = []\n"), 0);
	assert_int_equal(f->cf.cookie_secrets.n, 0);
	/* A string where a list belongs is a comma list, as in viper. */
	assert_int_equal(parse(f, "cookie_secrets = \"a, b,,c\"\n"), 0);
	assert_int_equal(f->cf.cookie_secrets.n, 3);
	assert_string_equal(f->cf.cookie_secrets.v[2], "c");
	assert_int_equal(parse(f, "cookie_secrets = [\"x\",\"y\"]"), 0);
	assert_int_equal(f->cf.cookie_secrets.n, 2);
	assert_string_equal(f->cf.cookie_secrets.v[0], "x");
}

static void
test_toml_unterminated(void **state)
{
	struct fixture	*f = *state;

	parse_fails(f, "\nclient_id = \"abc\n",
	    "test.cfg:2: unterminated string");
	parse_fails(f, "client_id = 'abc", "test.cfg:1: unterminated string");
	parse_fails(f, "cookie_secrets = [\"a\",\n\"b\"\n",
	    "test.cfg:3: unterminated array");
	parse_fails(f, "cookie_secrets = [\"a\",\n", "unterminated array");
	parse_fails(f, "cookie_secrets = [\"a\", \"b]", "unterminated string");
	parse_fails(f, "cookie_secrets = [\"a\" \"b\"]",
	    "expected ',' or ']' in the array");
	parse_fails(f, "cookie_secrets = [1]", "arrays may only hold strings");
	parse_fails(f, "client_id = \"\"\"x\"\"\"",
	    "multi-line strings are not supported");
}

static void
test_toml_unknown_key(void **state)
{
	struct fixture	*f = *state;

	parse_fails(f, "no_such_key = 1\n",
	    "test.cfg:1: no_such_key: unknown key");
	parse_fails(f, "upstream = \"http://x\"\n",
	    "test.cfg:1: upstream: unknown key; did you mean upstreams?");
	parse_fails(f, "client-id = \"x\"\n", "did you mean client_id?");
}

static void
test_unsupported_key(void **state)
{
	struct fixture	*f = *state;
	struct conf_cli	 cli;
	char		*argv[] = { "gatehouse", "--gcp-healthchecks=true", NULL };
	char		*envp[] = { "OAUTH2_PROXY_HTPASSWD_FILE=/x", NULL };
	char		*noenv[] = { NULL };
	char		*noargv[] = { "gatehouse", NULL };

	parse_fails(f, "\n\nhtpasswd_file = \"x\"\n",
	    "test.cfg:3: htpasswd_file: not supported yet by gatehouse");
	/* Refused by name even when the value has the wrong type too. */
	parse_fails(f, "display_htpasswd_form = \"yes\"\n",
	    "display_htpasswd_form: not supported yet by gatehouse");
	f->cap.msgs[0] = '\0';
	assert_int_equal(load(f, &cli, argv, noenv), -1);
	assert_msg(f, "flag --gcp-healthchecks: not supported yet by "
	    "gatehouse");
	assert_int_equal(load(f, &cli, noargv, envp), -1);
	assert_msg(f, "environment OAUTH2_PROXY_HTPASSWD_FILE: not supported "
	    "yet by gatehouse");
}

static void
test_toml_wrong_type(void **state)
{
	struct fixture	*f = *state;

	parse_fails(f, "sandbox_debug = \"true\"\n",
	    "test.cfg:1: sandbox_debug: expected true or false");
	parse_fails(f, "client_id = 12\n", "client_id: expected a string");
	parse_fails(f, "workers = \"4\"\n", "workers: expected an integer");
	parse_fails(f, "cookie_secrets = true\n",
	    "cookie_secrets: expected an array of strings");
	parse_fails(f, "client_id = [\"a\"]\n", "expected a string");
	parse_fails(f, "workers = 1.5\n", "expected a string, an integer");
	parse_fails(f, "workers = 012\n", "expected a string, an integer");
	parse_fails(f, "workers = 99999999999999999999\n",
	    "expected a string, an integer");
	parse_fails(f, "workers =\n", "test.cfg:1: expected a value");
	parse_fails(f, "workers =", "test.cfg:1: expected a value");
}

static void
test_toml_duplicate(void **state)
{
	struct fixture	*f = *state;

	parse_fails(f, "client_id = \"a\"\n# x\nclient_id = \"b\"\n",
	    "test.cfg:3: client_id: duplicate key (first set on line 1)");
}

static void
test_toml_bad_bytes(void **state)
{
	struct fixture	*f = *state;
	char		*big;

	parse_fails(f, "client_id = \"a\"\nclient_id2 = \"\xc3\x28\"\n",
	    "test.cfg:2: invalid UTF-8");
	parse_fails(f, "# \xed\xa0\x80 surrogate\n",
	    "test.cfg:1: invalid UTF-8");
	parse_fails(f, "# \xc0\xaf overlong\n", "test.cfg:1: invalid UTF-8");
	parse_fails(f, "client_id = \"a\x01\"\n", "control character");
	parse_fails(f, "client_id = \"a\"\r", "control character");
	assert_int_equal(config_parse_buffer(&f->cf, "test.cfg", "a\0b", 3,
	    &f->cap.diag), -1);
	assert_non_null(big = malloc(70 * 1024));
	memset(big, '#', 70 * 1024);
	f->cap.msgs[0] = '\0';
	assert_int_equal(config_parse_buffer(&f->cf, "test.cfg", big,
	    70 * 1024, &f->cap.diag), -1);
	assert_msg(f, "test.cfg:1: line longer than 64 KiB");
	free(big);
	f->cap.msgs[0] = '\0';
	assert_int_equal(config_parse_buffer(&f->cf, "test.cfg", "",
	    1024 * 1024 + 1, &f->cap.diag), -1);
	assert_msg(f, "test.cfg: larger than 1048576 bytes");
}

static void
test_toml_bad_escape(void **state)
{
	struct fixture	*f = *state;

	parse_fails(f, "client_id = \"a\\x\"\n", "invalid escape sequence");
	parse_fails(f, "client_id = \"a\\u00\"\n", "invalid \\u escape");
	parse_fails(f, "client_id = \"a\\u0000\"\n", "invalid \\u escape");
	parse_fails(f, "client_id = \"a\\ud800\"\n", "invalid \\u escape");
	parse_fails(f, "client_id = \"a\\U00110000\"\n", "invalid \\u escape");
	parse_fails(f, "client_id = \"a\\\n", "invalid escape sequence");
	parse_fails(f, "client_id = \"a\\", "invalid escape sequence");
}

static void
test_toml_syntax(void **state)
{
	struct fixture	*f = *state;
	char		 key[200];

	parse_fails(f, "client_id = \"a\" b\n",
	    "test.cfg:1: unexpected text after the value");
	parse_fails(f, "[section]\n", "tables ([name]) are not supported");
	parse_fails(f, "a.b = 1\n", "expected '=' after the key");
	parse_fails(f, "\"client_id\" = 1\n", "expected a key name");
	parse_fails(f, "client_id = {}\n", "expected a value");
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	parse_fails(f, key, "key name too long");
}

/* Semantic errors do not stop the parse: all of them are reported. */
static void
test_toml_all_errors(void **state)
{
	struct fixture	*f = *state;

	parse_fails(f, "htpasswd_file = \"x\"\nbogus = 1\nclient_id = \"ok\"\n",
	    "test.cfg:2: bogus: unknown key");
	assert_msg(f, "test.cfg:1: htpasswd_file: not supported");
	assert_int_equal(f->cap.diag.nerrors >= 2, 1);
	assert_string_equal(f->cf.client_id, "ok");
}

static void
test_durations(void **state)
{
	static const struct {
		const char	*s;
		int64_t		 ns;
	} good[] = {
		{ "0", 0 }, { "-0", 0 }, { "+0", 0 }, { "300ms", 300000000 },
		{ "1.5h", 5400000000000LL }, { "2h45m", 9900000000000LL },
		{ "168h", 604800000000000LL }, { "1ns", 1 }, { "1us", 1000 },
		{ "1\xc2\xb5s", 1000 }, { "1\xce\xbcs", 1000 },
		{ ".5s", 500000000 }, { "1.s", 1000000000 },
		{ "-1.5s", -1500000000 },
		{ "1h1m1s1ms1us1ns", 3661001001001LL },
		{ "2562047h47m16.854775807s", INT64_MAX },
	};
	static const char *const bad[] = {
		"", "300", "1.5", "s", "1x", "1hh", ".s", "1h-1m", "+", "00",
		"2562047h47m16.854775808s", "9223372036854775808ns",
		"99999999999999999999h", " 1s", "1s ",
	};
	int64_t		ns;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (config_parse_duration(good[i].s, &ns) != 0)
			fail_msg("refused \"%s\"", good[i].s);
		assert_int_equal(ns, good[i].ns);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (config_parse_duration(bad[i], &ns) != -1)
			fail_msg("accepted \"%s\"", bad[i]);
}

static void
test_duration_bare_number(void **state)
{
	struct fixture	*f = *state;
	struct conf_cli	 cli;
	char		*argv[] = { "gatehouse", "--shutdown-timeout", "300",
	    NULL };
	char		*envp[] = { "OAUTH2_PROXY_SHUTDOWN_TIMEOUT=15", NULL };
	char		*noargv[] = { "gatehouse", NULL };

	parse_fails(f, "shutdown_timeout = \"300\"\n", "test.cfg:1: "
	    "shutdown_timeout: \"300\" has no unit; oauth2-proxy would read "
	    "it as 300 nanoseconds: write \"300s\"");
	parse_fails(f, "shutdown_timeout = 300\n", "\"300\" has no unit");
	parse_fails(f, "shutdown_timeout = \"1y\"\n", "is not a duration");
	assert_int_equal(parse(f, "shutdown_timeout = 0\n"), 0);
	assert_int_equal(f->cf.shutdown_timeout, 0);
	f->cap.msgs[0] = '\0';
	assert_int_equal(load(f, &cli, argv, envp), -1);
	assert_msg(f, "flag --shutdown-timeout: \"300\" has no unit");
	assert_msg(f, "environment OAUTH2_PROXY_SHUTDOWN_TIMEOUT: \"15\" has "
	    "no unit");
	assert_int_equal(load(f, &cli, noargv, envp), -1);
}

/* A config that passes validation, with extra lines. */
static const char *
good_config(struct fixture *f, const char *extra)
{
	char	text[4096];

	snprintf(text, sizeof(text), "client_id = \"file-id\"\n"
	    "cookie_secret = \"" GOOD_SECRET "\"\nemail_domains = [\"*\"]\n"
	    "%s", extra);
	return (write_file(f, "gatehouse.cfg", text, strlen(text)));
}

static void
test_precedence(void **state)
{
	struct fixture	*f = *state;
	struct conf_cli	 cli;
	const char	*path = good_config(f, "cookie_name = \"file\"\n"
	    "ping_path = \"/file\"\nready_path = \"/file\"\nworkers = 1\n");
	char		*argv[] = { "gatehouse", "--config", (char *)path,
	    "--cookie-name=flag", "--workers", "3", NULL };
	char		*envp[] = { "OAUTH2_PROXY_COOKIE_NAME=env",
	    "OAUTH2_PROXY_PING_PATH=/env", "OAUTH2_PROXY_WORKERS=2",
	    "OAUTH2_PROXY_READY_PATH=", NULL };

	assert_int_equal(load(f, &cli, argv, envp), 0);
	assert_string_equal(cli.config_file, path);
	assert_string_equal(f->cf.cookie_name, "flag");
	assert_int_equal(f->cf.workers, 3);
	assert_string_equal(f->cf.ping_path, "/env");
	/* An empty variable is unset, as viper reads it. */
	assert_string_equal(f->cf.ready_path, "/file");
	assert_string_equal(f->cf.client_id, "file-id");
	assert_string_equal(f->cf.http_address, "127.0.0.1:4180");
}

static void
test_list_flags(void **state)
{
	struct fixture	*f = *state;
	struct conf_cli	 cli;
	const char	*path = good_config(f, "cookie_secrets = [\"" B64_SECRET
	    "\"]\n");
	char		*argv[] = { "gatehouse", "-c", (char *)path,
	    "--cookie-secrets", "abcdefghijklmnop", "--cookie-secrets="
	    "ABCDEFGHIJKLMNOP,qrstuvwxyzABCDEF", NULL };
	char		*envp[] = { "OAUTH2_PROXY_COOKIE_SECRETS=" B64_SECRET,
	    NULL };

	assert_int_equal(load(f, &cli, argv, envp), 0);
	/* cookie_secret first (it seals), then the flags' list. */
	assert_int_equal(f->cf.cookie_secrets.n, 4);
	assert_string_equal(f->cf.cookie_secrets.v[0], GOOD_SECRET);
	assert_string_equal(f->cf.cookie_secrets.v[1], "abcdefghijklmnop");
	assert_string_equal(f->cf.cookie_secrets.v[2], "ABCDEFGHIJKLMNOP");
	assert_string_equal(f->cf.cookie_secrets.v[3], "qrstuvwxyzABCDEF");
}

static void
test_env_list(void **state)
{
	struct fixture	*f = *state;
	struct conf_cli	 cli;
	char		*argv[] = { "gatehouse", NULL };
	char		*envp[] = { "OAUTH2_PROXY_CLIENT_ID=id", "OAUTH2_PROXY_EMAIL_DOMAINS=*",
	    "OAUTH2_PROXY_COOKIE_SECRETS= abcdefghijklmnop ,," B64_SECRET ",",
	    "OAUTH2_PROXY_COOKIE_SECRETS=ignored", NULL };

	assert_int_equal(load(f, &cli, argv, envp), 0);
	assert_int_equal(f->cf.cookie_secrets.n, 2);
	assert_string_equal(f->cf.cookie_secrets.v[0], "abcdefghijklmnop");
	assert_string_equal(f->cf.cookie_secrets.v[1], B64_SECRET);
}

static void
test_env_bad_bool(void **state)
{
	struct fixture	*f = *state;
	struct conf_cli	 cli;
	char		*argv[] = { "gatehouse", NULL };
	char		*bad[] = { "OAUTH2_PROXY_SANDBOX_DEBUG=yes", NULL };
	char		*good[] = { "OAUTH2_PROXY_SANDBOX_DEBUG=T",
	    "OAUTH2_PROXY_CLIENT_ID=id", "OAUTH2_PROXY_EMAIL_DOMAINS=*",
	    "OAUTH2_PROXY_COOKIE_SECRET=" GOOD_SECRET, NULL };

	assert_int_equal(load(f, &cli, argv, bad), -1);
	assert_msg(f, "environment OAUTH2_PROXY_SANDBOX_DEBUG: expected true "
	    "or false, got \"yes\"");
	assert_int_equal(load(f, &cli, argv, good), 0);
	assert_int_equal(f->cf.sandbox_debug, 1);
}

static void
test_flags(void **state)
{
	struct fixture	*f = *state;
	struct conf_cli	 cli;
	char		*envp[] = { "OAUTH2_PROXY_CLIENT_ID=id", "OAUTH2_PROXY_EMAIL_DOMAINS=*",
	    "OAUTH2_PROXY_COOKIE_SECRET=" GOOD_SECRET,
	    "OAUTH2_PROXY_SANDBOX_DEBUG=true", NULL };
	char		*argv[] = { "gatehouse", "-n", "--libexec-dir=/lx",
	    "--sandbox-debug=false", "--log-level", "warn", NULL };
	char		*bare[] = { "gatehouse", "--sandbox-debug", NULL };

	assert_int_equal(load(f, &cli, argv, envp), 0);
	assert_int_equal(cli.test, 1);
	assert_string_equal(cli.libexec_dir, "/lx");
	assert_null(cli.config_file);
	assert_int_equal(f->cf.sandbox_debug, 0);
	assert_string_equal(f->cf.log_level, "warn");
	assert_int_equal(load(f, &cli, bare, envp), 0);
	assert_int_equal(f->cf.sandbox_debug, 1);
}

static void
test_flag_errors(void **state)
{
	struct fixture	*f = *state;
	struct conf_cli	 cli;
	char		*envp[] = { NULL };
	char		*argv[] = { "gatehouse", "--no-such-flag=1",
	    "--upstreams=x", "-x", "stray", "--alpha-config", "a.yaml",
	    "--workers=4x", "--config-test=maybe", "--client-id", NULL };

	assert_int_equal(load(f, &cli, argv, envp), -1);
	assert_msg(f, "flag --no-such-flag: unknown flag\n");
	assert_msg(f, "flag --upstreams: unknown flag; did you mean "
	    "--upstream?");
	assert_msg(f, "flag -x: unknown flag");
	assert_msg(f, "\"stray\": unexpected argument");
	assert_msg(f, "flag --alpha-config: not supported yet by gatehouse");
	assert_msg(f, "flag --workers: expected an integer, got \"4x\"");
	assert_msg(f, "flag --config-test: expected true or false");
	assert_msg(f, "flag --client-id: needs a value");
}

/* --help and --version work whatever the rest of the config says. */
static void
test_help_version(void **state)
{
	struct fixture	*f = *state;
	struct conf_cli	 cli;
	char		*envp[] = { "OAUTH2_PROXY_WORKERS=x", NULL };
	char		*help[] = { "gatehouse", "-h", NULL };
	char		*version[] = { "gatehouse", "--version", NULL };

	assert_int_equal(load(f, &cli, help, envp), 0);
	assert_int_equal(cli.help, 1);
	assert_int_equal(load(f, &cli, version, envp), 0);
	assert_int_equal(cli.version, 1);
	assert_int_equal(cli.help, 0);
}

static void
test_secret_length(void **state)
{
	struct fixture	*f = *state;

	assert_int_equal(parse(f, "client_id = \"id\"\nemail_domains = [\"*\"]\ncookie_secrets = "
	    "[\"0123456789abcdef\", \"0123456789abcdef01234567\", "
	    "\"" GOOD_SECRET "\", \"" B64_SECRET "\", \"" B64_SECRET "=\", "
	    "\"AAAAAAAAAAAAAAAAAAAAAA==\", \"-_-_-_-_-_-_-_-_-_-_-_-_\"]\n"),
	    0);
	assert_int_equal(config_validate(&f->cf, &f->cap.diag), 0);
	assert_int_equal(parse(f, "cookie_secret = \"short\"\n"
	    "cookie_secrets = [\"" GOOD_SECRET "\", \"AAAA\"]"), 0);
	assert_int_equal(config_validate(&f->cf, &f->cap.diag), -1);
	assert_msg(f, "cookie_secret: must be 16, 24 or 32 bytes (raw, or "
	    "base64 of that), got 5");
	assert_msg(f, "cookie_secrets[1]: must be 16, 24 or 32 bytes");
	assert_null(strstr(f->cap.msgs, "short"));
}

/* sessiond takes at most 16 keys: -n says so, not sessiond's start. */
static void
test_secret_count(void **state)
{
	struct fixture	*f = *state;
	char		 text[2048];
	size_t		 off, i;

	off = (size_t)snprintf(text, sizeof(text), "client_id = 'i'\n"
	    "email_domains = ['*']\ncookie_secret = '" GOOD_SECRET "'\n"
	    "cookie_secrets = [");
	for (i = 0; i < 16; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
		    "%s'" GOOD_SECRET "'", i ? ", " : "");
	snprintf(text + off, sizeof(text) - off, "]\n");
	assert_int_equal(parse(f, text), 0);
	f->cap.msgs[0] = '\0';
	assert_int_equal(config_validate(&f->cf, &f->cap.diag), -1);
	assert_msg(f, "cookie_secrets: at most 16 secrets");
}

static void
test_secret_and_file(void **state)
{
	struct fixture	*f = *state;
	struct conf_cli	 cli;
	const char	*sf = write_file(f, "s", GOOD_SECRET, 32);
	char		 text[512];
	const char	*path;
	char		*argv[] = { "gatehouse", "-c", NULL, NULL };
	char		*envp[] = { "OAUTH2_PROXY_CLIENT_SECRET=x", NULL };

	snprintf(text, sizeof(text), "client_id = \"id\"\n"
	    "cookie_secret = \"" GOOD_SECRET "\"\ncookie_secret_file = \"%s\"\n"
	    "client_secret_file = \"%s\"\n", sf, sf);
	path = write_file(f, "c.cfg", text, strlen(text));
	argv[2] = (char *)path;
	assert_int_equal(load(f, &cli, argv, envp), -1);
	assert_msg(f, "cookie_secret_file: cannot be used together with "
	    "cookie_secret");
	assert_msg(f, "client_secret_file: cannot be used together with "
	    "client_secret");
}

static void
test_secret_file_newline(void **state)
{
	static const struct {
		const char	*text;
		const char	*want;
	} cases[] = {
		{ GOOD_SECRET "\n", GOOD_SECRET },
		{ GOOD_SECRET "\r\n", GOOD_SECRET },
		{ GOOD_SECRET "\n\n", GOOD_SECRET "\n" },
		{ GOOD_SECRET, GOOD_SECRET },
		{ "\n", "" },
	};
	struct fixture	*f = *state;
	struct conf_cli	 cli;
	const char	*path;
	char		 env[PATH_MAX + 64];
	char		*argv[] = { "gatehouse", NULL };
	char		*envp[] = { "OAUTH2_PROXY_CLIENT_ID=x", "OAUTH2_PROXY_EMAIL_DOMAINS=*", env, NULL };
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		path = write_file(f, "secret", cases[i].text,
		    strlen(cases[i].text));
		snprintf(env, sizeof(env), "OAUTH2_PROXY_CLIENT_SECRET_FILE=%s",
		    path);
		reinit(f);
		no_client_secret(f);
		load(f, &cli, argv, envp);
		assert_string_equal(f->cf.client_secret, cases[i].want);
	}
	path = write_file(f, "secret", "a\0b", 3);
	snprintf(env, sizeof(env), "OAUTH2_PROXY_CLIENT_SECRET_FILE=%s", path);
	assert_int_equal(load(f, &cli, argv, envp), -1);
	assert_msg(f, "contains a NUL byte");
	snprintf(env, sizeof(env), "OAUTH2_PROXY_CLIENT_SECRET_FILE=%s",
	    f->dir);
	assert_int_equal(load(f, &cli, argv, envp), -1);
	assert_msg(f, "not a regular file");
	snprintf(env, sizeof(env), "OAUTH2_PROXY_CLIENT_SECRET_FILE=%s/none",
	    f->dir);
	assert_int_equal(load(f, &cli, argv, envp), -1);
	assert_msg(f, "/none: No such file or directory");
}

static void
test_credentials(void **state)
{
	struct fixture	*f = *state;
	struct conf_cli	 cli;
	char		 env[PATH_MAX + 64];
	char		*argv[] = { "gatehouse", "--client-id=id",
	    "--email-domain=*", NULL };
	char		*envp[] = { env, NULL };
	char		*both[] = { env, "OAUTH2_PROXY_CLIENT_SECRET=given",
	    NULL };

	snprintf(env, sizeof(env), "CREDENTIALS_DIRECTORY=%s", f->dir);
	no_client_secret(f);
	/* No credentials: the cookie and client secrets are missing. */
	assert_int_equal(load(f, &cli, argv, envp), -1);
	assert_msg(f, "cookie_secret: required");
	write_file(f, "cookie_secret", B64_SECRET "\n", 44);
	write_file(f, "client_secret", "credential\n", 11);
	f->cap.msgs[0] = '\0';
	assert_int_equal(load(f, &cli, argv, envp), 0);
	assert_string_equal(f->cap.msgs, "");
	assert_string_equal(f->cf.cookie_secret, B64_SECRET);
	assert_string_equal(f->cf.client_secret, "credential");
	reinit(f);
	assert_int_equal(load(f, &cli, argv, both), 0);
	assert_string_equal(f->cf.client_secret, "given");
}

static void
test_validate_all(void **state)
{
	struct fixture	*f = *state;
	static const char *const want[] = {
		"client_id: required", "cookie_secret: required",
		"cookie_name: not a valid cookie name",
		"ping_path: must begin with \"/\"",
		"ready_path: must begin with \"/\"",
		"chroot_dir: must begin with \"/\"",
		"workers: must be between 0 (one per CPU) and 64",
		"proxy_user: must not be empty",
		"shutdown_timeout: must be more than 0",
		"log_target: must be stderr, syslog or file",
		"log_format: must be text or json",
		"log_level: must be error, warn, info or debug",
		"log_file: must contain \"%s\" once",
	};
	size_t		 i;

	assert_int_equal(parse(f, "client_id = ''\ncookie_name = 'a;b'\n"
	    "ping_path = 'ping'\nready_path = ''\nchroot_dir = 'rel'\n"
	    "workers = 65\nproxy_user = ''\nshutdown_timeout = '-1s'\n"
	    "log_target = 'file2'\nlog_format = 'xml'\nlog_level = 'trace'\n"
	    "log_file = '/%s/%d'\n"), 0);
	assert_int_equal(config_validate(&f->cf, &f->cap.diag), -1);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_msg(f, want[i]);
	assert_int_equal(f->cap.diag.nerrors, 14);
}

static void
test_validate_values(void **state)
{
	static const struct {
		const char	*line;
		int		 ok;
	} cases[] = {
		{ "log_file = '/x/%s'", 1 }, { "log_file = '/x/%s%s'", 0 },
		{ "log_file = '/x/'", 0 }, { "log_file = '/x/%s%'", 0 },
		{ "log_file = '/x/%%'", 0 }, { "cookie_name = '_a-b.c~'", 1 },
		{ "cookie_name = ''", 0 }, { "cookie_name = 'a b'", 0 },
		{ "workers = -1", 0 }, { "workers = 64", 1 },
		{ "shutdown_timeout = '1ns'", 1 },
	};
	struct fixture	*f = *state;
	char		 text[512];
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		reinit(f);
		snprintf(text, sizeof(text), "client_id = 'i'\nemail_domains = ['*']\ncookie_secret = "
		    "'" GOOD_SECRET "'\n%s\n", cases[i].line);
		assert_int_equal(parse(f, text), 0);
		if ((config_validate(&f->cf, &f->cap.diag) == 0) != cases[i].ok)
			fail_msg("%s: expected %s", cases[i].line,
			    cases[i].ok ? "valid" : "invalid");
	}
	strcpy(text, "cookie_name = '");
	memset(text + 15, 'a', 257);
	strcpy(text + 15 + 257, "'\n");
	assert_int_equal(parse(f, text), 0);
	assert_int_equal(config_validate(&f->cf, &f->cap.diag), -1);
	assert_msg(f, "cookie_name: longer than 256 characters");
}

static void
test_validate_http(void **state)
{
	static const struct {
		const char	*line;
		int		 ok;
	} cases[] = {
		{ "real_client_ip_header = 'x-forwarded-for'", 1 },
		{ "real_client_ip_header = 'CF-CONNECTING-IP'", 1 },
		{ "real_client_ip_header = 'X-ProxyUser-IP'", 1 },
		{ "real_client_ip_header = 'X-Envoy-External-Address'", 1 },
		{ "real_client_ip_header = 'X-Client-IP'", 0 },
		{ "real_client_ip_header = ''", 0 },
		{ "proxy_prefix = '/oauth2'", 1 }, { "proxy_prefix = '/a/b'", 1 },
		{ "proxy_prefix = 'oauth2'", 0 }, { "proxy_prefix = '/oauth2/'", 0 },
		{ "proxy_prefix = '/'", 0 }, { "proxy_prefix = ''", 0 },
		{ "proxy_prefix = '/a b'", 0 }, { "proxy_prefix = '/a?b'", 0 },
		{ "proxy_prefix = '/a%2f'", 0 },
		{ "max_connections = 1", 1 }, { "max_connections = 0", 0 },
		{ "max_connections = 1000000", 1 },
		{ "max_connections = 1000001", 0 },
		{ "max_header_bytes = 1024\nmax_uri_length = 1024", 1 },
		{ "max_header_bytes = 1023", 0 },
		{ "max_header_bytes = 1048577", 0 },
		{ "max_headers = 1000", 1 }, { "max_headers = 0", 0 },
		{ "max_headers = 1001", 0 },
		{ "max_uri_length = 256", 1 }, { "max_uri_length = 255", 0 },
		{ "max_uri_length = 32768", 1 }, { "max_uri_length = 32769", 0 },
		{ "flush_interval = '1ms'", 1 }, { "flush_interval = '0'", 0 },
		{ "upstream_timeout = '-1s'", 0 },
		{ "client_header_timeout = '0'", 0 },
		{ "client_idle_timeout = '0'", 0 },
		{ "client_body_timeout = '0'", 0 },
		{ "upstream_connect_timeout = '0'", 0 },
		{ "tls_cert_file = '/c'\ntls_key_file = '/k'", 1 },
		{ "tls_cert_file = '/c'", 0 }, { "tls_key_file = '/k'", 0 },
		{ "tls_min_version = 'TLS1.2'", 1 },
		{ "tls_min_version = 'TLS1.3'", 1 },
		{ "tls_min_version = 'TLS1.1'", 0 },
		{ "tls_min_version = 'tls1.3'", 0 },
		{ "request_id_header = 'X-Trace'", 1 },
		{ "request_id_header = 'X Trace'", 0 },
		{ "request_id_header = ''", 0 },
		{ "skip_auth_strip_headers = true", 1 },
		{ "skip_auth_strip_headers = false", 0 },
	};
	struct fixture	*f = *state;
	char		 text[512];
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		reinit(f);
		snprintf(text, sizeof(text), "client_id = 'i'\nemail_domains = ['*']\ncookie_secret = "
		    "'" GOOD_SECRET "'\n%s\n", cases[i].line);
		assert_int_equal(parse(f, text), 0);
		if ((config_validate(&f->cf, &f->cap.diag) == 0) != cases[i].ok)
			fail_msg("%s: expected %s", cases[i].line,
			    cases[i].ok ? "valid" : "invalid");
	}
}

/* The messages of the HTTP rules, all in one run. */
static void
test_validate_http_messages(void **state)
{
	struct fixture	*f = *state;
	static const char *const want[] = {
		"tls_cert_file and tls_key_file: must be given together",
		"tls_min_version: must be TLS1.2 or TLS1.3",
		"max_connections: must be between 1 and 1000000",
		"max_header_bytes: must be between 1024 and 1048576",
		"max_headers: must be between 1 and 1000",
		"max_uri_length: must be between 256 and max_header_bytes "
		    "(512)",
		"flush_interval: must be more than 0",
		"client_body_timeout: must be more than 0",
		"real_client_ip_header: must be X-Forwarded-For, X-Real-IP, "
		    "X-ProxyUser-IP, X-Envoy-External-Address or "
		    "CF-Connecting-IP",
		"proxy_prefix: must not end with \"/\"",
		"request_id_header: not a valid header name",
		"skip_auth_strip_headers = false would let clients send "
		    "identity headers upstream: not supported",
	};
	size_t		 i;

	assert_int_equal(parse(f, "client_id = 'i'\nemail_domains = ['*']\ncookie_secret = '"
	    GOOD_SECRET "'\ntls_key_file = '/k'\ntls_min_version = 'SSL3'\n"
	    "max_connections = -5\nmax_header_bytes = 512\nmax_headers = 0\n"
	    "max_uri_length = 1000\nflush_interval = '0'\n"
	    "client_body_timeout = '-1s'\n"
	    "real_client_ip_header = 'Forwarded'\nproxy_prefix = '/o/'\n"
	    "request_id_header = 'X:Id'\nskip_auth_strip_headers = false\n"),
	    0);
	f->cap.msgs[0] = '\0';
	assert_int_equal(config_validate(&f->cf, &f->cap.diag), -1);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_msg(f, want[i]);
	assert_int_equal(f->cap.diag.nerrors, 12);
}

/* As oauth2-proxy, a warning: trusted_ips read from a header. */
static void
test_validate_http_warning(void **state)
{
	struct fixture	*f = *state;

	assert_int_equal(parse(f, "client_id = 'i'\nemail_domains = ['*']\ncookie_secret = '"
	    GOOD_SECRET "'\ntrusted_ips = ['10.0.0.0/8']\n"
	    "reverse_proxy = true\n"), 0);
	f->cap.msgs[0] = '\0';
	assert_int_equal(config_validate(&f->cf, &f->cap.diag), 0);
	assert_msg(f, "warning: trusted_ips with reverse_proxy");
	assert_int_equal(f->cap.diag.nerrors, 0);
}

/* skip_auth_regex is accepted, with oauth2-proxy's deprecation. */
static void
test_deprecated_regex(void **state)
{
	struct fixture	*f = *state;

	f->cap.msgs[0] = '\0';
	assert_int_equal(parse(f, "skip_auth_regex = ['^/public/']\n"), 0);
	assert_msg(f, "warning: test.cfg:1: skip_auth_regex: deprecated by "
	    "oauth2-proxy");
	assert_int_equal(f->cf.skip_auth_regex.n, 1);
	assert_string_equal(f->cf.skip_auth_regex.v[0], "^/public/");
}

/* The HTTP keys from flags and the environment, lists included. */
static void
test_http_sources(void **state)
{
	struct fixture	*f = *state;
	struct conf_cli	 cli;
	char		*argv[] = { "gatehouse", "--upstream=http://a/",
	    "--upstream", "file:///srv/#/s/", "--max-headers=50",
	    "--client-idle-timeout=5s", "--upstream-ca-file=/ca.pem",
	    "--reverse-proxy", NULL };
	char		*envp[] = { "OAUTH2_PROXY_CLIENT_ID=id", "OAUTH2_PROXY_EMAIL_DOMAINS=*",
	    "OAUTH2_PROXY_COOKIE_SECRET=" GOOD_SECRET,
	    "OAUTH2_PROXY_UPSTREAMS=http://ignored/",
	    "OAUTH2_PROXY_TRUSTED_PROXY_IPS=10.0.0.0/8, 192.168.0.0/16",
	    "OAUTH2_PROXY_TLS_CIPHER_SUITES=TLS_AES_128_GCM_SHA256", NULL };

	assert_int_equal(load(f, &cli, argv, envp), 0);
	assert_int_equal(f->cf.upstreams.n, 2);
	assert_string_equal(f->cf.upstreams.v[0], "http://a/");
	assert_string_equal(f->cf.upstreams.v[1], "file:///srv/#/s/");
	assert_int_equal(f->cf.max_headers, 50);
	assert_int_equal(f->cf.client_idle_timeout, 5000000000LL);
	assert_int_equal(f->cf.upstream_ca_files.n, 1);
	assert_int_equal(f->cf.reverse_proxy, 1);
	assert_int_equal(f->cf.trusted_proxy_ips.n, 2);
	assert_string_equal(f->cf.trusted_proxy_ips.v[1], "192.168.0.0/16");
	assert_int_equal(f->cf.tls_cipher_suites.n, 1);
}

/* Gives every supported key a value other than its default. */
static void
fill_config(struct fixture *f)
{
	assert_int_equal(parse(f, "http_address = ':8080'\nping_path = '/p'\n"
	    "ready_path = '/r'\nclient_id = 'cid'\nclient_secret = 'cs'\n"
	    "client_secret_file = '/csf'\ncookie_name = 'cn'\n"
	    "cookie_secret = '" GOOD_SECRET "'\ncookie_secret_file = '/x'\n"
	    "cookie_secrets = ['a', 'b', '']\nworkers = 7\n"
	    "proxy_user = 'pu'\nauthd_user = 'au'\nsessiond_user = 'su'\n"
	    "chroot_dir = '/c'\nsandbox_debug = true\n"
	    "shutdown_timeout = '-2h'\nlog_target = 'file'\n"
	    "log_file = '/l/%s'\nlog_format = 'json'\nlog_level = 'debug'\n"
	    "https_address = ':8443'\ntls_cert_file = '/c.pem'\n"
	    "tls_key_file = '/k.pem'\ntls_min_version = 'TLS1.3'\n"
	    "tls_cipher_suites = ['TLS_AES_128_GCM_SHA256']\n"
	    "upstreams = ['http://a/', 'static://202']\n"
	    "flush_interval = '2s'\npass_host_header = false\n"
	    "proxy_websockets = false\n"
	    "ssl_upstream_insecure_skip_verify = true\n"
	    "upstream_timeout = '5s'\ndisable_keep_alives = true\n"
	    "skip_auth_strip_headers = false\nreverse_proxy = true\n"
	    "real_client_ip_header = 'X-Forwarded-For'\n"
	    "trusted_proxy_ips = ['10.0.0.0/8']\ntrusted_ips = ['::1']\n"
	    "proxy_prefix = '/auth'\nskip_auth_routes = ['GET=^/pub']\n"
	    "skip_auth_regex = ['^/x']\nskip_auth_preflight = true\n"
	    "request_logging = false\nrequest_logging_format = '{{.Host}}'\n"
	    "exclude_logging_paths = ['/health']\n"
	    "silence_ping_logging = true\nrequest_id_header = 'X-Id'\n"
	    "max_connections = 9\nmax_header_bytes = 2048\n"
	    "max_headers = 9\nmax_uri_length = 1024\n"
	    "client_header_timeout = '1s'\nclient_idle_timeout = '2s'\n"
	    "client_body_timeout = '3s'\nupstream_connect_timeout = '4s'\n"
	    "upstream_ca_files = ['/ca.pem']\n"
	    "email_domains = ['example.com']\nallowed_groups = ['g']\n"
	    "pass_basic_auth = false\nbasic_auth_password = 'bp'\n"
	    "pass_user_headers = false\npass_access_token = true\n"
	    "pass_authorization_header = true\nset_xauthrequest = true\n"
	    "set_basic_auth = true\nset_authorization_header = true\n"
	    "prefer_email_to_user = true\n"), 0);
	assert_int_equal(parse(f, "provider = 'oidc'\n"
	    "provider_display_name = 'P'\nprovider_ca_files = ['/ca']\n"
	    "oidc_issuer_url = 'https://i'\nskip_oidc_discovery = true\n"
	    "login_url = 'https://l'\nredeem_url = 'https://r'\n"
	    "profile_url = 'https://p'\noidc_jwks_url = 'https://j'\n"
	    "scope = 'openid x'\nprompt = 'login'\napproval_prompt = 'auto'\n"
	    "acr_values = 'a'\ncode_challenge_method = 'S256'\n"
	    "backend_logout_url = 'https://b'\nuser_id_claim = 'sub'\n"
	    "oidc_email_claim = 'mail'\noidc_groups_claim = 'roles'\n"
	    "oidc_extra_audiences = ['x']\n"
	    "insecure_oidc_allow_unverified_email = true\n"
	    "insecure_oidc_skip_issuer_verification = true\n"
	    "insecure_oidc_skip_nonce = true\nredirect_url = '/cb'\n"
	    "whitelist_domains = ['.e']\napi_routes = ['^/api']\n"
	    "skip_provider_button = true\nforce_json_errors = true\n"
	    "custom_templates_dir = '/t'\ncustom_sign_in_logo = '-'\n"
	    "banner = 'b'\nfooter = 'f'\ncookie_domains = ['.e']\n"
	    "cookie_path = '/p'\ncookie_expire = '1h'\n"
	    "cookie_refresh = '1m'\ncookie_secure = false\n"
	    "cookie_httponly = false\ncookie_samesite = 'lax'\n"
	    "cookie_csrf_per_request = true\ncookie_csrf_expire = '5m'\n"
	    "cookie_csrf_samesite = 'strict'\n"
	    "session_store_type = 'cookie'\nsession_cookie_minimal = true\n"
	    "session_cache_ttl = '2s'\nskip_jwt_bearer_tokens = true\n"
	    "bearer_token_login_fallback = false\n"
	    "extra_jwt_issuers = ['https://x=y']\n"
	    "authenticated_emails_file = '/e'\n"
	    "validate_url = 'https://v'\n"
	    "allowed_roles = ['admin', 'app:editor']\n"
	    "redis_connection_url = 'redis://r'\nredis_username = 'ru'\n"
	    "redis_password = 'rp'\nredis_use_sentinel = true\n"
	    "redis_sentinel_master_name = 'm'\n"
	    "redis_sentinel_connection_urls = ['redis://s']\n"
	    "redis_sentinel_password = 'sp'\nredis_use_cluster = true\n"
	    "redis_cluster_connection_urls = ['redis://c']\n"
	    "redis_ca_path = '/ca'\nredis_insecure_skip_tls_verify = true\n"
	    "redis_connection_idle_timeout = 30\nredis_key_prefix = 'p:'\n"),
	    0);
}

static int
roundtrip(const struct config *src, const struct conf_key *k,
    struct config *dst)
{
	struct imsg_out	out;
	struct imsg_in	in;

	assert_int_equal(config_compose_key(src, k, &out), 0);
	assert_int_equal(imsg_parse(&in, out.buf, out.len), 0);
	return (config_recv_key(dst, &in));
}

static void
assert_same_value(const struct config *a, const struct config *b,
    const struct conf_key *k)
{
	const char		*pa = (const char *)a + k->off;
	const char		*pb = (const char *)b + k->off;
	const struct conf_list	*la, *lb;
	size_t			 i;

	switch (k->type) {
	case CONF_STRING:
		assert_string_equal(*(char *const *)(const void *)pa,
		    *(char *const *)(const void *)pb);
		break;
	case CONF_BOOL:
		assert_int_equal(*(const int *)(const void *)pa,
		    *(const int *)(const void *)pb);
		break;
	case CONF_INT:
	case CONF_DURATION:
		assert_int_equal(*(const int64_t *)(const void *)pa,
		    *(const int64_t *)(const void *)pb);
		break;
	case CONF_LIST:
		la = (const void *)pa;
		lb = (const void *)pb;
		assert_int_equal(la->n, lb->n);
		for (i = 0; i < la->n; i++)
			assert_string_equal(la->v[i], lb->v[i]);
		break;
	}
}

static void
test_roundtrip(void **state)
{
	struct fixture		*f = *state;
	const struct conf_key	*keys;
	struct config		 dst;
	struct imsg_out		 out;
	size_t			 i, n, nsent = 0;

	fill_config(f);
	config_init(&dst);
	keys = config_keys(&n);
	for (i = 0; i < n; i++) {
		if (keys[i].flags & CONF_F_UNSUPPORTED) {
			assert_int_equal(config_compose_key(&f->cf, &keys[i],
			    &out), -1);
			continue;
		}
		assert_int_equal(roundtrip(&f->cf, &keys[i], &dst), 0);
		assert_same_value(&f->cf, &dst, &keys[i]);
		nsent++;
	}
	assert_int_equal(nsent, 130);
	/* A NULL string travels as none. */
	config_free(&dst);
	config_init(&dst);
	assert_int_equal(roundtrip(&dst, config_key_lookup("client_id"),
	    &f->cf), 0);
	assert_null(f->cf.client_id);
	config_free(&dst);
}

/* Composes IMSG_CONF_KEY by hand: name, type, then raw body bytes. */
static int
recv_raw(struct config *cf, uint32_t type, const char *name, uint32_t ktype,
    const void *body, size_t len)
{
	struct imsg_out	out;
	struct imsg_in	in;

	imsg_compose(&out, type, 0);
	if (name != NULL)
		imsg_add_string(&out, name);
	imsg_add_u32(&out, ktype);
	if (len > 0) {
		assert_true(out.len + len <= sizeof(out.buf));
		memcpy(out.buf + out.len, body, len);
		out.len += len;
	}
	assert_int_equal(imsg_close(&out), 0);
	assert_int_equal(imsg_parse(&in, out.buf, out.len), 0);
	return (config_recv_key(cf, &in));
}

static void
test_recv_malformed(void **state)
{
	struct fixture	*f = *state;
	uint32_t	 u32[4];
	uint64_t	 u64[2] = { 2, 0 };
	uint8_t		 buf[64];

	/* Well formed, to show the helper works. */
	u32[0] = 1;
	u32[1] = 2;
	memcpy(buf, u32, 8);
	memcpy(buf + 8, "x", 2);
	assert_int_equal(recv_raw(&f->cf, IMSG_CONF_KEY, "client_id",
	    CONF_STRING, buf, 10), 0);
	assert_string_equal(f->cf.client_id, "x");
	/* Wrong message type, unknown key, unsupported key, wrong type. */
	assert_int_equal(recv_raw(&f->cf, IMSG_PING, "client_id", CONF_STRING,
	    buf, 10), -1);
	assert_int_equal(recv_raw(&f->cf, IMSG_CONF_KEY, "nope", CONF_STRING,
	    buf, 10), -1);
	assert_int_equal(recv_raw(&f->cf, IMSG_CONF_KEY, "htpasswd_file",
	    CONF_STRING, buf, 10), -1);
	assert_int_equal(recv_raw(&f->cf, IMSG_CONF_KEY, "client_id",
	    CONF_INT, buf, 10), -1);
	/* Trailing byte, string too short, bad presence, no NUL. */
	assert_int_equal(recv_raw(&f->cf, IMSG_CONF_KEY, "client_id",
	    CONF_STRING, buf, 11), -1);
	assert_int_equal(recv_raw(&f->cf, IMSG_CONF_KEY, "client_id",
	    CONF_STRING, buf, 9), -1);
	u32[0] = 2;
	memcpy(buf, u32, 4);
	assert_int_equal(recv_raw(&f->cf, IMSG_CONF_KEY, "client_id",
	    CONF_STRING, buf, 10), -1);
	u32[0] = 1;
	memcpy(buf, u32, 4);
	buf[9] = 'y';
	assert_int_equal(recv_raw(&f->cf, IMSG_CONF_KEY, "client_id",
	    CONF_STRING, buf, 10), -1);
	/* A bool that is neither 0 nor 1, a short u64, a long u64. */
	assert_int_equal(recv_raw(&f->cf, IMSG_CONF_KEY, "sandbox_debug",
	    CONF_BOOL, u64, 8), -1);
	assert_int_equal(recv_raw(&f->cf, IMSG_CONF_KEY, "workers", CONF_INT,
	    u64, 4), -1);
	assert_int_equal(recv_raw(&f->cf, IMSG_CONF_KEY, "workers", CONF_INT,
	    u64, 16), -1);
	assert_int_equal(f->cf.workers, 0);
	/* A list that claims more strings than it has, or a huge count. */
	u32[0] = 2;
	u32[1] = 2;
	memcpy(buf, u32, 8);
	memcpy(buf + 8, "a", 2);
	assert_int_equal(recv_raw(&f->cf, IMSG_CONF_KEY, "cookie_secrets",
	    CONF_LIST, buf, 10), -1);
	u32[0] = UINT32_MAX;
	memcpy(buf, u32, 4);
	assert_int_equal(recv_raw(&f->cf, IMSG_CONF_KEY, "cookie_secrets",
	    CONF_LIST, buf, 10), -1);
	assert_int_equal(f->cf.cookie_secrets.n, 0);
	/* No name at all. */
	assert_int_equal(recv_raw(&f->cf, IMSG_CONF_KEY, NULL, 0, NULL, 0),
	    -1);
}

/* A list too big for one message is refused, not cut. */
static void
test_compose_overflow(void **state)
{
	struct fixture	*f = *state;
	struct imsg_out	 out;
	char		*text, *p;
	size_t		 i;

	assert_non_null(text = malloc(80 * 1024));
	p = text + sprintf(text, "cookie_secrets = [\n");
	for (i = 0; i < 70; i++) {
		*p++ = '"';
		memset(p, 'a', 1000);
		p += 1000;
		p += sprintf(p, "\",\n");
	}
	strcpy(p, "]\n");
	assert_int_equal(parse(f, text), 0);
	assert_int_equal(f->cf.cookie_secrets.n, 70);
	assert_int_equal(config_compose_key(&f->cf,
	    config_key_lookup("cookie_secrets"), &out), -1);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_table),
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test(test_http_key_roles),
		cmocka_unit_test_setup_teardown(test_toml_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_toml_list_forms, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_toml_unterminated, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_toml_unknown_key, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unsupported_key, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_toml_wrong_type, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_toml_duplicate, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_toml_bad_bytes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_toml_bad_escape, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_toml_syntax, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_toml_all_errors, setup,
		    teardown),
		cmocka_unit_test(test_durations),
		cmocka_unit_test_setup_teardown(test_duration_bare_number,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_precedence, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_list_flags, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_env_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env_bad_bool, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flag_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_help_version, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_secret_length, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_secret_count, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_secret_and_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_secret_file_newline, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_credentials, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_validate_all, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_validate_values, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_validate_http, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_validate_http_messages,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_validate_http_warning,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_deprecated_regex, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_http_sources, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_recv_malformed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_compose_overflow, setup,
		    teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
