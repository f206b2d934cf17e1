/*
 * The request log: one record per request, after its response, in the
 * format of oauth2-proxy's request_logging_format (Go template fields
 * {{.Client}}, {{.RequestID}}, {{.Username}}, {{.Timestamp}}, {{.Host}},
 * {{.RequestMethod}}, {{.Upstream}}, {{.RequestURI}}, {{.Protocol}},
 * {{.UserAgent}}, {{.StatusCode}}, {{.ResponseSize}}, {{.RequestDuration}}).
 * With log_format json the fields are written as JSON fields instead.
 * Values are escaped so no client input can break a record or forge one.
 */
#ifndef GH_ACCESSLOG_H
#define GH_ACCESSLOG_H

#include <stdint.h>
#include <time.h>

#include "config.h"

struct access_log;

struct access_entry {
	const char	*client;	/* address, or the trusted real-IP */
	const char	*request_id;
	const char	*username;	/* NULL: "-" */
	const char	*host;
	const char	*method;
	const char	*upstream;	/* upstream id, NULL: "-" */
	const char	*uri;		/* the request target */
	const char	*protocol;	/* "HTTP/1.1" */
	const char	*user_agent;
	int		 status;
	uint64_t	 size;		/* response body bytes sent */
	struct timespec	 start;		/* CLOCK_REALTIME when it began */
	double		 duration;	/* seconds */
};

/* NULL, with the error reported through diag, when the format is bad. */
struct access_log *accesslog_compile(const char *format, struct conf_diag *);
void		   accesslog_free(struct access_log *);
void		   accesslog_write(const struct access_log *,
		    const struct access_entry *);

#endif /* GH_ACCESSLOG_H */
