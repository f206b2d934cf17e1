/*
 * Collecting a message head from llhttp's callbacks into a bounded arena:
 * request heads from clients and response heads from upstreams alike,
 * with the checks llhttp 8 leaves undone (header names that are not
 * tokens, obs-fold).
 */
#ifndef GH_HEAD_H
#define GH_HEAD_H

#include <stddef.h>

#include "http.h"

struct head {
	char			*arena;
	size_t			 used;
	size_t			 bytes;		/* counted against max_bytes */
	size_t			 max_bytes;
	struct http_header	*h;
	size_t			 nh;
	size_t			 max_headers;
	int			 in_field;
	int			 value_split;
	const char		*buf_start;	/* the buffer being parsed */
	const char		*buf_end;
};

/* The memory a head of these limits needs, extra bytes included. */
size_t	head_size(size_t max_bytes, size_t max_headers, size_t extra);
void	head_init(struct head *, void *mem, size_t max_bytes,
	    size_t max_headers);

/* Each returns 0, or the status a request would be refused with. */
int	head_add(struct head *, const char *, size_t);
int	head_end(struct head *);
int	head_field(struct head *, const char *, size_t);
int	head_field_complete(struct head *);
int	head_value(struct head *, const char *, size_t);
int	head_value_complete(struct head *);

#endif /* GH_HEAD_H */
