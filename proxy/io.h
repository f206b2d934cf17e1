/*
 * Non-blocking socket I/O for the worker's connections, plain or TLS,
 * with input and output evbuffers.  Unlike libevent's bufferevents it
 * writes at once when asked and waits for writability only when the
 * socket is full, and reads without sizing the read first: a request
 * costs one read and one write, as in nginx.
 */
#ifndef GH_IO_H
#define GH_IO_H

#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <openssl/ssl.h>

enum io_event {
	IO_CONNECTED,	/* connect and TLS handshake done (io_connect) */
	IO_EOF,		/* the peer closed; what it sent is in `in` */
	IO_ERROR,
	IO_TIMEOUT,	/* connect, or a write stalled too long */
};

struct io;
typedef void	(*io_cb)(struct io *, void *);
typedef void	(*io_event_cb)(struct io *, enum io_event, void *);

struct io {
	int			 fd;
	SSL			*ssl;
	int			 state;
	int			 reading;
	int			 eof;
	int			 ssl_write_wants_read;
	enum io_event		 failed;
	struct evbuffer		*in;
	struct evbuffer		*out;
	struct event		*rev;
	struct event		*wev;
	struct timeval		 wtimeout;
	io_cb			 on_read;
	io_cb			 on_drain;	/* out emptied while waiting */
	io_event_cb		 on_event;
	void			*arg;
};

/* An accepted socket; ssl (server side, may be NULL) is owned from here. */
struct io	*io_accept(struct event_base *, int fd, SSL *);

/*
 * A connection being made; IO_CONNECTED or an error/timeout follows.  A
 * unix socket goes by its unix_target (unixsock.h), sa giving the family.
 */
struct unix_target;
struct io	*io_connect(struct event_base *, const struct sockaddr *,
		    socklen_t, const struct unix_target *, SSL *,
		    const struct timeval *timeout);

void	io_setcb(struct io *, io_cb on_read, io_cb on_drain, io_event_cb,
	    void *arg);
void	io_read(struct io *, int on);

/* Writes what `out` holds, now if the socket takes it. 1: all written. */
int	io_flush(struct io *);

/* How long a write may wait for the socket before IO_TIMEOUT. */
void	io_write_timeout(struct io *, int64_t ns);

void	io_free(struct io *);

#endif /* GH_IO_H */
