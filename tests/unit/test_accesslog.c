/*
 * The request log: oauth2-proxy's format, its subset of Go templates,
 * and values that cannot break a record.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "accesslog.h"
#include "log.h"

#define DEFAULT_FORMAT							\
	"{{.Client}} - {{.RequestID}} - {{.Username}} [{{.Timestamp}}] "\
	"{{.Host}} {{.RequestMethod}} {{.Upstream}} {{.RequestURI}} "	\
	"{{.Protocol}} {{.UserAgent}} {{.StatusCode}} {{.ResponseSize}} "\
	"{{.RequestDuration}}"

static char	diag_text[2048];

static void
diag_collect(void *arg, const char *msg)
{
	(void)arg;
	strncat(diag_text, msg, sizeof(diag_text) - strlen(diag_text) - 2);
	strcat(diag_text, "\n");
}

static struct conf_diag	diag = { diag_collect, NULL, 0 };

static struct access_log *
compile(const char *format)
{
	diag_text[0] = '\0';
	diag.nerrors = 0;
	return accesslog_compile(format, &diag);
}

/* 2024-01-02 03:04:05 UTC and a typical request. */
static struct access_entry
entry(void)
{
	struct access_entry	e = {
		.client = "127.0.0.1:53124",
		.request_id = "5b7b8b0c-0c4b-4f5b-9a3c-1d2e3f405060",
		.username = "alice@example.com",
		.host = "app.example.com",
		.method = "GET",
		.upstream = "http://127.0.0.1:8080/",
		.uri = "/a/b?c=d",
		.protocol = "HTTP/1.1",
		.user_agent = "curl/8.0.1",
		.status = 200,
		.size = 1234,
		.start = { 1704164645, 999000000 },
		.duration = 0.01251,
	};

	return e;
}

/* What accesslog_write put on fd 2: the whole record. */
static void
capture(const struct access_log *al, const struct access_entry *e,
    enum log_format f, char *out, size_t len)
{
	int	p[2], saved;
	ssize_t	n;

	log_init(LOG_TARGET_STDERR, f, LOG_LEVEL_INFO);
	assert_int_equal(pipe(p), 0);
	saved = dup(STDERR_FILENO);
	assert_int_equal(dup2(p[1], STDERR_FILENO), STDERR_FILENO);
	accesslog_write(al, e);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(p[1]);
	n = read(p[0], out, len - 1);
	out[n > 0 ? n : 0] = '\0';
	close(p[0]);
	log_init(LOG_TARGET_STDERR, LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
}

/* The text record without log.c's prefix and final newline. */
static void
line_of(const struct access_log *al, const struct access_entry *e,
    char *out, size_t len)
{
	char	rec[8192], *msg;

	capture(al, e, LOG_FORMAT_TEXT, rec, sizeof(rec));
	assert_ptr_equal(strchr(rec, '\n'), rec + strlen(rec) - 1);
	assert_non_null(msg = strstr(rec, "]: info: "));
	msg += strlen("]: info: ");
	msg[strlen(msg) - 1] = '\0';
	snprintf(out, len, "%s", msg);
}

static void
assert_line(const char *format, const struct access_entry *e,
    const char *want)
{
	struct access_log	*al;
	char			 line[8192];

	assert_non_null(al = compile(format));
	line_of(al, e, line, sizeof(line));
	if (strcmp(line, want) != 0)
		fail_msg("format %s\n got: %s\nwant: %s", format, line, want);
	accesslog_free(al);
}

static void
test_default_format(void **state)
{
	struct access_entry	e = entry();

	(void)state;
	assert_line(DEFAULT_FORMAT, &e,
	    "127.0.0.1:53124 - 5b7b8b0c-0c4b-4f5b-9a3c-1d2e3f405060 - "
	    "alice@example.com [2024/01/02 03:04:05] app.example.com GET "
	    "http://127.0.0.1:8080/ \"/a/b?c=d\" HTTP/1.1 \"curl/8.0.1\" "
	    "200 1234 0.013");
	/* No user, no upstream, no user agent: as oauth2-proxy shows them. */
	e.username = NULL;
	e.upstream = NULL;
	e.user_agent = "";
	e.status = 401;
	e.size = 0;
	e.duration = 0;
	assert_line(DEFAULT_FORMAT, &e,
	    "127.0.0.1:53124 - 5b7b8b0c-0c4b-4f5b-9a3c-1d2e3f405060 - - "
	    "[2024/01/02 03:04:05] app.example.com GET - \"/a/b?c=d\" "
	    "HTTP/1.1 \"\" 401 0 0.000");
	e.username = "";
	e.upstream = "";
	assert_line("{{.Username}} {{.Upstream}}", &e, "- -");
}

static void
test_custom_formats(void **state)
{
	struct access_entry	e = entry();

	(void)state;
	assert_line("{{ .StatusCode }}\t{{.RequestMethod}}{{\n.Host\t}}", &e,
	    "200?GETapp.example.com");
	assert_line("plain text, no action }} {", &e,
	    "plain text, no action }} {");
	assert_line("{{.RequestDuration}}s {{.ResponseSize}}B", &e,
	    "0.013s 1234B");
	assert_line("", &e, "");
	assert_line("{{.Client}}{{.Client}}", &e,
	    "127.0.0.1:53124127.0.0.1:53124");
	e.size = UINT64_MAX;
	e.duration = 12345.6789;
	assert_line("{{.ResponseSize}} {{.RequestDuration}}", &e,
	    "18446744073709551615 12345.679");
}

static void
test_bad_formats(void **state)
{
	static const struct {
		const char	*format, *diag;
	} c[] = {
		{ "{{.Nope}}", "unknown field \"Nope\"" },
		{ "{{ .client }}", "unknown field \"client\"" },
		{ "{{if .Client}}x{{end}}",
		    "unsupported action \"{{if .Client}}\"" },
		{ "{{.Client | printf \"%q\"}}", "unsupported action" },
		{ "{{- .Client}}", "unsupported action \"{{- .Client}}\"" },
		{ "{{.Client -}}", "unsupported action" },
		{ "{{/* c */}}", "unsupported action" },
		{ "{{.}}", "unsupported action \"{{.}}\"" },
		{ "{{}}", "unsupported action" },
		{ "{{.Client.Name}}", "unsupported action" },
		{ "{{$x}}", "unsupported action" },
		{ "{{.Client}", "unclosed action" },
		{ "a {{", "unclosed action" },
	};
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if (compile(c[i].format) != NULL)
			fail_msg("%s: accepted", c[i].format);
		assert_int_equal(diag.nerrors, 1);
		if (strncmp(diag_text, "request_logging_format: ", 24) != 0 ||
		    strstr(diag_text, c[i].diag) == NULL)
			fail_msg("%s: diag %s", c[i].format, diag_text);
	}
}

/* Client input stays inside its field, on one line. */
static void
test_hostile_values(void **state)
{
	struct access_entry	e = entry();

	(void)state;
	e.uri = "/a\"b\\c\n127.0.0.1 - - [x] forged\r\t\x01\x7f";
	e.user_agent = "ua\"\xff\xc3\xa9\xe2\x80\xae\xc2\x85\xf0\x9f\x98\x80"
	    "\xef\xbf\xbe\xf3\xa0\x80\x81\xc0\xaf\xed\xa0\x80\a\b\f\v";
	assert_line("{{.RequestURI}} {{.UserAgent}}", &e,
	    "\"/a\\\"b\\\\c\\n127.0.0.1 - - [x] forged\\r\\t\\x01\\x7f\" "
	    "\"ua\\\"\\xff\xc3\xa9\\u202e\\u0085\xf0\x9f\x98\x80"
	    "\\ufffe\\U000e0001\\xc0\\xaf\\xed\\xa0\\x80\\a\\b\\f\\v\"");
	/* Unquoted fields: log.c keeps the record on one line. */
	e.host = "evil\ninjected";
	e.request_id = "id\r\n";
	assert_line("{{.Host}} {{.RequestID}}", &e, "evil?injected id??");
}

/* A huge value is cut, and the record still ends in one newline. */
static void
test_long_values(void **state)
{
	struct access_entry	 e = entry();
	struct access_log	*al;
	static char		 uri[16384];
	char			 line[8192];

	(void)state;
	memset(uri, '\x01', sizeof(uri) - 1);
	e.uri = uri;
	assert_non_null(al = compile(DEFAULT_FORMAT));
	line_of(al, &e, line, sizeof(line));
	assert_true(strlen(line) < 4096);
	/* Cut at a whole escape, after the fields before it. */
	assert_non_null(strstr(line, "GET http://127.0.0.1:8080/ \"\\x01"));
	assert_int_equal(strlen(strstr(line, "\"\\x01")) % 4, 1);
	accesslog_free(al);
}

static void
test_json(void **state)
{
	struct access_entry	 e = entry();
	struct access_log	*al;
	char			 rec[8192];

	(void)state;
	e.uri = "/a\"b\n";
	e.username = NULL;
	assert_non_null(al = compile("{{.Client}} ignored in JSON"));
	capture(al, &e, LOG_FORMAT_JSON, rec, sizeof(rec));
	assert_ptr_equal(strchr(rec, '\n'), rec + strlen(rec) - 1);
	assert_non_null(strstr(rec, "\"level\":\"info\",\"event\":\"request\","
	    "\"client\":\"127.0.0.1:53124\","
	    "\"request_id\":\"5b7b8b0c-0c4b-4f5b-9a3c-1d2e3f405060\","
	    "\"username\":\"-\",\"timestamp\":\"2024/01/02 03:04:05\","
	    "\"host\":\"app.example.com\",\"method\":\"GET\","
	    "\"upstream\":\"http://127.0.0.1:8080/\","
	    "\"uri\":\"/a\\\"b\\u000a\",\"protocol\":\"HTTP/1.1\","
	    "\"user_agent\":\"curl/8.0.1\",\"status\":\"200\","
	    "\"size\":\"1234\",\"duration\":\"0.013\"}\n"));
	assert_null(strstr(rec, "ignored"));
	accesslog_free(al);
}

static void
test_null_and_free(void **state)
{
	struct access_entry	 e;
	struct access_log	*al;
	char			 line[256];

	(void)state;
	accesslog_free(NULL);
	memset(&e, 0, sizeof(e));
	assert_non_null(al = compile(NULL));
	line_of(al, &e, line, sizeof(line));
	assert_string_equal(line, "");
	accesslog_free(al);
	assert_line(DEFAULT_FORMAT, &e,
	    " -  - - [1970/01/01 00:00:00]   - \"\"  \"\" 0 0 0.000");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_format),
		cmocka_unit_test(test_custom_formats),
		cmocka_unit_test(test_bad_formats),
		cmocka_unit_test(test_hostile_values),
		cmocka_unit_test(test_long_values),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_null_and_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
