/*
 * authenticated_emails_file: the addresses allowed whatever their domain,
 * one per line, as oauth2-proxy reads the file (blank lines skipped,
 * surrounding blanks trimmed, compared without regard to case).  Read
 * before the sandbox by the workers, and by the parent to check it.
 */
#ifndef GH_EMAILS_H
#define GH_EMAILS_H

#include <stddef.h>

#define EMAILS_FILE_MAX		(16 * 1024 * 1024)
#define EMAILS_LINE_MAX		320	/* RFC 5321's 64 + @ + 255 */

struct email_set;

/* NULL with err set: unreadable, too large, or a line that is too long. */
struct email_set	*emails_load(const char *path, char *err,
			    size_t errlen);
void			 emails_free(struct email_set *);
int			 emails_contains(const struct email_set *,
			    const char *email);
size_t			 emails_count(const struct email_set *);

#endif /* GH_EMAILS_H */
