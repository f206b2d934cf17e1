/*
 * Channels: one SOCK_SEQPACKET datagram per message, non-blocking, with
 * an output queue, and file descriptors only where the channel allows.
 */
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "log.h"

static void	chan_read_cb(evutil_socket_t, short, void *);
static void	chan_write_cb(evutil_socket_t, short, void *);

struct chan *
chan_new(struct event_base *base, int fd, const char *peer, int accept_fds,
    chan_dispatch_fn dispatch, chan_close_fn on_close, void *arg)
{
	struct chan	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		goto fail;
	c->fd = fd;
	c->peer = peer;
	c->accept_fds = accept_fds;
	c->dispatch = dispatch;
	c->on_close = on_close;
	c->arg = arg;
	TAILQ_INIT(&c->outq);
	c->ev_read = event_new(base, fd, EV_READ | EV_PERSIST, chan_read_cb, c);
	c->ev_write = event_new(base, fd, EV_WRITE, chan_write_cb, c);
	if (c->ev_read == NULL || c->ev_write == NULL ||
	    event_add(c->ev_read, NULL) == -1)
		goto fail;
	return c;
fail:
	if (c->ev_read != NULL)
		event_free(c->ev_read);
	if (c->ev_write != NULL)
		event_free(c->ev_write);
	free(c);
	return NULL;
}

void
chan_free(struct chan *c)
{
	struct chan_msg	*m;

	if (c == NULL)
		return;
	while ((m = TAILQ_FIRST(&c->outq)) != NULL) {
		TAILQ_REMOVE(&c->outq, m, entry);
		if (m->fd != -1)
			close(m->fd);
		free(m);
	}
	event_free(c->ev_read);
	event_free(c->ev_write);
	close(c->fd);
	free(c);
}

static void
chan_fail(struct chan *c)
{
	event_del(c->ev_read);
	event_del(c->ev_write);
	if (c->on_close != NULL)
		c->on_close(c, c->arg);
}

/* Sends one message; -1 with errno EAGAIN when the socket is full. */
static int
send_one(int fd, const void *buf, size_t len, int pass_fd)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct cmsghdr	*cmsg;

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = (void *)buf;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (pass_fd != -1) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		cmsg = CMSG_FIRSTHDR(&mh);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &pass_fd, sizeof(int));
	}
	return sendmsg(fd, &mh, MSG_NOSIGNAL) == -1 ? -1 : 0;
}

static int
enqueue(struct chan *c, const struct imsg_out *m, int fd)
{
	struct chan_msg	*q;

	if (c->outq_len >= CHAN_MAX_QUEUED) {
		log_warnx("chan %s: output queue full", c->peer);
		return -1;
	}
	if ((q = malloc(sizeof(*q) + m->len)) == NULL)
		return -1;
	q->len = m->len;
	q->fd = fd;
	memcpy(q->buf, m->buf, m->len);
	TAILQ_INSERT_TAIL(&c->outq, q, entry);
	c->outq_len++;
	event_add(c->ev_write, NULL);
	return 0;
}

/*
 * Sends now when nothing is queued, else queues.  A passed fd is owned by
 * the channel from here on: it is closed once sent or dropped.
 */
int
chan_send_fd(struct chan *c, struct imsg_out *m, int fd)
{
	if (imsg_close(m) == -1) {
		log_warnx("chan %s: message too large", c->peer);
		goto fail;
	}
	if (TAILQ_EMPTY(&c->outq)) {
		if (send_one(c->fd, m->buf, m->len, fd) == 0) {
			if (fd != -1)
				close(fd);
			return 0;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) {
			log_warn("chan %s: send", c->peer);
			goto fail;
		}
	}
	if (enqueue(c, m, fd) == 0)
		return 0;
fail:
	if (fd != -1)
		close(fd);
	return -1;
}

int
chan_send(struct chan *c, struct imsg_out *m)
{
	return chan_send_fd(c, m, -1);
}

int
chan_sendv(struct chan *c, uint32_t type, uint64_t id)
{
	struct imsg_out	m;

	imsg_compose(&m, type, id);
	return chan_send(c, &m);
}

static void
chan_write_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct chan	*c = arg;
	struct chan_msg	*q;

	(void)ev;
	while ((q = TAILQ_FIRST(&c->outq)) != NULL) {
		if (send_one(fd, q->buf, q->len, q->fd) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == ENOBUFS) {
				event_add(c->ev_write, NULL);
				return;
			}
			log_warn("chan %s: send", c->peer);
			chan_fail(c);
			return;
		}
		TAILQ_REMOVE(&c->outq, q, entry);
		c->outq_len--;
		if (q->fd != -1)
			close(q->fd);
		free(q);
	}
}

/*
 * Receives one datagram.  Returns its length, 0 at end of file, -1 on
 * error; a truncated datagram, stray control data, or an fd where none
 * is allowed is an error (EPROTO) and any received fd is closed.
 */
static ssize_t
recv_one(int fd, uint8_t *buf, size_t len, int *fdp)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct cmsghdr	*cmsg;
	ssize_t		 n;
	int		 rfd = -1;

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = buf;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	if ((n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC)) == -1)
		return -1;
	for (cmsg = CMSG_FIRSTHDR(&mh); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(&mh, cmsg)) {
		if (cmsg->cmsg_level == SOL_SOCKET &&
		    cmsg->cmsg_type == SCM_RIGHTS &&
		    cmsg->cmsg_len == CMSG_LEN(sizeof(int)) && rfd == -1)
			memcpy(&rfd, CMSG_DATA(cmsg), sizeof(int));
		else
			mh.msg_flags |= MSG_CTRUNC;
	}
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || (rfd != -1 && !fdp)) {
		if (rfd != -1)
			close(rfd);
		errno = EPROTO;
		return -1;
	}
	if (fdp != NULL)
		*fdp = rfd;
	return n;
}

static void
chan_read_cb(evutil_socket_t fd, short ev, void *arg)
{
	static uint8_t	 buf[IMSG_MAX_SIZE];
	struct chan	*c = arg;
	struct imsg_in	 in;
	ssize_t		 n;
	int		 rfd;

	(void)ev;
	for (;;) {
		n = recv_one(fd, buf, sizeof(buf), c->accept_fds ? &rfd : NULL);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == -1)
				log_warn("chan %s: receive", c->peer);
			c->proto_error = n == -1 && errno == EPROTO;
			chan_fail(c);
			return;
		}
		if (!c->accept_fds)
			rfd = -1;
		if (imsg_parse(&in, buf, (size_t)n) == -1 ||
		    c->dispatch(c, &in, &rfd, c->arg) == -1) {
			log_warnx("chan %s: protocol error in %s (%zd bytes)",
			    c->peer, imsg_type_name(in.hdr.type), n);
			if (rfd != -1)
				close(rfd);
			c->proto_error = 1;
			chan_fail(c);
			return;
		}
		if (rfd != -1)
			close(rfd);
	}
}

int
chan_recv_blocking(int fd, uint8_t *buf, size_t len, int *fdp)
{
	ssize_t	n;

	do {
		n = recv_one(fd, buf, len, fdp);
	} while (n == -1 && errno == EINTR);
	return (int)n;
}

int
chan_send_blocking(int fd, struct imsg_out *m)
{
	if (imsg_close(m) == -1)
		return -1;
	return send_one(fd, m->buf, m->len, -1);
}
