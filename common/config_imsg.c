/*
 * The config slice of a role on the wire: one IMSG_CONF_KEY per key.
 */
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"

/* At least a u32 length and a NUL per string: a bound on any count. */
#define CONF_MAX_LIST	(IMSG_MAX_BODY / (sizeof(uint32_t) + 1))

/*
 * IMSG_CONF_KEY, request id 0:
 *	string	key name (the TOML name)
 *	u32	key type (enum conf_type), so both ends agree on it
 *	then, by type:
 *	CONF_STRING	u32 1 and the string, or u32 0 for none (NULL)
 *	CONF_BOOL	u64 0 or 1
 *	CONF_INT	u64 the int64_t value
 *	CONF_DURATION	u64 the int64_t value in ns
 *	CONF_LIST	u32 count, then count strings
 * Only supported keys have a value to send.
 */
int
config_compose_key(const struct config *cf, const struct conf_key *k,
    struct imsg_out *out)
{
	const struct conf_list	*l;
	char			*s;
	size_t			 i;

	if (k->flags & CONF_F_UNSUPPORTED)
		return (-1);
	imsg_compose(out, IMSG_CONF_KEY, 0);
	imsg_add_string(out, k->name);
	imsg_add_u32(out, k->type);
	switch (k->type) {
	case CONF_STRING:
		s = *CONF_STR(cf, k);
		imsg_add_u32(out, s != NULL);
		if (s != NULL)
			imsg_add_string(out, s);
		break;
	case CONF_BOOL:
		imsg_add_u64(out, (uint64_t)*CONF_BOOLP(cf, k));
		break;
	case CONF_INT:
	case CONF_DURATION:
		imsg_add_u64(out, (uint64_t)*CONF_INTP(cf, k));
		break;
	case CONF_LIST:
		l = CONF_LISTP(cf, k);
		imsg_add_u32(out, (uint32_t)l->n);
		for (i = 0; i < l->n; i++)
			imsg_add_string(out, l->v[i]);
		break;
	}
	return (imsg_close(out));
}

static int
recv_string(struct config *cf, const struct conf_key *k, struct imsg_in *in)
{
	const char	*s = NULL;
	uint32_t	 present;

	if (imsg_get_u32(in, &present) == -1 || present > 1 ||
	    (present && imsg_get_string(in, &s) == -1) || imsg_end(in) == -1)
		return (-1);
	return (conf_set_string(cf, k, s));
}

static int
recv_num(struct config *cf, const struct conf_key *k, struct imsg_in *in)
{
	uint64_t	v;

	if (imsg_get_u64(in, &v) == -1 || imsg_end(in) == -1 ||
	    (k->type == CONF_BOOL && v > 1))
		return (-1);
	conf_set_num(cf, k, (int64_t)v);
	return (0);
}

/* The list is built aside and stored only once the message is whole. */
static int
recv_list(struct config *cf, const struct conf_key *k, struct imsg_in *in)
{
	struct conf_list	 l = { NULL, 0 };
	const char		*s;
	uint32_t		 n, i;

	if (imsg_get_u32(in, &n) == -1 || n > CONF_MAX_LIST)
		return (-1);
	for (i = 0; i < n; i++)
		if (imsg_get_string(in, &s) == -1 || conf_list_add(&l, s) == -1)
			break;
	if (i < n || imsg_end(in) == -1) {
		conf_list_free(&l, k->flags & CONF_F_SECRET);
		return (-1);
	}
	conf_set_list(cf, k, &l);
	return (0);
}

int
config_recv_key(struct config *cf, struct imsg_in *in)
{
	const struct conf_key	*k;
	const char		*name;
	uint32_t		 type;

	if (in->hdr.type != IMSG_CONF_KEY ||
	    imsg_get_string(in, &name) == -1 ||
	    imsg_get_u32(in, &type) == -1 ||
	    (k = config_key_lookup(name)) == NULL ||
	    (k->flags & CONF_F_UNSUPPORTED) || type != k->type)
		return (-1);
	switch (k->type) {
	case CONF_STRING:
		return (recv_string(cf, k, in));
	case CONF_LIST:
		return (recv_list(cf, k, in));
	default:
		return (recv_num(cf, k, in));
	}
}
