/*
 * authenticated_emails_file: what a line holds, case, limits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "emails.h"

static char	path[] = "/tmp/test_emails.XXXXXX";

static void
write_file(const char *text)
{
	FILE	*fp;

	assert_non_null(fp = fopen(path, "w"));
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static void
test_lines(void **state)
{
	struct email_set	*es;
	char			 err[256];

	(void)state;
	write_file("alice@example.com\n\n  Bob@Example.ORG \t\r\ncarol@x\n");
	assert_non_null(es = emails_load(path, err, sizeof(err)));
	assert_int_equal(emails_count(es), 3);
	assert_true(emails_contains(es, "alice@example.com"));
	assert_true(emails_contains(es, "ALICE@example.com"));
	assert_true(emails_contains(es, "bob@example.org"));
	assert_true(emails_contains(es, "carol@x"));
	assert_false(emails_contains(es, "carol@x.y"));
	assert_false(emails_contains(es, "alice@example.co"));
	assert_false(emails_contains(es, ""));
	assert_false(emails_contains(NULL, "alice@example.com"));
	emails_free(es);
}

static void
test_refused(void **state)
{
	char	err[256], big[EMAILS_LINE_MAX + 16];

	(void)state;
	memset(big, 'a', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	write_file(big);
	assert_null(emails_load(path, err, sizeof(err)));
	assert_non_null(strstr(err, ":1: line or file too long"));
	assert_null(emails_load("/nonexistent/emails", err, sizeof(err)));
	assert_non_null(strstr(err, "No such file"));
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_refused),
	};
	int			fd, rc;

	assert_true((fd = mkstemp(path)) != -1);
	close(fd);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path);
	return rc;
}
