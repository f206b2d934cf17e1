/*
 * The message codec and channels: every class of bad message is refused
 * without reading past the buffer.
 */
#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "chan.h"
#include "imsg.h"

static void
compose_sample(struct imsg_out *m)
{
	imsg_compose(m, IMSG_PING, 42);
	imsg_add_u32(m, 7);
	imsg_add_u64(m, 1ULL << 40);
	imsg_add_string(m, "hello");
	imsg_add_data(m, "\0\1\2", 3);
	assert_int_equal(imsg_close(m), 0);
}

static void
test_round_trip(void **state)
{
	struct imsg_out	 m;
	struct imsg_in	 in;
	uint32_t	 u32;
	uint64_t	 u64;
	const char	*s;
	const void	*d;
	size_t		 n;

	(void)state;
	compose_sample(&m);
	assert_int_equal(imsg_parse(&in, m.buf, m.len), 0);
	assert_int_equal(in.hdr.type, IMSG_PING);
	assert_int_equal(in.hdr.id, 42);
	assert_int_equal(imsg_get_u32(&in, &u32), 0);
	assert_int_equal(u32, 7);
	assert_int_equal(imsg_get_u64(&in, &u64), 0);
	assert_true(u64 == 1ULL << 40);
	assert_int_equal(imsg_get_string(&in, &s), 0);
	assert_string_equal(s, "hello");
	assert_int_equal(imsg_get_data(&in, &d, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(d, "\0\1\2", 3);
	assert_int_equal(imsg_end(&in), 0);
}

static void
test_short_header(void **state)
{
	struct imsg_out	m;
	struct imsg_in	in;
	size_t		n;

	(void)state;
	compose_sample(&m);
	for (n = 0; n < IMSG_HDR_SIZE; n++)
		assert_int_equal(imsg_parse(&in, m.buf, n), -1);
}

static void
test_length_disagrees(void **state)
{
	struct imsg_out	m;
	struct imsg_in	in;

	(void)state;
	compose_sample(&m);
	/* The header says more (or less) than the datagram holds. */
	assert_int_equal(imsg_parse(&in, m.buf, m.len - 1), -1);
	m.buf[m.len] = 0;
	assert_int_equal(imsg_parse(&in, m.buf, m.len + 1), -1);
}

static void
test_oversized(void **state)
{
	static uint8_t	big[IMSG_MAX_SIZE + 1];
	struct imsg_out	m;
	struct imsg_in	in;
	uint32_t	len = sizeof(big);

	(void)state;
	memcpy(big + offsetof(struct imsg_hdr, len), &len, sizeof(len));
	assert_int_equal(imsg_parse(&in, big, sizeof(big)), -1);
	/* Composing past the maximum fails instead of truncating. */
	imsg_compose(&m, IMSG_PING, 0);
	imsg_add_data(&m, big, IMSG_MAX_BODY);
	assert_int_equal(imsg_close(&m), -1);
}

static void
test_unknown_type(void **state)
{
	struct imsg_out	m;
	struct imsg_in	in;

	(void)state;
	imsg_compose(&m, IMSG_TYPE_MAX, 0);
	assert_int_equal(imsg_close(&m), 0);
	assert_int_equal(imsg_parse(&in, m.buf, m.len), -1);
	imsg_compose(&m, IMSG_NONE, 0);
	assert_int_equal(imsg_close(&m), 0);
	assert_int_equal(imsg_parse(&in, m.buf, m.len), -1);
	assert_string_equal(imsg_type_name(9999), "IMSG_UNKNOWN");
}

static void
test_truncated_fields(void **state)
{
	struct imsg_out	 m;
	struct imsg_in	 in;
	uint32_t	 u32;
	uint64_t	 u64;
	const char	*s;

	(void)state;
	imsg_compose(&m, IMSG_PING, 0);
	imsg_add_u32(&m, 1);
	assert_int_equal(imsg_close(&m), 0);
	assert_int_equal(imsg_parse(&in, m.buf, m.len), 0);
	/* A u64 where only four bytes remain: refused, and sticky. */
	assert_int_equal(imsg_get_u64(&in, &u64), -1);
	assert_int_equal(imsg_get_u32(&in, &u32), -1);
	assert_int_equal(imsg_end(&in), -1);
	/* A string whose length points past the end. */
	imsg_compose(&m, IMSG_PING, 0);
	imsg_add_u32(&m, 100);
	imsg_add_u32(&m, 0x41414141);
	assert_int_equal(imsg_close(&m), 0);
	assert_int_equal(imsg_parse(&in, m.buf, m.len), 0);
	assert_int_equal(imsg_get_string(&in, &s), -1);
}

static void
test_bad_strings(void **state)
{
	struct imsg_out	 m;
	struct imsg_in	 in;
	const char	*s;

	(void)state;
	/* No NUL at the end. */
	imsg_compose(&m, IMSG_PING, 0);
	imsg_add_data(&m, "abc", 3);
	assert_int_equal(imsg_close(&m), 0);
	assert_int_equal(imsg_parse(&in, m.buf, m.len), 0);
	assert_int_equal(imsg_get_string(&in, &s), -1);
	/* A NUL inside. */
	imsg_compose(&m, IMSG_PING, 0);
	imsg_add_data(&m, "a\0c\0", 4);
	assert_int_equal(imsg_close(&m), 0);
	assert_int_equal(imsg_parse(&in, m.buf, m.len), 0);
	assert_int_equal(imsg_get_string(&in, &s), -1);
	/* Empty: not even the NUL. */
	imsg_compose(&m, IMSG_PING, 0);
	imsg_add_data(&m, "", 0);
	assert_int_equal(imsg_close(&m), 0);
	assert_int_equal(imsg_parse(&in, m.buf, m.len), 0);
	assert_int_equal(imsg_get_string(&in, &s), -1);
}

static void
test_trailing_bytes(void **state)
{
	struct imsg_out	m;
	struct imsg_in	in;
	uint32_t	u32;

	(void)state;
	imsg_compose(&m, IMSG_PING, 0);
	imsg_add_u32(&m, 1);
	imsg_add_u32(&m, 2);
	assert_int_equal(imsg_close(&m), 0);
	assert_int_equal(imsg_parse(&in, m.buf, m.len), 0);
	assert_int_equal(imsg_get_u32(&in, &u32), 0);
	assert_int_equal(imsg_end(&in), -1);
}

/* Over a real socketpair: a datagram larger than the maximum is refused. */
static void
test_recv_truncated_datagram(void **state)
{
	static uint8_t	big[IMSG_MAX_SIZE + 64], buf[IMSG_MAX_SIZE];
	int		sv[2], sndbuf = 4 * IMSG_MAX_SIZE;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	assert_int_equal(send(sv[0], big, sizeof(big), 0), (ssize_t)sizeof(big));
	assert_int_equal(chan_recv_blocking(sv[1], buf, sizeof(buf), NULL), -1);
	close(sv[0]);
	close(sv[1]);
}

/* An fd sent where none is allowed is refused and not leaked. */
static void
test_recv_unexpected_fd(void **state)
{
	struct imsg_out	m;
	uint8_t		buf[IMSG_MAX_SIZE];
	int		sv[2], fd = -1, n;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	imsg_compose(&m, IMSG_PING, 1);
	assert_int_equal(imsg_close(&m), 0);
	{
		struct msghdr	mh = { 0 };
		struct iovec	iov = { m.buf, m.len };
		char		cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
		struct cmsghdr	*c;
		int		pass = 0;

		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass, sizeof(int));
		assert_true(sendmsg(sv[0], &mh, 0) > 0);
	}
	n = chan_recv_blocking(sv[1], buf, sizeof(buf), NULL);
	assert_int_equal(n, -1);
	/* With fds allowed, the same message is fine and carries one. */
	assert_int_equal(chan_send_blocking(sv[0], &m), 0);
	n = chan_recv_blocking(sv[1], buf, sizeof(buf), &fd);
	assert_int_equal(n, (int)m.len);
	assert_int_equal(fd, -1);
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_short_header),
		cmocka_unit_test(test_length_disagrees),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_unknown_type),
		cmocka_unit_test(test_truncated_fields),
		cmocka_unit_test(test_bad_strings),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_recv_truncated_datagram),
		cmocka_unit_test(test_recv_unexpected_fd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
