/*
 * The message codec: composing into a fixed buffer, and a cursor that
 * checks every field against what is left before reading it.
 */
#include <stddef.h>
#include <string.h>

#include "imsg.h"

static const char *const type_names[IMSG_TYPE_MAX] = {
	[IMSG_NONE] = "IMSG_NONE",
	[IMSG_CONF_START] = "IMSG_CONF_START",
	[IMSG_CONF_KEY] = "IMSG_CONF_KEY",
	[IMSG_CONF_DONE] = "IMSG_CONF_DONE",
	[IMSG_CONF_ACK] = "IMSG_CONF_ACK",
	[IMSG_CHAN_PEER] = "IMSG_CHAN_PEER",
	[IMSG_LOG_REOPEN] = "IMSG_LOG_REOPEN",
	[IMSG_DRAIN] = "IMSG_DRAIN",
	[IMSG_PING] = "IMSG_PING",
	[IMSG_PONG] = "IMSG_PONG",
	[IMSG_PEER_BAD] = "IMSG_PEER_BAD",
	[IMSG_SESSION_OPEN] = "IMSG_SESSION_OPEN",
	[IMSG_SESSION_CLAIMS] = "IMSG_SESSION_CLAIMS",
	[IMSG_NOT_READY] = "IMSG_NOT_READY",
	[IMSG_LOGIN_START] = "IMSG_LOGIN_START",
	[IMSG_LOGIN_URL] = "IMSG_LOGIN_URL",
	[IMSG_LOGIN_FINISH] = "IMSG_LOGIN_FINISH",
	[IMSG_SESSION_REFRESH] = "IMSG_SESSION_REFRESH",
	[IMSG_LOGIN_DONE] = "IMSG_LOGIN_DONE",
	[IMSG_LOGOUT] = "IMSG_LOGOUT",
	[IMSG_LOGOUT_DONE] = "IMSG_LOGOUT_DONE",
	[IMSG_BEARER] = "IMSG_BEARER",
	[IMSG_SEAL] = "IMSG_SEAL",
	[IMSG_SEALED] = "IMSG_SEALED",
	[IMSG_UNSEAL] = "IMSG_UNSEAL",
	[IMSG_UNSEALED] = "IMSG_UNSEALED",
	[IMSG_STORE_REVOKE] = "IMSG_STORE_REVOKE",
	[IMSG_STORE_LOCK] = "IMSG_STORE_LOCK",
	[IMSG_STORE_DONE] = "IMSG_STORE_DONE",
};

const char *
imsg_type_name(uint32_t type)
{
	if (type >= IMSG_TYPE_MAX || type_names[type] == NULL)
		return "IMSG_UNKNOWN";
	return type_names[type];
}

void
imsg_compose(struct imsg_out *m, uint32_t type, uint64_t id)
{
	struct imsg_hdr	hdr = { .type = type, .len = 0, .id = id };

	memcpy(m->buf, &hdr, sizeof(hdr));
	m->len = sizeof(hdr);
	m->overflow = 0;
}

static void
add(struct imsg_out *m, const void *p, size_t n)
{
	if (m->overflow || n > sizeof(m->buf) - m->len) {
		m->overflow = 1;
		return;
	}
	memcpy(m->buf + m->len, p, n);
	m->len += n;
}

void
imsg_add_u32(struct imsg_out *m, uint32_t v)
{
	add(m, &v, sizeof(v));
}

void
imsg_add_u64(struct imsg_out *m, uint64_t v)
{
	add(m, &v, sizeof(v));
}

void
imsg_add_data(struct imsg_out *m, const void *p, size_t n)
{
	if (n > IMSG_MAX_BODY) {
		m->overflow = 1;
		return;
	}
	imsg_add_u32(m, (uint32_t)n);
	add(m, p, n);
}

void
imsg_add_string(struct imsg_out *m, const char *s)
{
	imsg_add_data(m, s, strlen(s) + 1);
}

int
imsg_close(struct imsg_out *m)
{
	uint32_t	len = (uint32_t)m->len;

	if (m->overflow)
		return -1;
	memcpy(m->buf + offsetof(struct imsg_hdr, len), &len, sizeof(len));
	return 0;
}

int
imsg_parse(struct imsg_in *in, const void *buf, size_t len)
{
	memset(in, 0, sizeof(*in));
	in->err = -1;
	if (len < IMSG_HDR_SIZE || len > IMSG_MAX_SIZE)
		return -1;
	memcpy(&in->hdr, buf, IMSG_HDR_SIZE);
	if (in->hdr.len != len)
		return -1;
	if (in->hdr.type == IMSG_NONE || in->hdr.type >= IMSG_TYPE_MAX)
		return -1;
	in->p = (const uint8_t *)buf + IMSG_HDR_SIZE;
	in->left = len - IMSG_HDR_SIZE;
	in->err = 0;
	return 0;
}

static int
take(struct imsg_in *in, void *dst, size_t n)
{
	if (in->err || n > in->left)
		return in->err = -1;
	memcpy(dst, in->p, n);
	in->p += n;
	in->left -= n;
	return 0;
}

int
imsg_get_u32(struct imsg_in *in, uint32_t *v)
{
	return take(in, v, sizeof(*v));
}

int
imsg_get_u64(struct imsg_in *in, uint64_t *v)
{
	return take(in, v, sizeof(*v));
}

int
imsg_get_data(struct imsg_in *in, const void **p, size_t *n)
{
	uint32_t	len;

	if (imsg_get_u32(in, &len) == -1)
		return -1;
	if (len > in->left)
		return in->err = -1;
	*p = in->p;
	*n = len;
	in->p += len;
	in->left -= len;
	return 0;
}

/* A string must end in its only NUL, so C code can never read past it. */
int
imsg_get_string(struct imsg_in *in, const char **s)
{
	const void	*p;
	size_t		 n;

	if (imsg_get_data(in, &p, &n) == -1)
		return -1;
	if (n == 0 || memchr(p, '\0', n) != (const char *)p + n - 1)
		return in->err = -1;
	*s = p;
	return 0;
}

int
imsg_end(struct imsg_in *in)
{
	if (in->err || in->left != 0)
		return in->err = -1;
	return 0;
}
