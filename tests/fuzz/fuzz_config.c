/*
 * libFuzzer target of the config decoders: the TOML subset (then
 * validation and the IPC slice of whatever it accepted), and the same
 * bytes as an IMSG_CONF_KEY message.
 */
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "imsg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
discard(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* Sends every supported key of src to dst, as the parent does. */
static void
send_slice(const struct config *src, struct config *dst)
{
	const struct conf_key	*keys;
	struct imsg_out		 out;
	struct imsg_in		 in;
	size_t			 i, n;

	keys = config_keys(&n);
	for (i = 0; i < n; i++)
		if (config_compose_key(src, &keys[i], &out) == 0 &&
		    imsg_parse(&in, out.buf, out.len) == 0 &&
		    config_recv_key(dst, &in) == -1)
			__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_diag	diag = { discard, NULL, 0 };
	struct config		cf, child;
	struct imsg_in		in;

	config_init(&cf);
	config_init(&child);
	if (config_parse_buffer(&cf, "fuzz", (const char *)data, size,
	    &diag) == 0) {
		config_validate(&cf, &diag);
		send_slice(&cf, &child);
	}
	if (imsg_parse(&in, data, size) == 0)
		config_recv_key(&child, &in);
	config_free(&child);
	config_free(&cf);
	return (0);
}
