/*
 * Non-blocking channels on SOCK_SEQPACKET socketpairs, driven by the
 * process's libevent loop.  A channel that receives a malformed message,
 * or a message its dispatcher does not accept, is closed; the owner's
 * close callback decides what that means for the process.
 */
#ifndef GH_CHAN_H
#define GH_CHAN_H

#include <sys/queue.h>
#include <event2/event.h>

#include "imsg.h"

struct chan;

/*
 * Returns 0, or -1 for a message this peer may not send: the channel
 * closes.  *fd is a received descriptor or -1; a dispatcher that keeps it
 * sets *fd to -1, otherwise the channel closes it.
 */
typedef int	(*chan_dispatch_fn)(struct chan *, struct imsg_in *, int *fd,
		    void *arg);
typedef void	(*chan_close_fn)(struct chan *, void *arg);

struct chan_msg {
	TAILQ_ENTRY(chan_msg)	 entry;
	size_t			 len;
	int			 fd;
	uint8_t			 buf[];
};

struct chan {
	int			 fd;
	const char		*peer;		/* for logs: "authd", "proxy 3" */
	int			 accept_fds;	/* parent channels only */
	int			 proto_error;	/* closed for what the peer sent */
	struct event		*ev_read;
	struct event		*ev_write;
	TAILQ_HEAD(, chan_msg)	 outq;
	size_t			 outq_len;
	chan_dispatch_fn	 dispatch;
	chan_close_fn		 on_close;
	void			*arg;
};

#define CHAN_MAX_QUEUED	1024

struct chan	*chan_new(struct event_base *, int fd, const char *peer,
		    int accept_fds, chan_dispatch_fn, chan_close_fn, void *);
void		 chan_free(struct chan *);
int		 chan_send(struct chan *, struct imsg_out *);
int		 chan_send_fd(struct chan *, struct imsg_out *, int fd);
int		 chan_sendv(struct chan *, uint32_t type, uint64_t id);

/* Blocking helpers for a child's start-up, before its event loop runs. */
int		 chan_recv_blocking(int fd, uint8_t *buf, size_t len, int *fdp);
int		 chan_send_blocking(int fd, struct imsg_out *);

#endif /* GH_CHAN_H */
