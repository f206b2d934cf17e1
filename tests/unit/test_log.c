/*
 * Log records: one line each, whatever the message holds, in both formats.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "log.h"

static void
test_text_record(void **state)
{
	const char	*fields[] = { "role", "gatehouse-proxy", "status", "signal 31" };
	char		 buf[512];
	size_t		 n;

	(void)state;
	log_procinit("gatehouse");
	n = log_format_record(buf, sizeof(buf), LOG_FORMAT_TEXT, "audit",
	    "sandbox_violation", NULL, fields, 4);
	assert_int_equal(n, strlen(buf));
	assert_non_null(strstr(buf, " gatehouse["));
	assert_non_null(strstr(buf, "]: audit: event=sandbox_violation "
	    "role=\"gatehouse-proxy\" status=\"signal 31\"\n"));
}

/* A newline in a message must not forge a second record. */
static void
test_text_no_injection(void **state)
{
	char	buf[512];

	(void)state;
	log_format_record(buf, sizeof(buf), LOG_FORMAT_TEXT, "info", NULL,
	    "user\n2026-01-01T00:00:00.000Z gatehouse[1]: audit: event=login",
	    NULL, 0);
	assert_ptr_equal(strchr(buf, '\n'), buf + strlen(buf) - 1);
}

static void
test_json_record(void **state)
{
	const char	*fields[] = { "reason", "bad \"quote\"\n\\" };
	char		 buf[512];

	(void)state;
	log_procinit("gatehouse-authd");
	log_format_record(buf, sizeof(buf), LOG_FORMAT_JSON, "audit",
	    "login_denied", "msg\twith tab", fields, 2);
	assert_ptr_equal(strchr(buf, '\n'), buf + strlen(buf) - 1);
	assert_non_null(strstr(buf, "\"process\":\"gatehouse-authd\""));
	assert_non_null(strstr(buf, "\"level\":\"audit\""));
	assert_non_null(strstr(buf, "\"event\":\"login_denied\""));
	assert_non_null(strstr(buf, "\"msg\":\"msg\\u0009with tab\""));
	assert_non_null(strstr(buf,
	    "\"reason\":\"bad \\\"quote\\\"\\u000a\\\\\"}\n"));
}

/* An over-long record is cut, and still ends in one newline. */
static void
test_truncation(void **state)
{
	char	msg[2000], buf[256];
	size_t	n;

	(void)state;
	memset(msg, 'x', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	n = log_format_record(buf, sizeof(buf), LOG_FORMAT_TEXT, "info", NULL,
	    msg, NULL, 0);
	assert_true(n < sizeof(buf));
	assert_int_equal(buf[n], '\0');
	assert_int_equal(buf[n - 1], '\n');
}

static void
test_parse_names(void **state)
{
	enum log_level	lv;
	enum log_format	f;
	enum log_target	t;

	(void)state;
	assert_int_equal(log_level_parse("debug", &lv), 0);
	assert_int_equal(lv, LOG_LEVEL_DEBUG);
	assert_int_equal(log_level_parse("DEBUG", &lv), -1);
	assert_int_equal(log_format_parse("json", &f), 0);
	assert_int_equal(f, LOG_FORMAT_JSON);
	assert_int_equal(log_format_parse("xml", &f), -1);
	assert_int_equal(log_target_parse("syslog", &t), 0);
	assert_int_equal(t, LOG_TARGET_SYSLOG);
	assert_int_equal(log_target_parse("", &t), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_record),
		cmocka_unit_test(test_text_no_injection),
		cmocka_unit_test(test_json_record),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_parse_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
