/*
 * The one logging family of every gatehouse process.
 */
#ifndef GH_LOG_H
#define GH_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

enum log_format {
	LOG_FORMAT_TEXT,
	LOG_FORMAT_JSON,
};

enum log_target {
	LOG_TARGET_STDERR,	/* fd 2, whatever the parent made it */
	LOG_TARGET_SYSLOG,
	LOG_TARGET_FILE,	/* fd 2 too: the parent opened the file */
};

void	log_init(enum log_target, enum log_format, enum log_level);
void	log_procinit(const char *title);
void	log_set(enum log_target, enum log_format, enum log_level);
int	log_level_parse(const char *, enum log_level *);
int	log_format_parse(const char *, enum log_format *);
int	log_target_parse(const char *, enum log_target *);

void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * Audit events: one function, so every login, denial, sign-out, sandbox
 * kill and reload has the same shape.  The variable part is pairs of
 * field name and string value, ended by NULL:
 *	log_audit("sandbox_violation", "role", "proxy", "instance", "2", NULL);
 */
void	log_audit(const char *event, ...) __attribute__((sentinel));

/*
 * A record with named fields at a level (the request log uses it): in JSON
 * each field is its own member; in text "msg" is the line and the fields
 * are left out, since the text form is the operator's own template.
 */
void	log_fields(enum log_level, const char *event, const char *msg,
	    const char *const *fields, size_t nfields);
int	log_is_json(void);

/* Formats one record into buf; for the tests and for log_audit. */
size_t	log_format_record(char *buf, size_t len, enum log_format,
	    const char *level, const char *event, const char *msg,
	    const char *const *fields, size_t nfields);

#endif /* GH_LOG_H */
