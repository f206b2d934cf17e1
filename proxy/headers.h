/*
 * Building the heads that go upstream and back to the client.
 */
#ifndef GH_HEADERS_H
#define GH_HEADERS_H

#include <stdint.h>

#include <event2/buffer.h>

#include "http.h"
#include "upstream.h"

struct conn;

enum framing {
	FRAME_NONE,	/* no body, or delimited by closing */
	FRAME_LENGTH,
	FRAME_CHUNKED,
};

void	headers_request(struct evbuffer *, const struct conn *,
	    const struct upstream *);
void	headers_response(struct evbuffer *, const struct conn *,
	    const struct http_header *, size_t, int status, const char *reason,
	    enum framing, uint64_t length);

#endif /* GH_HEADERS_H */
