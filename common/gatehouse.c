#include "gatehouse.h"

const char *
role_name(enum gh_role role)
{
	switch (role) {
	case ROLE_PARENT:
		return "gatehouse";
	case ROLE_PROXY:
		return "gatehouse-proxy";
	case ROLE_AUTHD:
		return "gatehouse-authd";
	case ROLE_SESSIOND:
		return "gatehouse-sessiond";
	}
	return "unknown";
}
