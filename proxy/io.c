/*
 * The worker's socket I/O.  Reads: one read(2) (or SSL_read) per
 * readiness.  Writes: straight away, waiting on EV_WRITE only while the
 * socket is full, so a request answered at once costs no epoll_ctl.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "unixsock.h"
#include "io.h"

#define IO_READ_SIZE	16384

enum io_state {
	IO_S_CONNECTING,
	IO_S_HANDSHAKE,
	IO_S_OPEN,
	IO_S_DONE,		/* EOF or error seen */
};

static void	io_readcb(evutil_socket_t, short, void *);
static void	io_writecb(evutil_socket_t, short, void *);
static void	io_arm_write(struct io *);

static struct io *
io_new(struct event_base *base, int fd, SSL *ssl, int state)
{
	struct io	*io;

	if ((io = calloc(1, sizeof(*io))) == NULL)
		return NULL;
	io->fd = fd;
	io->ssl = ssl;
	io->state = state;
	io->in = evbuffer_new();
	io->out = evbuffer_new();
	io->rev = event_new(base, fd, EV_READ | EV_PERSIST, io_readcb, io);
	io->wev = event_new(base, fd, EV_WRITE, io_writecb, io);
	if (io->in == NULL || io->out == NULL || io->rev == NULL ||
	    io->wev == NULL || (ssl != NULL && SSL_set_fd(ssl, fd) != 1)) {
		io->ssl = NULL;		/* the caller still owns it */
		io_free(io);
		return NULL;
	}
	return io;
}

struct io *
io_accept(struct event_base *base, int fd, SSL *ssl)
{
	struct io	*io;

	if ((io = io_new(base, fd, ssl, ssl != NULL ? IO_S_HANDSHAKE :
	    IO_S_OPEN)) != NULL && ssl != NULL)
		SSL_set_accept_state(ssl);
	return io;
}

struct io *
io_connect(struct event_base *base, const struct sockaddr *sa, socklen_t len,
    const struct unix_target *ut, SSL *ssl, const struct timeval *timeout)
{
	struct io	*io;
	int		 fd, rc;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return NULL;
	rc = ut != NULL ? unix_target_connect(ut, fd) : connect(fd, sa, len);
	if ((rc == -1 && errno != EINPROGRESS) ||
	    (io = io_new(base, fd, ssl, IO_S_CONNECTING)) == NULL) {
		close(fd);
		return NULL;
	}
	if (ssl != NULL)
		SSL_set_connect_state(ssl);
	io->wtimeout = *timeout;
	io_arm_write(io);
	return io;
}

void
io_setcb(struct io *io, io_cb on_read, io_cb on_drain, io_event_cb on_event,
    void *arg)
{
	io->on_read = on_read;
	io->on_drain = on_drain;
	io->on_event = on_event;
	io->arg = arg;
}

void
io_write_timeout(struct io *io, int64_t ns)
{
	io->wtimeout.tv_sec = ns / 1000000000;
	io->wtimeout.tv_usec = (ns % 1000000000) / 1000;
}

void
io_read(struct io *io, int on)
{
	io->reading = on;
	if (on && io->state != IO_S_DONE && !io->eof)
		event_add(io->rev, NULL);
	else if (!io->ssl_write_wants_read)
		event_del(io->rev);
}

void
io_free(struct io *io)
{
	if (io == NULL)
		return;
	if (io->ssl != NULL)
		SSL_free(io->ssl);
	if (io->rev != NULL)
		event_free(io->rev);
	if (io->wev != NULL)
		event_free(io->wev);
	if (io->in != NULL)
		evbuffer_free(io->in);
	if (io->out != NULL)
		evbuffer_free(io->out);
	close(io->fd);
	free(io);
}

/* From an event callback: the end is told at once. */
static void
io_end(struct io *io, enum io_event what)
{
	io->state = IO_S_DONE;
	event_del(io->rev);
	event_del(io->wev);
	io->on_event(io, what, io->arg);
}

/*
 * From inside io_flush(), whose caller may go on using the io: the end is
 * told from the event loop.
 */
static void
io_fail(struct io *io, enum io_event what)
{
	io->state = IO_S_DONE;
	io->failed = what;
	event_del(io->rev);
	event_del(io->wev);
	event_active(io->wev, EV_WRITE, 0);
}

static void
io_arm_write(struct io *io)
{
	event_add(io->wev, evutil_timerisset(&io->wtimeout) ? &io->wtimeout :
	    NULL);
}

/* -1 on a fatal TLS error; else 0, with the wanted direction armed. */
static int
ssl_want(struct io *io, int r, int writing)
{
	switch (SSL_get_error(io->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		io->ssl_write_wants_read = writing;
		event_add(io->rev, NULL);
		return 0;
	case SSL_ERROR_WANT_WRITE:
		io_arm_write(io);
		return 0;
	default:
		ERR_clear_error();
		return -1;
	}
}

/* Connected or handshaken: from here the socket carries data. */
static void
io_opened(struct io *io, int connecting)
{
	io->state = IO_S_OPEN;
	if (io->reading && !io->eof)
		event_add(io->rev, NULL);
	if (connecting)
		io->on_event(io, IO_CONNECTED, io->arg);
	else if (io->state == IO_S_OPEN && evbuffer_get_length(io->in) == 0)
		io_readcb(io->fd, EV_READ, io);
}

static void
io_handshake(struct io *io)
{
	int	r, connecting = !SSL_is_server(io->ssl);

	if ((r = SSL_do_handshake(io->ssl)) == 1) {
		io_opened(io, connecting);
		if (io->state == IO_S_OPEN)
			io_flush(io);
		return;
	}
	if (ssl_want(io, r, 0) == -1)
		io_end(io, IO_ERROR);
}

/* One read: the socket's bytes, or what TLS has decrypted. */
static ssize_t
io_read1(struct io *io)
{
	struct evbuffer_iovec	v;
	ssize_t			n;
	int			r;

	if (evbuffer_reserve_space(io->in, IO_READ_SIZE, &v, 1) < 1)
		return -1;
	if (io->ssl == NULL) {
		n = read(io->fd, v.iov_base, IO_READ_SIZE);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return -2;
	} else {
		r = SSL_read(io->ssl, v.iov_base, IO_READ_SIZE);
		n = r > 0 ? r : SSL_get_error(io->ssl, r) ==
		    SSL_ERROR_ZERO_RETURN ? 0 : -1;
		if (n == -1 && ssl_want(io, r, 0) == 0)
			return -2;
	}
	if (n <= 0)
		return n;
	v.iov_len = (size_t)n;
	evbuffer_commit_space(io->in, &v, 1);
	return n;
}

static void
io_readcb(evutil_socket_t fd, short ev, void *arg)
{
	struct io	*io = arg;
	ssize_t		 n;

	(void)fd;
	(void)ev;
	if (io->state == IO_S_HANDSHAKE) {
		io_handshake(io);
		return;
	}
	if (io->ssl_write_wants_read) {
		io->ssl_write_wants_read = 0;
		if (!io->reading)
			event_del(io->rev);
		io_flush(io);
		if (!io->reading)
			return;
	}
	do {
		n = io_read1(io);
	} while (n > 0 && io->ssl != NULL && SSL_pending(io->ssl) > 0);
	if (n == -1) {
		io_end(io, IO_ERROR);
		return;
	}
	if (n == 0) {
		/* Half-closed: no more reading, but writing goes on. */
		io->eof = 1;
		event_del(io->rev);
		io->on_event(io, IO_EOF, io->arg);
		return;
	}
	if (evbuffer_get_length(io->in) > 0)
		io->on_read(io, io->arg);
}

/* The socket's pending error after a non-blocking connect. */
static void
io_connected(struct io *io)
{
	int		err = 0;
	socklen_t	len = sizeof(err);

	if (getsockopt(io->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1 ||
	    err != 0) {
		io_end(io, IO_ERROR);
		return;
	}
	if (io->ssl != NULL) {
		io->state = IO_S_HANDSHAKE;
		io_handshake(io);
		return;
	}
	io_opened(io, 1);
	if (io->state == IO_S_OPEN)
		io_flush(io);
}

static void
io_writecb(evutil_socket_t fd, short ev, void *arg)
{
	struct io	*io = arg;

	(void)fd;
	if (io->state == IO_S_DONE) {
		io->on_event(io, io->failed, io->arg);
		return;
	}
	if (ev & EV_TIMEOUT) {
		io_end(io, IO_TIMEOUT);
		return;
	}
	if (io->state == IO_S_CONNECTING) {
		io_connected(io);
		return;
	}
	if (io->state == IO_S_HANDSHAKE) {
		io_handshake(io);
		return;
	}
	if (io_flush(io) == 1 && io->on_drain != NULL)
		io->on_drain(io, io->arg);
}

static int
io_write_ssl(struct io *io)
{
	struct evbuffer_iovec	v;
	int			r;

	while (evbuffer_peek(io->out, -1, NULL, &v, 1) > 0) {
		ERR_clear_error();
		if ((r = SSL_write(io->ssl, v.iov_base, (int)v.iov_len)) > 0) {
			evbuffer_drain(io->out, (size_t)r);
			continue;
		}
		return ssl_want(io, r, 1);
	}
	return 0;
}

int
io_flush(struct io *io)
{
	int	n;

	if (io->state != IO_S_OPEN)
		return evbuffer_get_length(io->out) == 0;
	if (io->ssl != NULL) {
		if (io_write_ssl(io) == -1) {
			io_fail(io, IO_ERROR);
			return 0;
		}
	} else {
		while (evbuffer_get_length(io->out) > 0) {
			if ((n = evbuffer_write(io->out, io->fd)) > 0)
				continue;
			if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
				io_arm_write(io);
				return 0;
			}
			io_fail(io, IO_ERROR);
			return 0;
		}
	}
	if (evbuffer_get_length(io->out) > 0)
		return 0;
	event_del(io->wev);
	return 1;
}
