/*
 * authd's requests to sessiond: seal a new cookie value, open one.  Each
 * waits at most SD_TIMEOUT_SEC; sessiond restarting or silent is a
 * LOGIN_UNAVAILABLE, never a hang.
 */
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include "authd.h"
#include "log.h"
#include "login.h"

#define SD_TIMEOUT_SEC	3

struct sd_wait {
	TAILQ_ENTRY(sd_wait)	 entry;
	uint64_t		 id;
	uint32_t		 answer;	/* IMSG_SEALED or _UNSEALED */
	struct event		*timeout;
	sd_done_fn		 done;
	void			*arg;
};

static TAILQ_HEAD(, sd_wait)	waits = TAILQ_HEAD_INITIALIZER(waits);
static uint64_t			next_id;

static void
wait_free(struct sd_wait *w)
{
	TAILQ_REMOVE(&waits, w, entry);
	event_free(w->timeout);
	free(w);
}

static void
wait_timeout(evutil_socket_t s, short ev, void *arg)
{
	struct sd_wait	*w = arg;
	sd_done_fn	 done = w->done;
	void		*darg = w->arg;

	(void)s;
	(void)ev;
	log_warnx("sessiond did not answer in %d s", SD_TIMEOUT_SEC);
	wait_free(w);
	done(darg, LOGIN_UNAVAILABLE, NULL, 0);
}

/* Sends m; the answer (or the timeout) goes to done. */
static int
sd_send(struct imsg_out *m, uint32_t answer, sd_done_fn done, void *arg)
{
	struct timeval	 tv = { SD_TIMEOUT_SEC, 0 };
	struct chan	*ch = child_peer(authd, ROLE_SESSIOND, 0);
	struct sd_wait	*w;
	int		 rc;

	if (ch == NULL || (w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	w->id = ((struct imsg_hdr *)(void *)m->buf)->id;
	w->answer = answer;
	w->done = done;
	w->arg = arg;
	if ((w->timeout = evtimer_new(authd->base, wait_timeout, w)) == NULL ||
	    evtimer_add(w->timeout, &tv) == -1) {
		if (w->timeout != NULL)
			event_free(w->timeout);
		free(w);
		return -1;
	}
	TAILQ_INSERT_TAIL(&waits, w, entry);
	rc = chan_send(ch, m);
	explicit_bzero(m->buf, m->len);
	if (rc == -1) {
		wait_free(w);
		return -1;
	}
	return 0;
}

int
sd_seal(uint32_t purpose, const char *name, int64_t expires, const void *pt,
    size_t len, const char *replace, sd_done_fn done, void *arg)
{
	static struct imsg_out	m;

	imsg_compose(&m, IMSG_SEAL, ++next_id);
	imsg_add_u32(&m, purpose);
	imsg_add_string(&m, name);
	imsg_add_u64(&m, (uint64_t)expires);
	imsg_add_data(&m, pt, len);
	imsg_add_string(&m, replace != NULL ? replace : "");
	if (imsg_close(&m) == -1) {
		log_warnx("seal: %zu bytes do not fit in a message", len);
		explicit_bzero(m.buf, sizeof(m.buf));
		return -1;
	}
	return sd_send(&m, IMSG_SEALED, done, arg);
}

int
sd_unseal(uint32_t purpose, const char *name, const char *value,
    sd_done_fn done, void *arg)
{
	static struct imsg_out	m;

	imsg_compose(&m, IMSG_UNSEAL, ++next_id);
	imsg_add_u32(&m, purpose);
	imsg_add_string(&m, name);
	imsg_add_string(&m, value);
	if (imsg_close(&m) == -1)
		return -1;
	return sd_send(&m, IMSG_UNSEALED, done, arg);
}

int
sd_revoke(const char *cookie, int all, sd_done_fn done, void *arg)
{
	static struct imsg_out	m;

	imsg_compose(&m, IMSG_STORE_REVOKE, ++next_id);
	imsg_add_string(&m, cookie);
	imsg_add_u32(&m, all != 0);
	if (imsg_close(&m) == -1)
		return -1;
	return sd_send(&m, IMSG_STORE_DONE, done, arg);
}

int
sd_lock(const char *cookie, sd_done_fn done, void *arg)
{
	static struct imsg_out	m;
	const char		*v[1] = { cookie };

	if (login_compose_strings(&m, IMSG_STORE_LOCK, ++next_id, v, 1) == -1)
		return -1;
	return sd_send(&m, IMSG_STORE_DONE, done, arg);
}

/* sessiond's answer; -1 (the channel closes) when malformed. */
int
sd_answer(struct imsg_in *in)
{
	struct sd_wait	*w;
	const void	*data = NULL;
	const char	*value;
	size_t		 len = 0;
	uint32_t	 result;
	sd_done_fn	 done;
	void		*arg;

	if (imsg_get_u32(in, &result) == -1 || result >= LOGIN_NRESULTS)
		return -1;
	if (in->hdr.type == IMSG_SEALED) {
		if (login_parse_strings(in, &value, 1) == -1)
			return -1;
		data = value;
		len = strlen(value);
	} else if (in->hdr.type == IMSG_STORE_DONE) {
		if (imsg_end(in) == -1)
			return -1;
	} else if (imsg_get_data(in, &data, &len) == -1 || imsg_end(in) == -1)
		return -1;
	TAILQ_FOREACH(w, &waits, entry)
		if (w->id == in->hdr.id)
			break;
	if (w == NULL || w->answer != in->hdr.type)
		return 0;	/* it timed out */
	done = w->done;
	arg = w->arg;
	wait_free(w);
	done(arg, result, data, len);
	return 0;
}
