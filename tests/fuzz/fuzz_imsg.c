/*
 * libFuzzer target: the message decoder, read the way a dispatcher
 * reads an IMSG_CONF_KEY body, the session and sign-in messages
 * (claims.h, login.h), or any other body.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "claims.h"
#include "config.h"
#include "imsg.h"
#include "login.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct imsg_in	 in;
	struct config	 cf;
	const char	*s;
	const void	*d;
	uint32_t	 u32;
	uint64_t	 u64;
	size_t		 n;
	struct claims	 cl;
	struct login_done done;
	const char	*v[3];

	if (imsg_parse(&in, data, len) == -1)
		return 0;
	switch (in.hdr.type) {
	case IMSG_CONF_KEY:
		config_init(&cf);
		(void)config_recv_key(&cf, &in);
		config_free(&cf);
		return 0;
	case IMSG_SESSION_CLAIMS:
		(void)claims_parse(&in, &u32, &cl);
		return 0;
	case IMSG_LOGIN_DONE:
		(void)login_parse_done(&in, &done);
		return 0;
	case IMSG_LOGIN_URL:
		if (imsg_get_u32(&in, &u32) == 0)
			(void)login_parse_strings(&in, v, u32 == LOGIN_OK ? 3 :
			    0);
		return 0;
	case IMSG_LOGIN_FINISH:
		(void)login_parse_strings(&in, v, 3);
		return 0;
	default:
		break;
	}
	/* Walk the body as an arbitrary sequence of fields. */
	while (in.left > 0 && !in.err) {
		switch (in.left % 4) {
		case 0:
			(void)imsg_get_u32(&in, &u32);
			break;
		case 1:
			(void)imsg_get_u64(&in, &u64);
			break;
		case 2:
			if (imsg_get_string(&in, &s) == 0)
				(void)strlen(s);
			break;
		default:
			(void)imsg_get_data(&in, &d, &n);
			break;
		}
	}
	(void)imsg_end(&in);
	return 0;
}
