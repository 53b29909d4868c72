// SPDX-License-Identifier: GPL-2.0
/*
 * AF_COM test suite.  Runs inside the guest, as root, with the module
 * loaded.  Prints one TAP-style line per test ("ok - ..." or
 * "not ok - ..."); the guest's init counts them.
 *
 *   com_test [--ns ID] local	the one-domain tests, in this namespace or
 *				in a new namespace that becomes domain ID
 *   com_test cross		tests between domains (creates namespaces)
 *   com_test unload KO		unloading and loading rules (last)
 *
 * Every test runs in a child process with an alarm, so a hang is a
 * failure, not a stuck guest.
 */
#include "lib.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

static const char *suite = "local";
static int failed_line;

#define FAIL(...) do {							\
	printf("#   %s:%d: ", __FILE__, __LINE__);			\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	fflush(stdout);							\
	failed_line = __LINE__;						\
	return -1;							\
} while (0)

#define CHECK(cond) do {						\
	if (!(cond))							\
		FAIL("%s (errno %d %s)", #cond, errno, strerror(errno));\
} while (0)

/* the call must fail with exactly errno @e */
#define CHECK_ERR(call, e) do {						\
	long __r;							\
	errno = 0;							\
	__r = (long)(call);						\
	if (__r != -1 || errno != (e))					\
		FAIL("%s: returned %ld errno %d (%s), want %s",		\
		     #call, __r, errno, strerror(errno), #e);		\
} while (0)

#define SA(a) ((struct sockaddr *)&(a))

/* an address no process has mapped */
static void *volatile bad_ptr = (void *)8;

/* ---- test runner ---- */

static int n_pass, n_fail;

static void run(const char *name, int (*fn)(void), unsigned int timeout)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		signal(SIGPIPE, SIG_IGN);
		alarm(timeout);
		_exit(fn() ? 1 : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0) {
		printf("not ok - %s: %s: cannot run (%s)\n", suite, name,
		       strerror(errno));
		n_fail++;
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		printf("ok - %s: %s\n", suite, name);
		n_pass++;
	} else if (WIFSIGNALED(status)) {
		printf("not ok - %s: %s: killed by signal %d%s\n", suite, name,
		       WTERMSIG(status),
		       WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
		n_fail++;
	} else {
		printf("not ok - %s: %s\n", suite, name);
		n_fail++;
	}
	fflush(stdout);
}

/* ---- helpers ---- */

static int com_sock(int type)
{
	return socket(com_af, type, 0);
}

/* a connected pair through a listener on an ephemeral port */
static int pair(int *client, int *server)
{
	uint16_t port;
	int l = com_listen_on(0, 16, &port);

	if (l < 0)
		return -1;
	*client = com_connect_to(com_own_addr(), port);
	if (*client < 0) {
		close(l);
		return -1;
	}
	*server = accept(l, NULL, NULL);
	close(l);
	return *server < 0 ? -1 : 0;
}

static int set_nonblock(int fd)
{
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static int set_timeo(int fd, int opt, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	return setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

static long stat_value(const char *key)
{
	char line[128], k[64];
	long v, ret = -1;
	FILE *f = fopen("/proc/net/comsock_stat", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %ld", k, &v) == 2 && !strcmp(k, key))
			ret = v;
	fclose(f);
	return ret;
}

/* ---- the pattern stream used by the bulk tests ---- */

#define PAT_PERIOD	1048573		/* prime: shifts and losses show */
static unsigned char *pat;

static void pat_init(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	size_t i;

	if (pat)
		return;
	pat = malloc(2 * PAT_PERIOD);
	for (i = 0; i < 2 * PAT_PERIOD; i++) {
		if (i < PAT_PERIOD) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			pat[i] = x >> 24;
		} else {
			pat[i] = pat[i - PAT_PERIOD];
		}
	}
	crc32c_init();
}

struct bulk_step {
	size_t size;	/* bytes per write */
	size_t total;	/* bytes written at that size */
};

#define MB (1024 * 1024)
#define BULK_TOTAL (256UL * MB)

/* 256 MB in all, at write sizes from 1 B to 512 KB */
static const struct bulk_step bulk_steps[] = {
	{ 1, 64 * 1024 },
	{ 7, 256 * 1024 },
	{ 64, 1 * MB },
	{ 512, 4 * MB },
	{ 4096, 16 * MB },
	{ 8192, 32 * MB },
	{ 65536, 64 * MB },
	{ 524288, 0 },		/* the rest */
};

/* write the pattern stream; returns its CRC32C or sets *err */
static uint32_t bulk_write(int fd, int *err)
{
	size_t off = 0, i, left, n, done = 0;
	uint32_t crc = 0;

	*err = 0;
	for (i = 0; i < sizeof(bulk_steps) / sizeof(bulk_steps[0]); i++) {
		left = bulk_steps[i].total ? bulk_steps[i].total :
		       BULK_TOTAL - done;
		while (left) {
			n = bulk_steps[i].size < left ? bulk_steps[i].size : left;
			if (write_all(fd, pat + off, n) != (ssize_t)n) {
				*err = errno;
				return 0;
			}
			crc = crc32c(crc, pat + off, n);
			off = (off + n) % PAT_PERIOD;
			left -= n;
			done += n;
		}
	}
	return crc;
}

/* read to EOF, checking every byte against the pattern */
static int bulk_read(int fd, size_t *got, uint32_t *crc)
{
	size_t bufsz = 1 << 20, off = 0, total = 0;
	unsigned char *buf = malloc(bufsz);
	ssize_t n;

	*crc = 0;
	for (;;) {
		n = read(fd, buf, bufsz);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (memcmp(buf, pat + off, n)) {
			printf("#   data differs within bytes %zu..%zu\n", total,
			       total + n);
			free(buf);
			return -1;
		}
		*crc = crc32c(*crc, buf, n);
		off = (off + n) % PAT_PERIOD;
		total += n;
	}
	free(buf);
	*got = total;
	return n < 0 ? -1 : 0;
}

/*
 * Move 256 MB from a writer process to the reader (this process) over
 * connected socket pair @w (writer's end) / @r.  The writer reports its
 * CRC over a pipe.
 */
static int bulk_transfer(int w, int r)
{
	uint32_t wcrc = 0, rcrc;
	int p[2], err, status;
	double t0 = now_sec();
	size_t got;
	pid_t pid;

	pat_init();
	CHECK(pipe(p) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(r);
		wcrc = bulk_write(w, &err);
		if (err)
			printf("#   writer: %s\n", strerror(err));
		close(w);
		if (write(p[1], &wcrc, sizeof(wcrc)) != sizeof(wcrc))
			_exit(1);
		_exit(err ? 1 : 0);
	}
	close(w);
	close(p[1]);
	CHECK(bulk_read(r, &got, &rcrc) == 0);
	CHECK(read(p[0], &wcrc, sizeof(wcrc)) == sizeof(wcrc));
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (got != BULK_TOTAL)
		FAIL("got %zu bytes, want %lu", got, BULK_TOTAL);
	if (rcrc != wcrc)
		FAIL("crc32c %08x, writer's %08x", rcrc, wcrc);
	printf("#   256 MB, 1 B..512 KB writes, crc32c %08x, %.1f s\n", rcrc,
	       now_sec() - t0);
	close(r);
	return 0;
}

/* ===================================================================
 * one-domain tests
 * =================================================================== */

static int t_socket_types(void)
{
	int fd;

	fd = com_sock(SOCK_STREAM);
	CHECK(fd >= 0);
	close(fd);
	fd = com_sock(SOCK_DGRAM);
	CHECK(fd >= 0);
	close(fd);
	CHECK_ERR(socket(com_af, SOCK_RAW, 0), ESOCKTNOSUPPORT);
	CHECK_ERR(socket(com_af, SOCK_SEQPACKET, 0), ESOCKTNOSUPPORT);
	CHECK_ERR(socket(com_af, SOCK_STREAM, 6), EPROTONOSUPPORT);
	return 0;
}

static int t_echo(void)
{
	struct sockaddr_com a, b;
	socklen_t len;
	uint16_t port;
	char buf[64];
	int l, c, s;

	l = com_listen_on(0, 8, &port);
	CHECK(l >= 0);
	CHECK(port >= 32768 && port <= 60999);
	c = com_connect_to(com_own_addr(), port);
	CHECK(c >= 0);
	len = sizeof(a);
	s = accept(l, SA(a), &len);
	CHECK(s >= 0);
	CHECK(len == sizeof(a));
	CHECK(a.scom_family == com_af);
	CHECK(ntohl(a.scom_addr) == com_own_addr());

	/* the accepted socket's peer is the client's own name */
	len = sizeof(b);
	CHECK(getsockname(c, SA(b), &len) == 0);
	CHECK(b.scom_port == a.scom_port && b.scom_addr == a.scom_addr);
	len = sizeof(b);
	CHECK(getpeername(c, SA(b), &len) == 0);
	CHECK(ntohs(b.scom_port) == port);
	CHECK(ntohl(b.scom_addr) == com_own_addr());
	len = sizeof(b);
	CHECK(getsockname(s, SA(b), &len) == 0);
	CHECK(ntohs(b.scom_port) == port);

	CHECK(write(c, "hello", 5) == 5);
	CHECK(read(s, buf, sizeof(buf)) == 5);
	CHECK(!memcmp(buf, "hello", 5));
	CHECK(write(s, buf, 5) == 5);
	memset(buf, 0, sizeof(buf));
	CHECK(read_all(c, buf, 5) == 5);
	CHECK(!memcmp(buf, "hello", 5));

	/* FIONREAD counts unread bytes */
	CHECK(write(c, "0123456789", 10) == 10);
	usleep(1000);
	{
		int avail = -1;

		CHECK(ioctl(s, FIONREAD, &avail) == 0);
		CHECK(avail == 10);
		CHECK(recv(s, buf, 4, MSG_PEEK) == 4);
		CHECK(!memcmp(buf, "0123", 4));
		CHECK(read(s, buf, 4) == 4);
		CHECK(!memcmp(buf, "0123", 4));
		CHECK(read(s, buf, 10) == 6);
		CHECK(!memcmp(buf, "456789", 6));
	}
	/* SO_RCVLOWAT: a read waits for that much, a peek does not */
	{
		int low = 100;
		double t0;

		CHECK(setsockopt(s, SOL_SOCKET, SO_RCVLOWAT, &low,
				 sizeof(low)) == 0);
		CHECK(set_timeo(s, SO_RCVTIMEO, 300) == 0);
		CHECK(write(c, "0123456789", 10) == 10);
		t0 = now_sec();
		CHECK(recv(s, buf, sizeof(buf), MSG_PEEK) == 10);
		CHECK(now_sec() - t0 < 0.29);	/* did not wait for the timeout */
		CHECK(read(s, buf, sizeof(buf)) == 10);	/* after the timeout */
		CHECK(now_sec() - t0 >= 0.25);
	}
	/* MSG_WAITALL collects several writes */
	if (fork() == 0) {
		int i;

		for (i = 0; i < 3; i++) {
			usleep(50000);
			if (write(c, "abcd", 4) != 4)
				_exit(1);
		}
		_exit(0);
	}
	CHECK(set_timeo(s, SO_RCVTIMEO, 5000) == 0);
	CHECK(recv(s, buf, 12, MSG_WAITALL) == 12);
	CHECK(!memcmp(buf, "abcdabcdabcd", 12));
	CHECK(wait(NULL) > 0);
	close(c);
	CHECK(read(s, buf, sizeof(buf)) == 0);	/* end of file */
	close(s);
	close(l);
	return 0;
}

static int t_refused(void)
{
	struct sockaddr_com a;
	uint16_t port;
	int fd, l;

	/* nothing listens: a free port */
	l = com_listen_on(0, 1, &port);
	CHECK(l >= 0);
	close(l);
	fd = com_sock(SOCK_STREAM);
	a = com_sa(com_own_addr(), port);
	CHECK_ERR(connect(fd, SA(a), sizeof(a)), ECONNREFUSED);
	close(fd);

	/* bound but not listening */
	l = com_sock(SOCK_STREAM);
	a = com_sa(COM_ADDR_ANY, 0);
	CHECK(bind(l, SA(a), sizeof(a)) == 0);
	{
		socklen_t len = sizeof(a);

		CHECK(getsockname(l, SA(a), &len) == 0);
	}
	fd = com_sock(SOCK_STREAM);
	a = com_sa(com_own_addr(), ntohs(a.scom_port));
	CHECK_ERR(connect(fd, SA(a), sizeof(a)), ECONNREFUSED);
	close(fd);
	close(l);
	return 0;
}

static int t_absent_domain(void)
{
	struct sockaddr_com a = com_sa(COM_ADDR(250), 80);
	int fd = com_sock(SOCK_STREAM);

	CHECK_ERR(connect(fd, SA(a), sizeof(a)), EHOSTUNREACH);
	close(fd);
	fd = com_sock(SOCK_DGRAM);
	CHECK_ERR(sendto(fd, "x", 1, 0, SA(a), sizeof(a)), EHOSTUNREACH);
	close(fd);
	/* outside 192.168.0.0/24 */
	fd = com_sock(SOCK_STREAM);
	a = com_sa(0x0a000001, 80);
	CHECK_ERR(connect(fd, SA(a), sizeof(a)), ENETUNREACH);
	/* broadcast is for datagrams */
	a = com_sa(COM_ADDR_BROADCAST, 80);
	CHECK_ERR(connect(fd, SA(a), sizeof(a)), ENETUNREACH);
	close(fd);
	return 0;
}

static int t_bind_rules(void)
{
	struct sockaddr_com a = com_sa(COM_ADDR_ANY, 0), b;
	struct sockaddr_in in;
	socklen_t len = sizeof(b);
	uint16_t port;
	int fd, fd2;

	fd = com_sock(SOCK_STREAM);
	CHECK_ERR(bind(fd, SA(a), 4), EINVAL);
	CHECK_ERR(bind(fd, SA(a), sizeof(a) - 1), EINVAL);
	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	CHECK_ERR(bind(fd, (struct sockaddr *)&in, sizeof(in)), EAFNOSUPPORT);
	b = a;
	b.scom_zero[3] = 1;
	CHECK_ERR(bind(fd, SA(b), sizeof(b)), EINVAL);
	b = com_sa(COM_ADDR(com_domain_id() + 1), 0);
	CHECK_ERR(bind(fd, SA(b), sizeof(b)), EADDRNOTAVAIL);
	b = com_sa(COM_ADDR_BROADCAST, 0);
	CHECK_ERR(bind(fd, SA(b), sizeof(b)), EADDRNOTAVAIL);

	/* own address works, then a second bind is refused */
	b = com_sa(com_own_addr(), 0);
	CHECK(bind(fd, SA(b), sizeof(b)) == 0);
	CHECK(getsockname(fd, SA(b), &len) == 0);
	port = ntohs(b.scom_port);
	CHECK(port >= 32768 && port <= 60999);
	CHECK(ntohl(b.scom_addr) == com_own_addr());
	CHECK_ERR(bind(fd, SA(a), sizeof(a)), EINVAL);

	/* the port is taken for streams, but not for datagrams */
	fd2 = com_sock(SOCK_STREAM);
	a = com_sa(COM_ADDR_ANY, port);
	CHECK_ERR(bind(fd2, SA(a), sizeof(a)), EADDRINUSE);
	close(fd2);
	fd2 = com_sock(SOCK_DGRAM);
	CHECK(bind(fd2, SA(a), sizeof(a)) == 0);
	close(fd2);

	/* closing frees the port at once */
	close(fd);
	fd = com_sock(SOCK_STREAM);
	CHECK(bind(fd, SA(a), sizeof(a)) == 0);
	close(fd);
	return 0;
}

static int t_invalid_args(void)
{
	struct sockaddr_com a = com_sa(com_own_addr(), 1);
	socklen_t len = sizeof(a);
	char buf[16];
	int fd, c, s, v;

	fd = com_sock(SOCK_STREAM);
	CHECK_ERR(connect(fd, SA(a), 8), EINVAL);
	a.scom_family = AF_INET;
	CHECK_ERR(connect(fd, SA(a), sizeof(a)), EAFNOSUPPORT);
	CHECK_ERR(getpeername(fd, SA(a), &len), ENOTCONN);
	CHECK_ERR(shutdown(fd, SHUT_RDWR), ENOTCONN);
	CHECK_ERR(shutdown(fd, 7), EINVAL);
	CHECK_ERR(accept(fd, NULL, NULL), EINVAL);
	CHECK_ERR(recv(fd, buf, 1, 0), ENOTCONN);
	CHECK_ERR(send(fd, "x", 1, MSG_NOSIGNAL), EPIPE);
	v = 1;
	CHECK_ERR(setsockopt(fd, 6 /* SOL_TCP */, 1, &v, sizeof(v)), EOPNOTSUPP);
	CHECK_ERR(ioctl(fd, SIOCATMARK, &v), ENOTTY);
	close(fd);

	CHECK(pair(&c, &s) == 0);
	a = com_sa(com_own_addr(), 1);
	CHECK_ERR(connect(c, SA(a), sizeof(a)), EISCONN);
	CHECK_ERR(listen(c, 1), EINVAL);
	CHECK_ERR(send(c, "x", 1, MSG_OOB), EOPNOTSUPP);
	CHECK_ERR(recv(s, buf, 1, MSG_OOB), EOPNOTSUPP);
	/* bad user pointers are EFAULT, not a crash */
	CHECK_ERR(write(c, bad_ptr, 100), EFAULT);
	CHECK(write(c, "abc", 3) == 3);
	CHECK_ERR(read(s, bad_ptr, 100), EFAULT);
	CHECK(read(s, buf, sizeof(buf)) == 3);	/* nothing was lost */
	CHECK(!memcmp(buf, "abc", 3));
	CHECK_ERR(getsockname(c, (struct sockaddr *)bad_ptr, &len), EFAULT);
	close(c);
	close(s);

	fd = com_sock(SOCK_DGRAM);
	CHECK_ERR(listen(fd, 1), EOPNOTSUPP);
	CHECK_ERR(accept(fd, NULL, NULL), EOPNOTSUPP);
	CHECK_ERR(send(fd, "x", 1, 0), EDESTADDRREQ);
	a = com_sa(com_own_addr(), 0);
	CHECK_ERR(sendto(fd, "x", 1, 0, SA(a), sizeof(a)), EINVAL);
	a = com_sa(com_own_addr(), 9);
	CHECK_ERR(sendto(fd, "x", 1, 0, SA(a), 3), EINVAL);
	{
		size_t big = 64 * 1024 + 1;
		char *p = calloc(1, big);

		CHECK_ERR(sendto(fd, p, big, 0, SA(a), sizeof(a)), EMSGSIZE);
		free(p);
	}
	close(fd);
	return 0;
}

/* a full backlog: backlog + 1 connections wait, then connect waits too */
static int t_backlog(void)
{
	struct sockaddr_com a;
	uint16_t port;
	int l, c1, c2, c3, s;
	double t0;

	l = com_listen_on(0, 0, &port);
	CHECK(l >= 0);
	a = com_sa(com_own_addr(), port);
	c1 = com_connect_to(com_own_addr(), port);
	CHECK(c1 >= 0);
	c2 = com_sock(SOCK_STREAM);
	CHECK(set_nonblock(c2) == 0);
	CHECK_ERR(connect(c2, SA(a), sizeof(a)), EAGAIN);
	CHECK(fcntl(c2, F_SETFL, 0) == 0);
	CHECK(set_timeo(c2, SO_SNDTIMEO, 200) == 0);
	t0 = now_sec();
	CHECK_ERR(connect(c2, SA(a), sizeof(a)), ETIMEDOUT);
	CHECK(now_sec() - t0 >= 0.15);
	/* a blocked connect goes through once accept() makes room */
	if (fork() == 0) {
		usleep(200000);
		s = accept(l, NULL, NULL);
		_exit(s >= 0 ? 0 : 1);
	}
	c3 = com_sock(SOCK_STREAM);
	CHECK(connect(c3, SA(a), sizeof(a)) == 0);
	CHECK(wait(&s) > 0 && WIFEXITED(s) && WEXITSTATUS(s) == 0);
	/* closing the listener resets what nobody accepted */
	close(l);
	{
		char b;

		CHECK_ERR(read(c3, &b, 1), ECONNRESET);
		CHECK(read(c3, &b, 1) == 0);
	}
	close(c1);
	close(c2);
	close(c3);
	return 0;
}

/* SO_LINGER with a zero time: close() resets, as in TCP; any other time does not */
static int t_linger(void)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	char b;
	int c, s;

	CHECK(pair(&c, &s) == 0);
	CHECK(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0);
	CHECK(write(s, "ab", 2) == 2);
	close(s);
	/* what was sent before still arrives, then the reset, once */
	CHECK(read(c, &b, 1) == 1 && b == 'a');
	CHECK(read(c, &b, 1) == 1 && b == 'b');
	CHECK_ERR(read(c, &b, 1), ECONNRESET);
	CHECK(read(c, &b, 1) == 0);
	close(c);

	lg.l_linger = 5;
	CHECK(pair(&c, &s) == 0);
	CHECK(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0);
	close(s);
	CHECK(read(c, &b, 1) == 0);
	close(c);
	return 0;
}

static int t_sysctl(void)
{
	int id = com_domain_id();

	CHECK(id >= 0);
	CHECK(com_set_domain_id(id) == 0);	/* the same id again */
	CHECK(com_set_domain_id(id == 0 ? 1 : 0) == -EBUSY);
	CHECK(com_set_domain_id(253) == -EINVAL);
	CHECK(com_set_domain_id(-5) == -EINVAL);
	CHECK(com_domain_id() == id);
	CHECK(stat_value("domain_id") == id);
	return 0;
}

static int t_nonblocking(void)
{
	uint16_t port;
	char *buf = malloc(1 << 20);
	ssize_t n, total = 0;
	double t0;
	int l, c, s, e;

	l = com_listen_on(0, 4, &port);
	CHECK(l >= 0);
	CHECK(set_nonblock(l) == 0);
	CHECK_ERR(accept(l, NULL, NULL), EAGAIN);
	c = com_connect_to(com_own_addr(), port);
	CHECK(c >= 0);
	s = accept4(l, NULL, NULL, SOCK_NONBLOCK);
	CHECK(s >= 0);
	CHECK_ERR(read(s, buf, 10), EAGAIN);
	CHECK(set_nonblock(c) == 0);

	/* fill the connection's window: EAGAIN, not an endless buffer */
	for (;;) {
		n = write(c, buf, 1 << 20);
		if (n < 0)
			break;
		total += n;
		CHECK(total < 64 * MB);
	}
	e = errno;
	if (e != EAGAIN)
		FAIL("write: %s, want EAGAIN", strerror(e));
	printf("#   window: %zd bytes in flight\n", total);
	CHECK(total > 0);
	CHECK_ERR(send(c, buf, 1, MSG_DONTWAIT), EAGAIN);
	{
		struct pollfd p = { .fd = c, .events = POLLOUT };

		/* not writable until the reader frees half the window */
		CHECK(poll(&p, 1, 0) == 0);
		if (fork() == 0) {
			ssize_t r, left = total;

			usleep(100000);
			while (left > 0 && (r = read(s, buf, left)) > 0)
				left -= r;
			_exit(left ? 1 : 0);
		}
		CHECK(poll(&p, 1, 5000) == 1 && (p.revents & POLLOUT));
		CHECK(wait(&e) > 0 && WIFEXITED(e) && WEXITSTATUS(e) == 0);
		total = 0;
		while ((n = write(c, buf, 1 << 20)) > 0)
			total += n;
		CHECK(errno == EAGAIN);
	}

	/* SO_SNDTIMEO on a blocking socket with a full window */
	CHECK(fcntl(c, F_SETFL, 0) == 0);
	CHECK(set_timeo(c, SO_SNDTIMEO, 200) == 0);
	t0 = now_sec();
	CHECK_ERR(write(c, buf, 100), EAGAIN);
	CHECK(now_sec() - t0 >= 0.15);

	/* reading makes room again */
	{
		ssize_t left = total, r;

		CHECK(fcntl(s, F_SETFL, 0) == 0);
		while (left > 0) {
			r = read(s, buf, left > (1 << 20) ? 1 << 20 : left);
			CHECK(r > 0);
			left -= r;
		}
	}
	CHECK(write(c, buf, 100) == 100);
	CHECK(read(s, buf, 1000) == 100);

	/* SO_RCVTIMEO */
	CHECK(set_timeo(s, SO_RCVTIMEO, 200) == 0);
	t0 = now_sec();
	CHECK_ERR(read(s, buf, 10), EAGAIN);
	CHECK(now_sec() - t0 >= 0.15);
	CHECK(set_timeo(l, SO_RCVTIMEO, 100) == 0);
	CHECK(fcntl(l, F_SETFL, 0) == 0);
	CHECK_ERR(accept(l, NULL, NULL), EAGAIN);
	close(c);
	close(s);
	close(l);
	free(buf);
	return 0;
}

static int t_poll(void)
{
	struct epoll_event ev, evs[4];
	struct pollfd p;
	uint16_t port;
	char buf[16];
	int l, c, s, ep;

	l = com_listen_on(0, 4, &port);
	CHECK(l >= 0);
	p = (struct pollfd){ .fd = l, .events = POLLIN };
	CHECK(poll(&p, 1, 0) == 0);
	c = com_sock(SOCK_STREAM);
	p = (struct pollfd){ .fd = c, .events = POLLIN | POLLOUT };
	CHECK(poll(&p, 1, 0) == 1);
	CHECK(p.revents == (POLLOUT | POLLHUP));	/* like TCP */
	close(c);

	ep = epoll_create1(0);
	CHECK(ep >= 0);
	ev.events = EPOLLIN;
	ev.data.fd = l;
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev) == 0);
	if (fork() == 0) {
		usleep(100000);
		c = com_connect_to(com_own_addr(), port);
		usleep(100000);
		if (c < 0 || write(c, "ping", 4) != 4)
			_exit(1);
		usleep(100000);
		shutdown(c, SHUT_WR);
		if (read(c, buf, sizeof(buf)) != 0)	/* waits for close */
			_exit(1);
		_exit(0);
	}
	/* a blocked epoll_wait wakes for the connection */
	CHECK(epoll_wait(ep, evs, 4, 5000) == 1);
	CHECK(evs[0].data.fd == l && (evs[0].events & EPOLLIN));
	s = accept(l, NULL, NULL);
	CHECK(s >= 0);
	ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
	ev.data.fd = s;
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) == 0);
	CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, l, NULL) == 0);

	/* ... for data, then for the peer's end of stream */
	CHECK(epoll_wait(ep, evs, 4, 5000) == 1);
	CHECK(evs[0].events & EPOLLIN);
	CHECK(read(s, buf, sizeof(buf)) == 4);
	if (!(evs[0].events & EPOLLRDHUP)) {
		CHECK(epoll_wait(ep, evs, 4, 5000) == 1);
		CHECK(evs[0].events & EPOLLRDHUP);
	}
	p = (struct pollfd){ .fd = s, .events = POLLIN | POLLOUT | POLLRDHUP };
	CHECK(poll(&p, 1, 0) == 1);
	CHECK(p.revents == (POLLIN | POLLOUT | POLLRDHUP));
	CHECK(read(s, buf, sizeof(buf)) == 0);
	close(s);
	CHECK(wait(NULL) > 0);
	close(ep);
	close(l);

	/* select() sees the same readiness */
	CHECK(pair(&c, &s) == 0);
	{
		fd_set r;
		struct timeval tv = { 0, 0 };

		FD_ZERO(&r);
		FD_SET(s, &r);
		CHECK(select(s + 1, &r, NULL, NULL, &tv) == 0);
		CHECK(write(c, "x", 1) == 1);
		FD_ZERO(&r);
		FD_SET(s, &r);
		tv.tv_sec = 5;
		CHECK(select(s + 1, &r, NULL, NULL, &tv) == 1);
	}
	close(c);
	close(s);
	return 0;
}

static int t_half_close(void)
{
	char buf[4096];
	int c, s, i;

	CHECK(pair(&c, &s) == 0);
	for (i = 0; i < 100; i++)
		CHECK(write(c, buf, sizeof(buf)) == sizeof(buf));
	CHECK(shutdown(c, SHUT_WR) == 0);
	CHECK_ERR(send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
	/* every byte written before the shutdown arrives, then EOF */
	CHECK(read_all(s, buf, sizeof(buf)) == sizeof(buf));
	{
		size_t total = sizeof(buf);
		ssize_t n;

		while ((n = read(s, buf, sizeof(buf))) > 0)
			total += n;
		CHECK(n == 0);
		CHECK(total == 100 * sizeof(buf));
	}
	CHECK(read(s, buf, 1) == 0);
	/* the other direction still works */
	CHECK(write(s, "reply", 5) == 5);
	CHECK(read_all(c, buf, 5) == 5);
	CHECK(!memcmp(buf, "reply", 5));
	CHECK(shutdown(s, SHUT_WR) == 0);
	CHECK(read(c, buf, sizeof(buf)) == 0);
	close(c);
	close(s);

	/* SHUT_RD: reads return 0 */
	CHECK(pair(&c, &s) == 0);
	CHECK(shutdown(s, SHUT_RD) == 0);
	CHECK(read(s, buf, sizeof(buf)) == 0);
	close(c);
	close(s);
	return 0;
}

struct blocked {
	int fd;
	int accept;
	long ret;
	int err;
};

static void *blocked_call(void *p)
{
	struct blocked *b = p;
	char c;

	b->ret = b->accept ? accept(b->fd, NULL, NULL) : read(b->fd, &c, 1);
	b->err = errno;
	return NULL;
}

/* shutdown() wakes a thread blocked in accept() or read(), as in TCP */
static int t_shutdown_wakes(void)
{
	struct blocked b = { 0 };
	pthread_t th;
	int l, c, s;

	l = com_listen_on(0, 1, NULL);
	CHECK(l >= 0);
	b = (struct blocked){ .fd = l, .accept = 1 };
	CHECK(pthread_create(&th, NULL, blocked_call, &b) == 0);
	usleep(200000);
	CHECK(shutdown(l, SHUT_RDWR) == 0);
	CHECK(pthread_join(th, NULL) == 0);
	CHECK(b.ret == -1 && b.err == EINVAL);
	close(l);

	CHECK(pair(&c, &s) == 0);
	b = (struct blocked){ .fd = s };
	CHECK(pthread_create(&th, NULL, blocked_call, &b) == 0);
	usleep(200000);
	CHECK(shutdown(s, SHUT_RD) == 0);
	CHECK(pthread_join(th, NULL) == 0);
	CHECK(b.ret == 0);
	close(c);
	close(s);
	return 0;
}

static int t_sigpipe(void)
{
	int c, s;

	CHECK(pair(&c, &s) == 0);
	close(s);
	/* default action of SIGPIPE kills: check it is raised */
	signal(SIGPIPE, SIG_DFL);
	if (fork() == 0) {
		int r = write(c, "x", 1);

		_exit(r < 0 ? 2 : 3);
	}
	{
		int status;

		CHECK(wait(&status) > 0);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE);
	}
	signal(SIGPIPE, SIG_IGN);
	CHECK_ERR(write(c, "x", 1), EPIPE);
	close(c);
	return 0;
}

static int t_peer_killed(void)
{
	char *buf = malloc(1 << 16);
	size_t total = 0;
	int c, s, status;
	ssize_t n;
	pid_t pid;

	/* a writer killed mid-stream: the reader gets the data, then EOF */
	CHECK(pair(&c, &s) == 0);
	pid = fork();
	if (pid == 0) {
		close(s);
		memset(buf, 'w', 1 << 16);
		for (;;)
			if (write(c, buf, 1 << 16) < 0)
				_exit(1);
	}
	close(c);
	CHECK(read_all(s, buf, 1 << 16) == 1 << 16);
	kill(pid, SIGKILL);
	CHECK(waitpid(pid, &status, 0) == pid);
	while ((n = read(s, buf, 1 << 16)) > 0)
		total += n;
	CHECK(n == 0);
	printf("#   %zu more bytes after the kill, then EOF\n", total);
	close(s);

	/* a reader killed with unread data: the writer sees a reset */
	CHECK(pair(&c, &s) == 0);
	pid = fork();
	if (pid == 0) {
		close(c);
		if (read(s, buf, 10) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	close(s);
	CHECK(write(c, buf, 1 << 16) > 0);
	usleep(100000);
	kill(pid, SIGKILL);
	CHECK(waitpid(pid, &status, 0) == pid);
	/* the reset once, then EPIPE */
	CHECK_ERR(write(c, buf, 100), ECONNRESET);
	CHECK_ERR(write(c, buf, 100), EPIPE);
	CHECK(read(c, buf, 10) <= 0);
	close(c);
	free(buf);
	return 0;
}

/* ---- connect racing accept()+close() and the listener's end ---- */

#define RACE_ROUNDS	120
#define RACE_THREADS	2

struct race {
	uint32_t addr;
	uint16_t port;
	int stop;
	int connects;
	int bad_errno;
};

static void *race_connector(void *p)
{
	struct race *r = p;
	struct sockaddr_com a = com_sa(r->addr, r->port);
	int fd;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		fd = com_sock(SOCK_STREAM);
		if (fd < 0) {
			r->bad_errno = errno;
			break;
		}
		if (connect(fd, SA(a), sizeof(a)) == 0) {
			__atomic_add_fetch(&r->connects, 1, __ATOMIC_RELAXED);
			/* the other end may be gone already: any outcome */
			(void)send(fd, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		} else if (errno != ECONNREFUSED) {
			r->bad_errno = errno;
		}
		close(fd);
	}
	return NULL;
}

static void *race_acceptor(void *p)
{
	int l = (int)(long)p, s;

	while ((s = accept(l, NULL, NULL)) >= 0)
		close(s);
	return NULL;
}

/*
 * Connections made while another thread accepts and closes them at once,
 * or while the listener stops (shutdown or close) with connections in
 * its queue: the new server-side socket changes hands between connect()
 * and accept() under both.  Wrong references show up as refcount or
 * slab warnings in the kernel log, which the guest checks at the end.
 */
static int t_connect_races(void)
{
	struct race r = { .addr = com_own_addr() };
	pthread_t conn[RACE_THREADS], acc;
	int round, i, l;

	l = com_listen_on(0, 2, &r.port);
	CHECK(l >= 0);
	for (i = 0; i < RACE_THREADS; i++)
		CHECK(pthread_create(&conn[i], NULL, race_connector, &r) == 0);
	for (round = 0; round < RACE_ROUNDS; round++) {
		if (round) {
			l = com_listen_on(r.port, 2, NULL);
			CHECK(l >= 0);
		}
		if (round % 2) {
			/* accept and close at once, then stop listening */
			CHECK(pthread_create(&acc, NULL, race_acceptor,
					     (void *)(long)l) == 0);
			usleep(1000 + round * 50);
			CHECK(shutdown(l, SHUT_RD) == 0);
			CHECK(pthread_join(acc, NULL) == 0);
		} else {
			/* nobody accepts: closing resets the queue */
			usleep(500 + round * 20);
		}
		close(l);
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < RACE_THREADS; i++)
		CHECK(pthread_join(conn[i], NULL) == 0);
	if (r.bad_errno)
		FAIL("connect: %s", strerror(r.bad_errno));
	printf("#   %d rounds, %d connections\n", RACE_ROUNDS, r.connects);
	CHECK(r.connects > RACE_ROUNDS);
	return 0;
}

/* ---- a writer asleep on a full window when its reader goes ---- */

#define BLOCKED_ROUNDS	24

static long window_bytes(void)
{
	return read_number("/sys/module/comsock/parameters/conn_blocks", -1) *
	       COM_BLOCK_SIZE;
}

struct blocked_writer {
	int fd;
	int err;
	double when;
};

static void *blocked_write(void *p)
{
	struct blocked_writer *b = p;
	char *buf = calloc(1, 1 << 20);

	while (send(b->fd, buf, 1 << 20, MSG_NOSIGNAL) > 0)
		;
	b->err = errno;
	b->when = now_sec();
	free(buf);
	return NULL;
}

/*
 * A blocking write waits for window while its reader closes without
 * reading (or, for a connection nobody accepted, while the listener
 * closes): the write must fail with the reset, not sleep on.  SO_SNDTIMEO
 * is only a safety net: running into it gives EAGAIN, a failure.
 */
static int t_blocked_writer(void)
{
	struct blocked_writer b;
	long win = window_bytes();
	int round, c, s, l, avail;
	pthread_t th;
	uint16_t port;
	double t0;

	CHECK(win > 0);
	for (round = 0; round < BLOCKED_ROUNDS; round++) {
		l = -1;
		if (round % 3 == 2) {
			l = com_listen_on(0, 4, &port);
			CHECK(l >= 0);
			c = com_connect_to(com_own_addr(), port);
			CHECK(c >= 0);
			s = -1;
		} else {
			CHECK(pair(&c, &s) == 0);
		}
		CHECK(set_timeo(c, SO_SNDTIMEO, 8000) == 0);
		b = (struct blocked_writer){ .fd = c };
		CHECK(pthread_create(&th, NULL, blocked_write, &b) == 0);
		/* the window fills, then the writer goes to sleep */
		t0 = now_sec();
		do {
			usleep(1000);
			avail = 0;
			if (s >= 0)
				CHECK(ioctl(s, FIONREAD, &avail) == 0);
			else if (now_sec() - t0 > 0.05)
				avail = win;
			CHECK(now_sec() - t0 < 5);
		} while (avail < win);
		usleep((round % 4) * 2000);
		t0 = now_sec();
		close(s >= 0 ? s : l);
		CHECK(pthread_join(th, NULL) == 0);
		if (b.err != ECONNRESET || b.when - t0 > 5)
			FAIL("round %d: the blocked write ended %.2f s after the close with %s, want ECONNRESET at once",
			     round, b.when - t0, strerror(b.err));
		CHECK_ERR(send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
		close(c);
	}
	return 0;
}

/* ---- many connections, served by one epoll loop ---- */

#define NCONN		64
#define CONN_BYTES	(256 * 1024)

struct conn_arg {
	uint32_t addr;
	uint16_t port;
	int idx;
	int ok;
};

/* each client sends its own pattern; the server answers with the CRC */
static void *conn_client(void *p)
{
	struct conn_arg *a = p;
	unsigned char *out = malloc(CONN_BYTES);
	uint32_t crc, reply = 0;
	int fd, i;

	for (i = 0; i < CONN_BYTES; i++)
		out[i] = (unsigned char)(i * 31 + a->idx);
	crc = crc32c(0, out, CONN_BYTES);
	fd = com_connect_to(a->addr, a->port);
	if (fd >= 0 && write_all(fd, out, CONN_BYTES) == CONN_BYTES &&
	    shutdown(fd, SHUT_WR) == 0 &&
	    read_all(fd, &reply, sizeof(reply)) == sizeof(reply) &&
	    reply == crc && read(fd, out, 1) == 0)
		a->ok = 1;
	if (fd >= 0)
		close(fd);
	free(out);
	return NULL;
}

/* serve @nconn connections on listener @l: read each to its end, answer
 * with its CRC32C
 */
static int conn_serve(int l, int nconn)
{
	struct epoll_event ev, evs[16];
	static uint32_t crc[1024];
	static size_t bytes[1024];
	int ep, i, n, accepted = 0, done = 0;
	char *buf = malloc(65536);

	crc32c_init();
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.fd = l;
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev) == 0);
	while (done < nconn) {
		n = epoll_wait(ep, evs, 16, 30000);
		CHECK(n > 0);
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			ssize_t r;

			if (fd == l) {
				int s = accept4(l, NULL, NULL, SOCK_NONBLOCK);

				CHECK(s >= 0 && s < 1024);
				ev.events = EPOLLIN;
				ev.data.fd = s;
				CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) == 0);
				crc[s] = 0;
				bytes[s] = 0;
				accepted++;
				continue;
			}
			if (evs[i].events & EPOLLOUT)
				goto reply;
			r = read(fd, buf, 65536);
			if (r < 0 && errno == EAGAIN)
				continue;
			CHECK(r >= 0);
			if (r > 0) {
				crc[fd] = crc32c(crc[fd], buf, r);
				bytes[fd] += r;
				continue;
			}
			if (bytes[fd] != CONN_BYTES)
				FAIL("connection got %zu bytes", bytes[fd]);
reply:
			/* the domain's buffer may be full of other clients'
			 * data: then wait for EPOLLOUT and keep reading
			 */
			r = write(fd, &crc[fd], sizeof(crc[fd]));
			if (r < 0 && errno == EAGAIN) {
				ev.events = EPOLLOUT;
				ev.data.fd = fd;
				CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) == 0);
				continue;
			}
			CHECK(r == 4);
			close(fd);
			done++;
		}
	}
	CHECK(accepted == nconn);
	close(ep);
	free(buf);
	return 0;
}

static int conn_clients(uint32_t addr, uint16_t port, int nconn,
			int (*serve)(void *), void *arg)
{
	struct conn_arg args[NCONN];
	pthread_t th[NCONN];
	int i, err = 0;

	crc32c_init();
	for (i = 0; i < nconn; i++) {
		args[i] = (struct conn_arg){ .addr = addr, .port = port,
					     .idx = i };
		CHECK(pthread_create(&th[i], NULL, conn_client, &args[i]) == 0);
	}
	if (serve)
		err = serve(arg);
	for (i = 0; i < nconn; i++) {
		pthread_join(th[i], NULL);
		if (!args[i].ok)
			FAIL("connection %d failed", i);
	}
	return err;
}

static int serve_listener(void *arg)
{
	return conn_serve(*(int *)arg, NCONN);
}

static int t_many_connections(void)
{
	uint16_t port;
	int l;

	l = com_listen_on(0, NCONN, &port);
	CHECK(l >= 0);
	CHECK(conn_clients(com_own_addr(), port, NCONN, serve_listener,
			   &l) == 0);
	close(l);
	return 0;
}

/* A reader that does not read beside one that does: the slow one holds
 * at most its window, the fast one moves 32 MB meanwhile.
 */
static int t_slow_reader(void)
{
	char *buf = malloc(1 << 20);
	size_t slow_total = 0, total = 0;
	int sc, ss, fc, fs, status;
	ssize_t n;
	pid_t pid;
	long used;

	CHECK(pair(&sc, &ss) == 0);
	CHECK(pair(&fc, &fs) == 0);
	CHECK(set_nonblock(sc) == 0);
	while ((n = write(sc, buf, 1 << 20)) > 0)
		slow_total += n;
	CHECK(errno == EAGAIN);
	used = stat_value("blocks_used");
	printf("#   slow connection holds %zu bytes, %ld blocks of %ld\n",
	       slow_total, used, stat_value("blocks"));
	CHECK(used > 0 && used < stat_value("blocks") / 2);

	pid = fork();
	if (pid == 0) {
		size_t left = 32 * MB;

		memset(buf, 'f', 1 << 20);
		while (left) {
			n = write(fc, buf, left < (1 << 20) ? left : 1 << 20);
			if (n <= 0)
				_exit(1);
			left -= n;
		}
		_exit(0);
	}
	close(fc);
	while (total < 32 * MB && (n = read(fs, buf, 1 << 20)) > 0)
		total += n;
	CHECK(total == 32 * MB);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0);

	/* the slow reader finally reads: everything is there */
	total = 0;
	CHECK(set_nonblock(ss) == 0);
	while ((n = read(ss, buf, 1 << 20)) > 0)
		total += n;
	CHECK(total == slow_total);
	close(sc);
	close(ss);
	close(fs);
	free(buf);
	return 0;
}

static int t_bulk_local(void)
{
	int c, s;

	CHECK(pair(&c, &s) == 0);
	return bulk_transfer(c, s);
}

static int t_dgram(void)
{
	struct sockaddr_com a, from;
	socklen_t len = sizeof(from);
	char buf[70000];
	int r, w, v = 1;
	uint16_t rport;

	r = com_sock(SOCK_DGRAM);
	a = com_sa(COM_ADDR_ANY, 0);
	CHECK(bind(r, SA(a), sizeof(a)) == 0);
	CHECK(getsockname(r, SA(a), &len) == 0);
	rport = ntohs(a.scom_port);
	w = com_sock(SOCK_DGRAM);
	a = com_sa(com_own_addr(), rport);
	CHECK(sendto(w, "one", 3, 0, SA(a), sizeof(a)) == 3);
	CHECK(sendto(w, "", 0, 0, SA(a), sizeof(a)) == 0);
	memset(buf, 'b', sizeof(buf));
	CHECK(sendto(w, buf, 65536, 0, SA(a), sizeof(a)) == 65536);

	len = sizeof(from);
	CHECK(recvfrom(r, buf, sizeof(buf), 0, SA(from), &len) == 3);
	CHECK(!memcmp(buf, "one", 3));
	CHECK(len == sizeof(from) && from.scom_family == com_af);
	CHECK(ntohl(from.scom_addr) == com_own_addr());
	{
		struct sockaddr_com wa;
		socklen_t wl = sizeof(wa);

		CHECK(getsockname(w, SA(wa), &wl) == 0);	/* autobound */
		CHECK(wa.scom_port == from.scom_port && wa.scom_port);
	}
	CHECK(recv(r, buf, sizeof(buf), 0) == 0);
	/* truncation: the rest of the datagram is gone */
	{
		struct iovec iov = { buf, 100 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

		CHECK(recvmsg(r, &mh, MSG_PEEK | MSG_TRUNC) == 65536);
		CHECK(recvmsg(r, &mh, 0) == 100);
		CHECK(mh.msg_flags & MSG_TRUNC);
	}
	CHECK_ERR(recv(r, buf, 10, MSG_DONTWAIT), EAGAIN);

	/* nobody on the port: dropped silently, as UDP */
	a = com_sa(com_own_addr(), rport == 60000 ? 60001 : 60000);
	CHECK(sendto(w, "lost", 4, 0, SA(a), sizeof(a)) == 4);

	/* connected datagram sockets */
	a = com_sa(com_own_addr(), rport);
	CHECK(connect(w, SA(a), sizeof(a)) == 0);
	CHECK(send(w, "two", 3, 0) == 3);
	CHECK(recv(r, buf, sizeof(buf), 0) == 3);
	len = sizeof(from);
	CHECK(getpeername(w, SA(from), &len) == 0);
	CHECK(ntohs(from.scom_port) == rport);

	/* broadcast needs SO_BROADCAST, as UDP */
	a = com_sa(COM_ADDR_BROADCAST, rport);
	CHECK_ERR(sendto(w, "all", 3, 0, SA(a), sizeof(a)), EACCES);
	CHECK(setsockopt(w, SOL_SOCKET, SO_BROADCAST, &v, sizeof(v)) == 0);
	CHECK(sendto(w, "all", 3, 0, SA(a), sizeof(a)) == 3);
	len = sizeof(from);
	CHECK(recvfrom(r, buf, sizeof(buf), 0, SA(from), &len) == 3);
	CHECK(!memcmp(buf, "all", 3));

	/* a full receive queue drops, never blocks the sender */
	{
		int i, got = 0;

		a = com_sa(com_own_addr(), rport);
		for (i = 0; i < 200; i++)
			CHECK(sendto(w, buf, 8192, 0, SA(a), sizeof(a)) == 8192);
		while (recv(r, buf, sizeof(buf), MSG_DONTWAIT) == 8192)
			got++;
		printf("#   %d of 200 datagrams kept, %ld dropped so far\n",
		       got, stat_value("drops"));
		CHECK(got > 0 && got < 200);
	}
	close(w);
	close(r);
	return 0;
}

static int t_proc(void)
{
	char line[256], want[32];
	uint16_t port;
	int l, found = 0;
	FILE *f;

	l = com_listen_on(0, 1, &port);
	CHECK(l >= 0);
	snprintf(want, sizeof(want), ":%u", port);
	f = fopen("/proc/net/comsock", "r");
	CHECK(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "LISTEN") && strstr(line, want))
			found = 1;
	fclose(f);
	CHECK(found);
	close(l);
	CHECK(stat_value("blocks") > 0);
	CHECK(stat_value("block_size") == COM_BLOCK_SIZE);
	return 0;
}

/*
 * Random calls with random arguments on sockets in random states: each
 * must succeed or fail with an errno this family documents; the kernel
 * log is checked after the suite.
 */
static int t_random_calls(void)
{
	static const int ok_errno[] = {
		EINVAL, EAFNOSUPPORT, EADDRINUSE, EADDRNOTAVAIL, ECONNREFUSED,
		EHOSTUNREACH, ENETUNREACH, EISCONN, ENOTCONN, EPIPE,
		ECONNRESET, EAGAIN, EOPNOTSUPP, EMSGSIZE, EACCES, EFAULT,
		EDESTADDRREQ, EALREADY, ETIMEDOUT, ENOTTY, ENOPROTOOPT,
		EBADF,
	};
	uint64_t x = 0x2545f4914f6cdd1dULL;
	struct sockaddr_com a;
	char buf[256];
	int fds[8], i, k, r, fd;
	socklen_t len;
	uint16_t port;
	int l = com_listen_on(0, 4, &port);

	CHECK(l >= 0);
	CHECK(set_nonblock(l) == 0);
	for (i = 0; i < 8; i++) {
		fds[i] = com_sock(i & 1 ? SOCK_DGRAM : SOCK_STREAM);
		CHECK(fds[i] >= 0);
		CHECK(set_nonblock(fds[i]) == 0);
	}
	for (k = 0; k < 3000; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		fd = fds[x % 8];
		memset(&a, 0, sizeof(a));
		a.scom_family = (x >> 8) % 4 ? com_af : (int)((x >> 16) % 50);
		switch ((x >> 20) % 4) {
		case 0:
			a.scom_addr = htonl(com_own_addr());
			break;
		case 1:
			a.scom_addr = htonl(COM_ADDR((x >> 24) % 256));
			break;
		case 2:
			a.scom_addr = htonl(COM_ADDR_BROADCAST);
			break;
		default:
			a.scom_addr = (uint32_t)(x >> 32);
		}
		a.scom_port = (x >> 28) % 3 ? htons(port) : (uint16_t)(x >> 40);
		if ((x >> 44) % 16 == 0)
			a.scom_zero[(x >> 48) % 8] = 1;
		len = (x >> 52) % 5 ? sizeof(a) : (x >> 56) % 32;
		errno = 0;
		switch ((x >> 3) % 12) {
		case 0:
			r = bind(fd, SA(a), len);
			break;
		case 1:
			r = connect(fd, SA(a), len);
			break;
		case 2:
			r = listen(fd, (int)(x >> 33) % 8);
			break;
		case 3:
			r = accept4(fd, NULL, NULL, SOCK_NONBLOCK);
			if (r >= 0)
				close(r);
			r = r < 0 ? -1 : 0;
			break;
		case 4:
			r = sendto(fd, buf, (x >> 34) % sizeof(buf),
				   MSG_DONTWAIT | MSG_NOSIGNAL |
				   ((x >> 45) % 8 ? 0 : MSG_OOB), SA(a), len);
			r = r < 0 ? -1 : 0;
			break;
		case 5:
			r = recv(fd, buf, (x >> 34) % sizeof(buf),
				 MSG_DONTWAIT | ((x >> 45) % 2 ? MSG_PEEK : 0));
			r = r < 0 ? -1 : 0;
			break;
		case 6:
			r = shutdown(fd, (x >> 35) % 4);
			break;
		case 7:
			len = (x >> 36) % 32;
			r = getpeername(fd, SA(a), &len);
			break;
		case 8:
			len = (x >> 36) % 32;
			r = getsockname(fd, SA(a), &len);
			break;
		case 9: {
			int v = (x >> 37) % 2;

			r = setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &v,
				       sizeof(v));
			break;
		}
		case 10: {
			struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };

			r = poll(&p, 1, 0) < 0 ? -1 : 0;
			break;
		}
		default:
			/* start over with a fresh socket */
			close(fd);
			fd = com_sock((x >> 38) % 2 ? SOCK_DGRAM : SOCK_STREAM);
			CHECK(fd >= 0);
			CHECK(set_nonblock(fd) == 0);
			fds[x % 8] = fd;
			r = 0;
		}
		if (r < 0) {
			size_t j;

			for (j = 0; j < sizeof(ok_errno) / sizeof(ok_errno[0]); j++)
				if (errno == ok_errno[j])
					break;
			if (j == sizeof(ok_errno) / sizeof(ok_errno[0]))
				FAIL("call %d (kind %d): unexpected errno %d %s",
				     k, (int)((x >> 3) % 12), errno,
				     strerror(errno));
		}
		/* accept what the random connects queued, so they drain */
		r = accept4(l, NULL, NULL, SOCK_NONBLOCK);
		if (r >= 0)
			close(r);
	}
	for (i = 0; i < 8; i++)
		close(fds[i]);
	close(l);
	return 0;
}

/* several threads writing one socket: writes are not torn or lost */
#define REC		64
#define RECS		4096
#define WRITERS		4

static int rec_fd;

static void *rec_writer(void *p)
{
	unsigned char r[REC];
	long id = (long)p;
	int i;

	for (i = 0; i < RECS; i++) {
		memset(r, (int)id, REC);
		memcpy(r, &i, sizeof(i));
		if (write(rec_fd, r, REC) != REC)
			return (void *)1;
	}
	return NULL;
}

static int t_concurrent_writers(void)
{
	int next[WRITERS] = { 0 }, c, s, i, j, total = 0;
	unsigned char r[REC];
	pthread_t th[WRITERS];
	void *ret;

	CHECK(pair(&c, &s) == 0);
	rec_fd = c;
	for (i = 0; i < WRITERS; i++)
		CHECK(pthread_create(&th[i], NULL, rec_writer,
				     (void *)(long)(i + 1)) == 0);
	while (total < WRITERS * RECS) {
		CHECK(read_all(s, r, REC) == REC);
		j = r[REC - 1] - 1;
		CHECK(j >= 0 && j < WRITERS);
		for (i = sizeof(int); i < REC; i++)
			CHECK(r[i] == j + 1);
		memcpy(&i, r, sizeof(i));
		if (i != next[j])
			FAIL("writer %d: record %d, want %d", j, i, next[j]);
		next[j]++;
		total++;
	}
	for (i = 0; i < WRITERS; i++) {
		CHECK(pthread_join(th[i], &ret) == 0);
		CHECK(ret == NULL);
	}
	close(c);
	CHECK(read(s, r, 1) == 0);
	close(s);
	return 0;
}

/* run last in a suite: every block and descriptor came back */
static int t_no_leak(void)
{
	int i;

	for (i = 0; i < 50; i++) {
		if (stat_value("blocks_used") == 0 &&
		    stat_value("descriptors_used") == 0)
			return 0;
		usleep(100000);
	}
	FAIL("blocks_used %ld descriptors_used %ld", stat_value("blocks_used"),
	     stat_value("descriptors_used"));
}

static void suite_local(void)
{
	run("socket types", t_socket_types, 30);
	run("connect/accept/echo, names", t_echo, 30);
	run("connection refused", t_refused, 30);
	run("absent domain, bad network", t_absent_domain, 30);
	run("bind rules", t_bind_rules, 30);
	run("invalid arguments", t_invalid_args, 30);
	run("backlog", t_backlog, 30);
	run("domain id sysctl", t_sysctl, 30);
	run("non-blocking mode and timeouts", t_nonblocking, 60);
	run("poll/epoll/select readiness", t_poll, 60);
	run("half-close", t_half_close, 60);
	run("SO_LINGER 0 closes with a reset", t_linger, 30);
	run("shutdown wakes blocked accept and read", t_shutdown_wakes, 30);
	run("SIGPIPE", t_sigpipe, 30);
	run("peer killed mid-stream", t_peer_killed, 60);
	run("connect racing accept+close and the listener's end",
	    t_connect_races, 60);
	run("a writer blocked on a full window when the reader closes",
	    t_blocked_writer, 60);
	run("64 concurrent connections", t_many_connections, 180);
	run("4 threads writing one socket", t_concurrent_writers, 60);
	run("slow reader beside a fast one", t_slow_reader, 180);
	run("256 MB with crc32c, 1 B..512 KB writes", t_bulk_local, 300);
	run("datagrams", t_dgram, 60);
	run("/proc/net/comsock", t_proc, 30);
	run("3000 random calls: documented errors only", t_random_calls, 60);
	run("no blocks leaked", t_no_leak, 30);
}

/* ===================================================================
 * between domains
 * =================================================================== */

/*
 * A domain process: fork, enter a new namespace as domain @id (or stay in
 * this one for id -1), run @fn.  @ctl gets one end of a socketpair for
 * coordination.
 */
static pid_t spawn_domain(int id, int (*fn)(int ctl, int arg), int arg,
			  int *ctl)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		int err;

		close(sv[0]);
		err = id < 0 ? 0 : com_enter_domain(id);
		if (err) {
			printf("#   domain %d: %s\n", id, strerror(-err));
			_exit(1);
		}
		_exit(fn(sv[1], arg) ? 1 : 0);
	}
	close(sv[1]);
	*ctl = sv[0];
	return pid;
}

static int wait_ok(pid_t pid)
{
	int status;

	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int ctl_send(int ctl, int v)
{
	return write(ctl, &v, sizeof(v)) == sizeof(v) ? 0 : -1;
}

static int ctl_recv(int ctl)
{
	int v;

	return read(ctl, &v, sizeof(v)) == sizeof(v) ? v : -1;
}

/* echo server: listens on @port, echoes one connection, reports */
static int d_echo_server(int ctl, int port)
{
	char buf[4096];
	ssize_t n;
	int l, s;

	l = com_listen_on(port, 4, NULL);
	CHECK(l >= 0);
	CHECK(ctl_send(ctl, 1) == 0);
	s = accept(l, NULL, NULL);
	CHECK(s >= 0);
	while ((n = read(s, buf, sizeof(buf))) > 0)
		CHECK(write_all(s, buf, n) == n);
	CHECK(n == 0);
	close(s);
	close(l);
	return 0;
}

static int d_echo_client(int ctl, int target)
{
	struct sockaddr_com a;
	socklen_t len = sizeof(a);
	char buf[32];
	int c;

	c = com_connect_to(COM_ADDR(target), 7000);
	CHECK(c >= 0);
	CHECK(getsockname(c, SA(a), &len) == 0);
	CHECK(ntohl(a.scom_addr) == com_own_addr());
	CHECK(getpeername(c, SA(a), &len) == 0);
	CHECK(ntohl(a.scom_addr) == COM_ADDR(target));
	CHECK(write(c, "across", 6) == 6);
	CHECK(read_all(c, buf, 6) == 6 && !memcmp(buf, "across", 6));
	close(c);
	return 0;
}

static int t_cross_echo(void)
{
	pid_t srv, cli;
	int cs, cc;

	srv = spawn_domain(11, d_echo_server, 7000, &cs);
	CHECK(srv > 0 && ctl_recv(cs) == 1);
	cli = spawn_domain(12, d_echo_client, 11, &cc);
	CHECK(cli > 0);
	CHECK(wait_ok(cli) == 0);
	CHECK(wait_ok(srv) == 0);
	close(cs);
	close(cc);

	/* the initial namespace reaches a namespace too (a new id: the
	 * old namespace may still be on its way out, holding 11)
	 */
	srv = spawn_domain(15, d_echo_server, 7000, &cs);
	CHECK(srv > 0 && ctl_recv(cs) == 1);
	CHECK(d_echo_client(-1, 15) == 0);
	CHECK(wait_ok(srv) == 0);
	close(cs);
	return 0;
}

static int d_hold(int ctl, int arg)
{
	ctl_recv(ctl);		/* until the parent closes */
	return 0;
}

static int t_domain_ids(void)
{
	pid_t a;
	int ca, err;

	a = spawn_domain(13, d_hold, 0, &ca);
	CHECK(a > 0);
	usleep(200000);
	/* a second namespace cannot take the same id */
	if (fork() == 0) {
		CHECK(unshare(CLONE_NEWNET) == 0);
		CHECK(com_domain_id() == -1);
		/* a namespace without an id cannot use AF_COM */
		{
			struct sockaddr_com sa = com_sa(COM_ADDR(13), 1);
			int fd = com_sock(SOCK_STREAM);

			CHECK(fd >= 0);
			CHECK_ERR(connect(fd, SA(sa), sizeof(sa)), ENETUNREACH);
			sa = com_sa(COM_ADDR_ANY, 0);
			CHECK_ERR(bind(fd, SA(sa), sizeof(sa)), EADDRNOTAVAIL);
			CHECK_ERR(listen(fd, 1), EADDRNOTAVAIL);
			close(fd);
		}
		err = com_set_domain_id(13);
		if (err != -EADDRINUSE)
			FAIL("second domain 13: %d, want EADDRINUSE", err);
		CHECK(com_set_domain_id(14) == 0);
		_exit(0);
	}
	{
		int status;

		CHECK(wait(&status) > 0 && WIFEXITED(status) &&
		      WEXITSTATUS(status) == 0);
	}
	close(ca);
	CHECK(wait_ok(a) == 0);
	return 0;
}

static int d_bulk_server(int ctl, int port)
{
	int l, s;

	l = com_listen_on(port, 1, NULL);
	CHECK(l >= 0);
	CHECK(ctl_send(ctl, 1) == 0);
	s = accept(l, NULL, NULL);
	CHECK(s >= 0);
	close(l);
	/* the server writes: data crosses into the client's domain */
	pat_init();
	{
		int err;
		uint32_t crc = bulk_write(s, &err);

		CHECK(!err);
		close(s);
		CHECK(ctl_send(ctl, (int)crc) == 0);
	}
	return 0;
}

static int d_bulk_client(int ctl, int target)
{
	uint32_t crc;
	size_t got;
	long q, w, ws;
	int c;

	pat_init();
	c = com_connect_to(COM_ADDR(target), 7100);
	CHECK(c >= 0);
	CHECK(bulk_read(c, &got, &crc) == 0);
	CHECK(got == BULK_TOTAL);
	close(c);
	CHECK(ctl_send(ctl, (int)crc) == 0);
	/* every queued message either woke the daemon or found it busy */
	q = stat_value("queued");
	w = stat_value("wakeups");
	ws = stat_value("wakeups_saved");
	printf("#   receiver: %ld queued, %ld daemon wakeups, %ld saved\n",
	       q, w, ws);
	CHECK(q > 0 && w > 0 && w + ws == q);
	CHECK(stat_value("direct") == 0);
	return 0;
}

static int t_cross_bulk(void)
{
	double t0 = now_sec();
	int cs, cc, scrc, ccrc;
	pid_t srv, cli;

	srv = spawn_domain(21, d_bulk_server, 7100, &cs);
	CHECK(srv > 0 && ctl_recv(cs) == 1);
	cli = spawn_domain(22, d_bulk_client, 21, &cc);
	CHECK(cli > 0);
	scrc = ctl_recv(cs);
	ccrc = ctl_recv(cc);
	CHECK(wait_ok(srv) == 0);
	CHECK(wait_ok(cli) == 0);
	if (scrc != ccrc)
		FAIL("crc32c %08x, writer's %08x", ccrc, scrc);
	printf("#   256 MB across domains, crc32c %08x, %.1f s\n", ccrc,
	       now_sec() - t0);
	return 0;
}

static int d_bcast_listener(int ctl, int port)
{
	struct sockaddr_com a = com_sa(COM_ADDR_ANY, port), from;
	socklen_t len = sizeof(from);
	char buf[16];
	int fd = com_sock(SOCK_DGRAM);

	CHECK(bind(fd, SA(a), sizeof(a)) == 0);
	CHECK(set_timeo(fd, SO_RCVTIMEO, 10000) == 0);
	CHECK(ctl_send(ctl, 1) == 0);
	CHECK(recvfrom(fd, buf, sizeof(buf), 0, SA(from), &len) == 5);
	CHECK(!memcmp(buf, "bcast", 5));
	CHECK(ntohl(from.scom_addr) == COM_ADDR(33));
	close(fd);
	return 0;
}

static int d_bcast_sender(int ctl, int port)
{
	struct sockaddr_com a = com_sa(COM_ADDR_BROADCAST, port);
	int fd = com_sock(SOCK_DGRAM), v = 1;

	CHECK(setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &v, sizeof(v)) == 0);
	CHECK(sendto(fd, "bcast", 5, 0, SA(a), sizeof(a)) == 5);
	close(fd);
	return 0;
}

static int t_broadcast(void)
{
	int c1, c2, c3, c4;
	pid_t p1, p2, p3, s;

	/* listeners in three domains, one of them the sender's own */
	p1 = spawn_domain(31, d_bcast_listener, 9999, &c1);
	p2 = spawn_domain(32, d_bcast_listener, 9999, &c2);
	CHECK(p1 > 0 && p2 > 0);
	CHECK(ctl_recv(c1) == 1 && ctl_recv(c2) == 1);
	/* and the initial namespace */
	p3 = spawn_domain(-1, d_bcast_listener, 9999, &c4);
	CHECK(p3 > 0 && ctl_recv(c4) == 1);
	usleep(100000);
	s = spawn_domain(33, d_bcast_sender, 9999, &c3);
	CHECK(s > 0);
	CHECK(wait_ok(s) == 0);
	CHECK(wait_ok(p1) == 0);
	CHECK(wait_ok(p2) == 0);
	CHECK(wait_ok(p3) == 0);
	close(c1);
	close(c2);
	close(c3);
	close(c4);
	return 0;
}

static int d_listen_and_hold(int ctl, int port)
{
	int l = com_listen_on(port, 1, NULL);

	CHECK(l >= 0);
	CHECK(ctl_send(ctl, 1) == 0);
	ctl_recv(ctl);
	return 0;
}

/* a namespace that goes away frees its domain: the id is free again */
static int t_teardown(void)
{
	struct sockaddr_com a = com_sa(COM_ADDR(41), 7200);
	int ctl, fd, i, ok = 0;
	pid_t p;

	p = spawn_domain(41, d_listen_and_hold, 7200, &ctl);
	CHECK(p > 0 && ctl_recv(ctl) == 1);
	fd = com_connect_to(COM_ADDR(41), 7200);
	CHECK(fd >= 0);
	close(fd);
	close(ctl);
	CHECK(wait_ok(p) == 0);
	/* the namespace is cleaned up asynchronously */
	for (i = 0; i < 100 && !ok; i++) {
		fd = com_sock(SOCK_STREAM);
		if (connect(fd, SA(a), sizeof(a)) < 0 && errno == EHOSTUNREACH)
			ok = 1;
		close(fd);
		if (!ok)
			usleep(100000);
	}
	CHECK(ok);
	if (fork() == 0)
		_exit(com_enter_domain(41) ? 1 : 0);
	CHECK(wait(&i) > 0 && WIFEXITED(i) && WEXITSTATUS(i) == 0);
	return 0;
}

static int d_killed_reader(int ctl, int port)
{
	char buf[16];
	int l, s;

	l = com_listen_on(port, 1, NULL);
	CHECK(l >= 0);
	CHECK(ctl_send(ctl, 1) == 0);
	s = accept(l, NULL, NULL);
	CHECK(s >= 0);
	CHECK(read(s, buf, 1) == 1);
	pause();
	return 0;
}

static int t_cross_peer_killed(void)
{
	char *buf = calloc(1, 1 << 16);
	int ctl, c, status, i;
	ssize_t n = 0;
	pid_t p;

	p = spawn_domain(51, d_killed_reader, 7300, &ctl);
	CHECK(p > 0 && ctl_recv(ctl) == 1);
	c = com_connect_to(COM_ADDR(51), 7300);
	CHECK(c >= 0);
	CHECK(write(c, buf, 1 << 16) == 1 << 16);
	usleep(200000);
	kill(p, SIGKILL);
	CHECK(waitpid(p, &status, 0) == p);
	for (i = 0; i < 100; i++) {
		n = write(c, buf, 100);
		if (n < 0)
			break;
	}
	/* it had unread data: a reset, once */
	if (!(n < 0 && errno == ECONNRESET))
		FAIL("write after the reader died: %zd %s", n, strerror(errno));
	CHECK_ERR(write(c, buf, 100), EPIPE);
	close(c);
	close(ctl);
	free(buf);
	return 0;
}

static int d_conn_server(int ctl, int port)
{
	int l = com_listen_on(port, NCONN, NULL);

	CHECK(l >= 0);
	CHECK(ctl_send(ctl, 1) == 0);
	CHECK(conn_serve(l, NCONN) == 0);
	close(l);
	return 0;
}

/* the daemon's work: many connections between two domains at once */
static int t_cross_many(void)
{
	int ctl;
	pid_t p;

	p = spawn_domain(71, d_conn_server, 7400, &ctl);
	CHECK(p > 0 && ctl_recv(ctl) == 1);
	CHECK(conn_clients(COM_ADDR(71), 7400, NCONN, NULL, NULL) == 0);
	CHECK(wait_ok(p) == 0);
	close(ctl);
	return 0;
}

/*
 * A process killed with sockets in every state leaves nothing behind: once
 * it and its peers' ends are gone, its namespace is torn down and the
 * domain id can be taken again.
 */
static void *blocked_writer(void *p)
{
	static char buf[1 << 16];
	int fd = *(int *)p;

	for (;;)
		if (write(fd, buf, sizeof(buf)) < 0)
			return NULL;
}

static int d_kill_peer(int ctl, int arg)
{
	char buf[4096] = { 0 };
	int l, s, c;

	/* a listener the killed domain connects to; never reads */
	l = com_listen_on(7600, 4, NULL);
	CHECK(l >= 0);
	CHECK(ctl_send(ctl, 1) == 0);
	s = accept(l, NULL, NULL);
	CHECK(s >= 0);
	CHECK(write(s, buf, sizeof(buf)) == sizeof(buf));
	/* and a connection into the killed domain, left unaccepted there */
	CHECK(ctl_recv(ctl) == 2);
	c = com_connect_to(COM_ADDR(arg), 7610);
	CHECK(c >= 0);
	CHECK(write(c, buf, sizeof(buf)) == sizeof(buf));
	CHECK(ctl_send(ctl, 3) == 0);
	/* hold every end until told, then close them and wait */
	CHECK(ctl_recv(ctl) == 4);
	close(s);
	close(c);
	close(l);
	CHECK(ctl_send(ctl, 5) == 0);
	ctl_recv(ctl);
	return 0;
}

static int d_kill_victim(int ctl, int arg)
{
	struct sockaddr_com a = com_sa(COM_ADDR_ANY, 7611);
	char buf[4096] = { 0 };
	int l, c1, c2, s2, d, r, acc;
	pthread_t th;

	/* a listener with an unaccepted connection from its own domain */
	l = com_listen_on(7610, 4, NULL);
	CHECK(l >= 0);
	c1 = com_connect_to(com_own_addr(), 7610);
	CHECK(c1 >= 0);
	CHECK(write(c1, buf, sizeof(buf)) == sizeof(buf));
	/* a connected pair with unread data both ways */
	CHECK(pair(&c2, &s2) == 0);
	CHECK(write(c2, buf, sizeof(buf)) == sizeof(buf));
	CHECK(write(s2, buf, sizeof(buf)) == sizeof(buf));
	/* a datagram socket with a datagram queued to itself */
	d = com_sock(SOCK_DGRAM);
	CHECK(d >= 0 && bind(d, SA(a), sizeof(a)) == 0);
	a.scom_addr = htonl(com_own_addr());
	CHECK(sendto(d, buf, 100, 0, SA(a), sizeof(a)) == 100);
	/* a thread blocked in accept() on an idle listener */
	acc = com_listen_on(7612, 1, NULL);
	CHECK(acc >= 0);
	CHECK(pthread_create(&th, NULL, blocked_call,
			     &(struct blocked){ .fd = acc, .accept = 1 }) == 0);
	/* a writer blocked on the other domain's reader, which never reads */
	r = com_connect_to(COM_ADDR(arg), 7600);
	CHECK(r >= 0);
	CHECK(pthread_create(&th, NULL, blocked_writer, &r) == 0);
	CHECK(ctl_send(ctl, 1) == 0);
	pause();
	return 0;
}

/*
 * A process in a new namespace that, once told through @go, tries to take
 * domain id @id every 10 ms for at most @max seconds and then reports the
 * seconds it took (-1: not in time) through @res.
 */
static pid_t id_taker(int id, double max, int *go, int *res)
{
	int a[2], b[2];
	double t0, t = -1;
	pid_t p;

	if (pipe(a) < 0 || pipe(b) < 0)
		return -1;
	p = fork();
	if (p == 0) {
		char c;

		if (unshare(CLONE_NEWNET) < 0 || read(a[0], &c, 1) != 1)
			_exit(1);
		t0 = now_sec();
		while (now_sec() - t0 <= max) {
			if (com_set_domain_id(id) == 0) {
				t = now_sec() - t0;
				break;
			}
			usleep(10000);
		}
		_exit(write(b[1], &t, sizeof(t)) == sizeof(t) ? 0 : 1);
	}
	close(a[0]);
	close(b[1]);
	*go = a[1];
	*res = b[0];
	return p;
}

static double id_taker_result(pid_t p, int go, int res)
{
	double t = -1;

	if (write(go, "g", 1) != 1 || read(res, &t, sizeof(t)) != sizeof(t))
		t = -1;
	close(go);
	close(res);
	waitpid(p, NULL, 0);
	return t;
}

static int t_killed_id_free(void)
{
	int cp, cv, go, res, status;
	pid_t peer, victim, taker;
	double t;

	peer = spawn_domain(82, d_kill_peer, 81, &cp);
	CHECK(peer > 0 && ctl_recv(cp) == 1);
	victim = spawn_domain(81, d_kill_victim, 82, &cv);
	CHECK(victim > 0 && ctl_recv(cv) == 1);
	CHECK(ctl_send(cp, 2) == 0 && ctl_recv(cp) == 3);
	usleep(300000);		/* the writer fills its window and sleeps */
	taker = id_taker(81, 2, &go, &res);
	CHECK(taker > 0);
	CHECK(kill(victim, SIGKILL) == 0);
	CHECK(waitpid(victim, &status, 0) == victim);
	close(cv);
	/* the peer's ends hold the killed ends, and those their namespace */
	t = id_taker_result(taker, go, res);
	if (t < 0)
		printf("#   peer's ends open: id still taken 2 s after the kill\n");
	else
		printf("#   peer's ends open: id free %.3f s after the kill\n", t);
	taker = id_taker(81, 5, &go, &res);
	CHECK(taker > 0);
	CHECK(ctl_send(cp, 4) == 0 && ctl_recv(cp) == 5);
	t = id_taker_result(taker, go, res);
	CHECK(t >= 0);
	printf("#   id free %.3f s after the peer closed its ends\n", t);
	close(cp);
	CHECK(wait_ok(peer) == 0);
	return 0;
}

static void suite_cross(void)
{
	run("echo between two namespaces and the initial one", t_cross_echo,
	    60);
	run("domain ids: unique, required", t_domain_ids, 60);
	run("256 MB across domains with crc32c, daemon wakeup rule",
	    t_cross_bulk, 400);
	run("broadcast reaches every domain's socket", t_broadcast, 60);
	run("peer in another domain killed mid-stream", t_cross_peer_killed,
	    60);
	run("64 connections between two domains", t_cross_many, 180);
	run("namespace teardown frees its domain", t_teardown, 60);
	run("a killed domain's id is free once its peers closed",
	    t_killed_id_free, 60);
	run("no blocks leaked (initial domain)", t_no_leak, 30);
}

/* ===================================================================
 * unloading
 * =================================================================== */

static const char *ko_path;

static int load_module(const char *params)
{
	int fd = open(ko_path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = syscall(SYS_finit_module, fd, params, 0);
	close(fd);
	return r;
}

static int unload_module(void)
{
	return syscall(SYS_delete_module, "comsock", O_NONBLOCK);
}

static int t_unload(void)
{
	int fd, ctl, i;
	pid_t p;

	/* an open socket pins the module */
	fd = com_sock(SOCK_STREAM);
	CHECK(fd >= 0);
	CHECK_ERR(unload_module(), EWOULDBLOCK);
	close(fd);

	/* a namespace with a domain but no socket does not */
	p = spawn_domain(61, d_hold, 0, &ctl);
	CHECK(p > 0);
	usleep(200000);
	for (i = 0; i < 50; i++) {
		if (unload_module() == 0)
			break;
		usleep(100000);	/* a socket's last reference may be late */
	}
	CHECK(i < 50);
	CHECK_ERR(socket(com_af, SOCK_STREAM, 0), EAFNOSUPPORT);
	CHECK(access("/proc/net/comsock", F_OK) < 0);

	/* bad parameters are refused at load */
	CHECK_ERR(load_module("blocks=3"), EINVAL);
	CHECK_ERR(load_module("family=2"), EEXIST);	/* AF_INET */
	CHECK_ERR(load_module("init_domain=300"), EINVAL);
	/* a window over 1 GB: unread bytes would not fit an int */
	CHECK_ERR(load_module("blocks=262144 conn_blocks=262144"), EINVAL);

	/* back again, with the default parameters */
	CHECK(load_module("") == 0);
	fd = com_sock(SOCK_STREAM);
	CHECK(fd >= 0);
	close(fd);
	CHECK(com_domain_id() == 0);
	close(ctl);
	CHECK(wait_ok(p) == 0);
	return 0;
}

/* ===================================================================
 * a small domain: 32 blocks, so that it fills up
 * =================================================================== */

#define SMALL_PARAMS "blocks=32 queue_len=64 conn_blocks=16"

static double cpu_sec(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int reload(const char *params)
{
	int i;

	for (i = 0; i < 50 && unload_module() < 0; i++)
		usleep(100000);
	CHECK(i < 50);
	CHECK(load_module(params) == 0);
	return 0;
}

/* two connections whose readers do not read, holding all 32 blocks */
struct full_domain {
	int c1, s1, c2, s2;
};

static int fill_domain(struct full_domain *f, char *buf)
{
	CHECK(pair(&f->c1, &f->s1) == 0);
	CHECK(pair(&f->c2, &f->s2) == 0);
	CHECK(set_nonblock(f->c1) == 0 && set_nonblock(f->c2) == 0);
	while (write(f->c1, buf, 1 << 20) > 0)
		;
	while (write(f->c2, buf, 1 << 20) > 0)
		;
	CHECK(stat_value("blocks_used") == 32);
	return 0;
}

/* in 0.2 s, a child process reads everything the first reader holds */
static void drain_later(struct full_domain *f, char *buf)
{
	if (fork() == 0) {
		usleep(200000);
		while (recv(f->s1, buf, 1 << 20, MSG_DONTWAIT) > 0)
			;
		_exit(0);
	}
}

static void unfill_domain(struct full_domain *f)
{
	close(f->c1);
	close(f->s1);
	close(f->c2);
	close(f->s2);
}

/*
 * Two slow readers fill the domain: a third connection, with an empty
 * window, is not writable and waits (sleeping, not spinning) until one of
 * them reads.
 */
static int t_domain_full(void)
{
	char *buf = malloc(1 << 20);
	struct full_domain f;
	struct pollfd p;
	int c3, s3, st;
	double t0, cpu;

	CHECK(fill_domain(&f, buf) == 0);
	CHECK(pair(&c3, &s3) == 0);
	CHECK_ERR(send(c3, buf, 100, MSG_DONTWAIT), EAGAIN);
	p = (struct pollfd){ .fd = c3, .events = POLLOUT };
	CHECK(poll(&p, 1, 0) == 0);

	CHECK(set_timeo(c3, SO_SNDTIMEO, 300) == 0);
	t0 = now_sec();
	cpu = cpu_sec();
	CHECK_ERR(write(c3, buf, 100), EAGAIN);
	CHECK(now_sec() - t0 >= 0.25);
	if (cpu_sec() - cpu > 0.15)
		FAIL("waiting for room took %.2f s of CPU", cpu_sec() - cpu);
	CHECK(stat_value("space_waits") > 0);

	drain_later(&f, buf);
	CHECK(poll(&p, 1, 5000) == 1 && (p.revents & POLLOUT));
	CHECK(write(c3, buf, 100) == 100);
	CHECK(read(s3, buf, 1000) == 100);
	CHECK(wait(&st) > 0);
	unfill_domain(&f);
	close(c3);
	close(s3);
	free(buf);
	return 0;
}

/*
 * An event loop's order: sockets go into epoll before they connect, so
 * epoll registers its wait before the socket knows its peer's domain.
 * When other connections fill that domain, room coming back must still
 * reach epoll: level-triggered (c3) and edge-triggered (c4, which learns
 * of the full domain from a write that fails).
 */
static int t_domain_full_epoll(void)
{
	struct epoll_event ev, evs[4];
	int c3, s3, c4, s4, l, ep, i, n, st, got = 0;
	char *buf = malloc(1 << 20);
	struct full_domain f;
	struct sockaddr_com a;
	uint16_t port;
	double t0;

	CHECK(fill_domain(&f, buf) == 0);
	ep = epoll_create1(0);
	CHECK(ep >= 0);
	c3 = com_sock(SOCK_STREAM);
	c4 = com_sock(SOCK_STREAM);
	CHECK(c3 >= 0 && c4 >= 0);
	CHECK(set_nonblock(c3) == 0 && set_nonblock(c4) == 0);
	ev = (struct epoll_event){ .events = EPOLLOUT, .data.fd = c3 };
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, c3, &ev) == 0);
	ev = (struct epoll_event){ .events = EPOLLOUT | EPOLLET, .data.fd = c4 };
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, c4, &ev) == 0);
	/* unconnected, both are writable (as TCP says) */
	CHECK(epoll_wait(ep, evs, 4, 0) == 2);

	l = com_listen_on(0, 4, &port);
	CHECK(l >= 0);
	a = com_sa(com_own_addr(), port);
	CHECK(connect(c3, SA(a), sizeof(a)) == 0);
	CHECK(connect(c4, SA(a), sizeof(a)) == 0);
	s3 = accept(l, NULL, NULL);
	s4 = accept(l, NULL, NULL);
	CHECK(s3 >= 0 && s4 >= 0);
	close(l);

	CHECK_ERR(write(c4, buf, 100), EAGAIN);
	/* c3 (level) is polled again and is not writable now */
	CHECK(epoll_wait(ep, evs, 4, 0) == 0);
	CHECK_ERR(write(c3, buf, 100), EAGAIN);

	drain_later(&f, buf);
	t0 = now_sec();
	while (got != 3 && now_sec() - t0 < 5) {
		n = epoll_wait(ep, evs, 4, 5000);
		CHECK(n >= 0);
		for (i = 0; i < n; i++) {
			CHECK(evs[i].events & EPOLLOUT);
			got |= evs[i].data.fd == c3 ? 1 : 2;
		}
	}
	if (got != 3)
		FAIL("EPOLLOUT for %s%s missing once room was back",
		     got & 1 ? "" : "c3 (level-triggered) ",
		     got & 2 ? "" : "c4 (edge-triggered)");
	CHECK(write(c3, buf, 100) == 100);
	CHECK(write(c4, buf, 100) == 100);
	CHECK(read(s3, buf, 1000) == 100);
	CHECK(read(s4, buf, 1000) == 100);
	CHECK(wait(&st) > 0);
	close(ep);
	unfill_domain(&f);
	close(c3);
	close(s3);
	close(c4);
	close(s4);
	free(buf);
	return 0;
}

/*
 * Free blocks that are all apart: a two-block datagram waits (sleeping)
 * until a run of two is free.
 */
static int t_fragmented(void)
{
	struct sockaddr_com a1, a2;
	socklen_t len = sizeof(a1);
	char buf[16384];
	double t0, cpu;
	int r1, r2, w, i;

	memset(buf, 'f', sizeof(buf));
	r1 = com_sock(SOCK_DGRAM);
	r2 = com_sock(SOCK_DGRAM);
	w = com_sock(SOCK_DGRAM);
	a1 = com_sa(COM_ADDR_ANY, 0);
	CHECK(bind(r1, SA(a1), sizeof(a1)) == 0);
	CHECK(bind(r2, SA(a1), sizeof(a1)) == 0);
	CHECK(getsockname(r1, SA(a1), &len) == 0);
	len = sizeof(a2);
	CHECK(getsockname(r2, SA(a2), &len) == 0);
	a1.scom_addr = a2.scom_addr = htonl(com_own_addr());
	/* one block each, alternating: r1 and r2 hold every other block */
	for (i = 0; i < 16; i++) {
		CHECK(sendto(w, buf, 8192, 0, SA(a1), sizeof(a1)) == 8192);
		CHECK(sendto(w, buf, 8192, 0, SA(a2), sizeof(a2)) == 8192);
	}
	CHECK(stat_value("blocks_used") == 32);
	for (i = 0; i < 16; i++)
		CHECK(recv(r1, buf, sizeof(buf), 0) == 8192);
	CHECK(stat_value("blocks_used") == 16);

	CHECK(set_timeo(w, SO_SNDTIMEO, 300) == 0);
	t0 = now_sec();
	cpu = cpu_sec();
	CHECK_ERR(sendto(w, buf, 16384, 0, SA(a1), sizeof(a1)), EAGAIN);
	CHECK(now_sec() - t0 >= 0.25);
	if (cpu_sec() - cpu > 0.15)
		FAIL("waiting for room took %.2f s of CPU", cpu_sec() - cpu);
	CHECK_ERR(sendto(w, buf, 16384, MSG_DONTWAIT, SA(a1), sizeof(a1)),
		  EAGAIN);

	for (i = 0; i < 16; i++)
		CHECK(recv(r2, buf, sizeof(buf), 0) == 8192);
	CHECK(sendto(w, buf, 16384, 0, SA(a1), sizeof(a1)) == 16384);
	CHECK(recv(r1, buf, sizeof(buf), 0) == 16384);
	close(r1);
	close(r2);
	close(w);
	return 0;
}

static int t_small_domain(void)
{
	int err = 0, ok;

	CHECK(reload(SMALL_PARAMS) == 0);
	ok = t_fragmented() == 0 && t_domain_full() == 0 &&
	     t_domain_full_epoll() == 0;
	if (reload("") || !ok)
		err = -1;
	return err;
}

int main(int argc, char **argv)
{
	int i = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	com_load_family();
	if (argc > 2 && !strcmp(argv[1], "--ns")) {
		int id = atoi(argv[2]), err = com_enter_domain(id);

		if (err) {
			printf("not ok - domain %d: cannot create: %s\n", id,
			       strerror(-err));
			return 1;
		}
		i = 3;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: com_test [--ns ID] local | cross | unload KO\n");
		return 2;
	}
	if (!strcmp(argv[i], "local")) {
		static char name[32];

		snprintf(name, sizeof(name), "domain %d", com_domain_id());
		suite = name;
		suite_local();
	} else if (!strcmp(argv[i], "cross")) {
		suite = "cross-domain";
		suite_cross();
	} else if (!strcmp(argv[i], "unload") && i + 1 < argc) {
		suite = "module";
		ko_path = argv[i + 1];
		run("unload and load rules", t_unload, 60);
		run("a full domain (blocks=32): waits sleep, then go on; epoll hears of room",
		    t_small_domain, 60);
	} else {
		fprintf(stderr, "unknown suite %s\n", argv[i]);
		return 2;
	}
	printf("# %s: %d passed, %d failed\n", suite, n_pass, n_fail);
	return n_fail ? 1 : 0;
}
