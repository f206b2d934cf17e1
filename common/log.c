/*
 * Logging for every gatehouse process: stderr (fd 2, which the parent may
 * have pointed at a log file), or syslog; text or JSON lines.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX	4096
#define AUDIT_MAX_FIELDS 32

static enum log_target	 log_target = LOG_TARGET_STDERR;
static enum log_format	 log_format = LOG_FORMAT_TEXT;
static enum log_level	 log_level = LOG_LEVEL_INFO;
static const char	*log_title = "gatehouse";

static const char *const level_names[] = { "error", "warn", "info", "debug" };
static const int syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

static int
name_index(const char *s, const char *const *names, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

int
log_level_parse(const char *s, enum log_level *lv)
{
	int	i = name_index(s, level_names, 4);

	if (i < 0)
		return -1;
	*lv = (enum log_level)i;
	return 0;
}

int
log_format_parse(const char *s, enum log_format *f)
{
	static const char *const names[] = { "text", "json" };
	int	i = name_index(s, names, 2);

	if (i < 0)
		return -1;
	*f = (enum log_format)i;
	return 0;
}

int
log_target_parse(const char *s, enum log_target *t)
{
	static const char *const names[] = { "stderr", "syslog", "file" };
	int	i = name_index(s, names, 3);

	if (i < 0)
		return -1;
	*t = (enum log_target)i;
	return 0;
}

void
log_init(enum log_target t, enum log_format f, enum log_level lv)
{
	log_set(t, f, lv);
}

/*
 * The syslog socket is connected now (LOG_NDELAY) because a sandboxed
 * process can neither open /dev/log later nor, in its chroot, find it.
 */
void
log_set(enum log_target t, enum log_format f, enum log_level lv)
{
	if (t == LOG_TARGET_SYSLOG && log_target != LOG_TARGET_SYSLOG)
		openlog(log_title, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_target = t;
	log_format = f;
	log_level = lv;
}

void
log_procinit(const char *title)
{
	log_title = title;
}

/*
 * Appends s to buf as a JSON string body; returns the new length.  A value
 * is cut JSON_MARGIN short of the end, so the punctuation that closes the
 * record always fits and a cut record is still valid JSON.
 */
#define JSON_MARGIN	256

static size_t
json_escape(char *buf, size_t len, size_t off, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char	c;

	for (; *s != '\0' && off + 7 + JSON_MARGIN < len; s++) {
		c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			buf[off++] = '\\';
			buf[off++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(buf + off, "\\u00", 4);
			buf[off + 4] = hex[c >> 4];
			buf[off + 5] = hex[c & 0xf];
			off += 6;
		} else
			buf[off++] = (char)c;
	}
	return off;
}

/* Appends s to buf, replacing control characters so one record is one line. */
static size_t
text_escape(char *buf, size_t len, size_t off, const char *s)
{
	for (; *s != '\0' && off + 1 < len; s++)
		buf[off++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
	return off;
}

/* Appends s, cut to fit, and keeps buf NUL-terminated. */
static size_t
append(char *buf, size_t len, size_t off, const char *s)
{
	size_t	n = strlen(s);

	if (off + n >= len)
		n = off < len - 1 ? len - 1 - off : 0;
	memcpy(buf + off, s, n);
	buf[off + n] = '\0';
	return off + n;
}

static void
timestamp(char *buf, size_t len)
{
	struct timespec	ts;
	struct tm	tm;
	char		tmp[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%.19s.%03dZ", tmp, (int)(ts.tv_nsec / 1000000) % 1000);
}

static size_t
format_json(char *buf, size_t len, const char *level, const char *event,
    const char *msg, const char *const *fields, size_t nfields)
{
	char	head[160], ts[40];
	size_t	off, i;

	timestamp(ts, sizeof(ts));
	snprintf(head, sizeof(head), "{\"time\":\"%s\",\"process\":\"", ts);
	off = append(buf, len, 0, head);
	off = json_escape(buf, len, off, log_title);
	snprintf(head, sizeof(head), "\",\"pid\":%ld,\"level\":\"%s\"",
	    (long)getpid(), level);
	off = append(buf, len, off, head);
	if (event != NULL) {
		off = append(buf, len, off, ",\"event\":\"");
		off = json_escape(buf, len, off, event);
		off = append(buf, len, off, "\"");
	}
	if (msg != NULL) {
		off = append(buf, len, off, ",\"msg\":\"");
		off = json_escape(buf, len, off, msg);
		off = append(buf, len, off, "\"");
	}
	for (i = 0; i + 1 < nfields; i += 2) {
		off = append(buf, len, off, ",\"");
		off = json_escape(buf, len, off, fields[i]);
		off = append(buf, len, off, "\":\"");
		off = json_escape(buf, len, off, fields[i + 1]);
		off = append(buf, len, off, "\"");
	}
	return append(buf, len, off, "}\n");
}

static size_t
format_text(char *buf, size_t len, const char *level, const char *event,
    const char *msg, const char *const *fields, size_t nfields)
{
	char	head[128], ts[40];
	size_t	off, i;

	timestamp(ts, sizeof(ts));
	snprintf(head, sizeof(head), "%s %s[%ld]: %s: ", ts, log_title,
	    (long)getpid(), level);
	off = append(buf, len, 0, head);
	if (event != NULL) {
		off = append(buf, len, off, "event=");
		off = text_escape(buf, len, off, event);
	}
	if (msg != NULL) {
		if (event != NULL)
			off = append(buf, len, off, " ");
		off = text_escape(buf, len, off, msg);
	}
	for (i = 0; i + 1 < nfields; i += 2) {
		off = append(buf, len, off, " ");
		off = text_escape(buf, len, off, fields[i]);
		off = append(buf, len, off, "=\"");
		off = text_escape(buf, len, off, fields[i + 1]);
		off = append(buf, len, off, "\"");
	}
	return append(buf, len, off, "\n");
}

size_t
log_format_record(char *buf, size_t len, enum log_format f, const char *level,
    const char *event, const char *msg, const char *const *fields,
    size_t nfields)
{
	size_t	n;

	if (f == LOG_FORMAT_JSON)
		n = format_json(buf, len, level, event, msg, fields, nfields);
	else
		n = format_text(buf, len, level, event, msg, fields, nfields);
	/* A record cut to fit still ends its line. */
	if (n > 0 && buf[n - 1] != '\n')
		buf[n - 1] = '\n';
	return n;
}

/* One record is one write(2), so lines of processes sharing a file stay whole. */
static void
emit(enum log_level lv, const char *level, const char *event, const char *msg,
    const char *const *fields, size_t nfields)
{
	char	line[LOG_LINE_MAX];
	size_t	n;

	if (log_target == LOG_TARGET_SYSLOG && log_format == LOG_FORMAT_TEXT) {
		n = log_format_record(line, sizeof(line), LOG_FORMAT_TEXT,
		    level, event, msg, fields, nfields);
		/* syslog adds its own time, name and pid. */
		syslog(syslog_prio[lv], "%.*s", (int)n - 1,
		    strchr(line, ' ') + 1);
		return;
	}
	n = log_format_record(line, sizeof(line), log_format, level, event,
	    msg, fields, nfields);
	if (log_target == LOG_TARGET_SYSLOG)
		syslog(syslog_prio[lv], "%.*s", (int)n - 1, line);
	else if (write(STDERR_FILENO, line, n) == -1)
		return;	/* Nowhere left to say it. */
}

static void
vlog(enum log_level lv, int with_errno, const char *fmt, va_list ap)
{
	char	msg[LOG_LINE_MAX / 2];
	int	saved = errno, n;

	if (lv > log_level)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno && n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
	emit(lv, level_names[lv], NULL, msg, NULL, 0);
	errno = saved;
}

/* One definition for each member of the family; fatal ones then exit. */
#define LOGFN(name, lv, err, then)				\
void								\
name(const char *fmt, ...)					\
{								\
	va_list	ap;						\
								\
	va_start(ap, fmt);					\
	vlog(lv, err, fmt, ap);					\
	va_end(ap);						\
	then;							\
}

LOGFN(log_warn, LOG_LEVEL_WARN, 1, return)
LOGFN(log_warnx, LOG_LEVEL_WARN, 0, return)
LOGFN(log_info, LOG_LEVEL_INFO, 0, return)
LOGFN(log_debug, LOG_LEVEL_DEBUG, 0, return)
LOGFN(fatal, LOG_LEVEL_ERROR, 1, exit(1))
LOGFN(fatalx, LOG_LEVEL_ERROR, 0, exit(1))

void
log_fields(enum log_level lv, const char *event, const char *msg,
    const char *const *fields, size_t nfields)
{
	if (lv > log_level)
		return;
	if (log_format == LOG_FORMAT_TEXT)
		emit(lv, level_names[lv], NULL, msg, NULL, 0);
	else
		emit(lv, level_names[lv], event, msg, fields, nfields);
}

int
log_is_json(void)
{
	return log_format == LOG_FORMAT_JSON;
}

void
log_audit(const char *event, ...)
{
	const char	*fields[AUDIT_MAX_FIELDS];
	const char	*s;
	size_t		 n = 0;
	va_list		 ap;

	va_start(ap, event);
	while ((s = va_arg(ap, const char *)) != NULL && n < AUDIT_MAX_FIELDS)
		fields[n++] = s;
	va_end(ap);
	emit(LOG_LEVEL_INFO, "audit", event, NULL, fields, n);
}
