// SPDX-License-Identifier: GPL-2.0
/*
 * The paper's Fig. 4, in the guest: the time to move a fixed amount of data
 * at message sizes from 1 B to 512 KB over AF_COM (between two domains and
 * inside one), AF_UNIX, TCP over loopback, and plain memcpy; then the
 * connection set-up latency.  Medians of repeated runs with their spread,
 * and the ratios.
 *
 *   com_bench			32 MB at 1 KB and above; below 1 KB the
 *				amount shrinks with the size (see amount_for)
 *   com_bench --fixed KB	KB kilobytes at every size
 *
 * The guest has no network device; TCP runs over its loopback only.
 */
#include "lib.h"

#include <math.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/un.h>

#define RUNS		5
#define LAT_ITERS	200
#define MAX_AMOUNT	(32UL << 20)
#define SCALE_BELOW	1024	/* sizes below this move size x 32768 */

enum transport { T_COMX, T_COM, T_UNIX, T_TCP, T_MEMCPY, T_NR };

static const char *const t_name[T_NR] = {
	"com-xdom", "com-local", "unix", "tcp-lo", "memcpy",
};

static const size_t sizes[] = {
	1, 16, 256, 1024, 4096, 16384, 65536, 524288,
};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

#define UNIX_PATH	"/tmp/com_bench.sock"
#define PORT_DATA	5000
#define PORT_LAT	5001

static size_t fixed_amount;	/* --fixed: this many bytes at every size */

/*
 * Bytes moved at @size: MAX_AMOUNT at SCALE_BELOW and above; smaller sizes
 * move size x 32768 bytes (32 KB at 1 B, 512 KB at 16 B, 8 MB at 256 B),
 * which keeps the run near a minute under emulation: 32 MB in one-byte
 * writes would take half an hour per run over TCP there.
 */
static size_t amount_for(size_t size)
{
	if (fixed_amount)
		return fixed_amount;
	return size < SCALE_BELOW ? size * 32768 : MAX_AMOUNT;
}

static void loopback_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	if (fd >= 0)
		close(fd);
}

static int t_listen(enum transport t, uint16_t port)
{
	int fd, one = 1;

	switch (t) {
	case T_COMX:
	case T_COM:
		return com_listen_on(port, 64, NULL);
	case T_UNIX: {
		struct sockaddr_un a = { .sun_family = AF_UNIX };

		snprintf(a.sun_path, sizeof(a.sun_path), "%s.%u", UNIX_PATH,
			 port);
		unlink(a.sun_path);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
		    listen(fd, 64) < 0)
			return -1;
		return fd;
	}
	case T_TCP: {
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_port = htons(port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

		fd = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
		    listen(fd, 64) < 0)
			return -1;
		return fd;
	}
	default:
		return -1;
	}
}

static int t_connect(enum transport t, uint16_t port)
{
	int fd;

	switch (t) {
	case T_COMX:
		return com_connect_to(COM_ADDR(port == PORT_LAT ? 2 : 1), port);
	case T_COM:
		return com_connect_to(COM_ADDR(0), port);
	case T_UNIX: {
		struct sockaddr_un a = { .sun_family = AF_UNIX };

		snprintf(a.sun_path, sizeof(a.sun_path), "%s.%u", UNIX_PATH,
			 port);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
			close(fd);
			return -1;
		}
		return fd;
	}
	case T_TCP: {
		struct sockaddr_in a = { .sin_family = AF_INET,
					 .sin_port = htons(port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int one = 1;

		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
			close(fd);
			return -1;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		return fd;
	}
	default:
		return -1;
	}
}

/*
 * A server process: the data server reads each connection to its end and
 * answers one byte; the latency server answers one byte at once.  For
 * T_COMX it lives in a namespace of its own, domain 1.
 */
static pid_t start_server(enum transport t, uint16_t port, int latency)
{
	int sync[2];
	pid_t pid;
	char c;

	if (pipe(sync) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		char *buf = malloc(1 << 20);
		int l, s;

		close(sync[0]);
		if (t == T_COMX) {
			int err = com_enter_domain(latency ? 2 : 1);

			if (err) {
				printf("bench: domain: %s\n", strerror(-err));
				_exit(1);
			}
		}
		l = t_listen(t, port);
		if (l < 0) {
			printf("bench: listen: %s\n", strerror(errno));
			_exit(1);
		}
		if (write(sync[1], "r", 1) != 1)
			_exit(1);
		for (;;) {
			s = accept(l, NULL, NULL);
			if (s < 0)
				continue;
			if (!latency)
				while (read(s, buf, 1 << 20) > 0)
					;
			if (write(s, "k", 1) != 1)
				_exit(1);
			close(s);
		}
	}
	close(sync[1]);
	if (read(sync[0], &c, 1) != 1) {
		close(sync[0]);
		return -1;
	}
	close(sync[0]);
	return pid;
}

static unsigned char *src, *dst;

/* one run: seconds to move amount_for(size) bytes at @size per write */
static double run_once(enum transport t, size_t size)
{
	size_t amount = amount_for(size), done = 0;
	double t0, t1;
	char c;
	int fd;

	if (t == T_MEMCPY) {
		t0 = now_sec();
		while (done < amount) {
			size_t off = done % (1 << 20);
			size_t n = size;

			if (off + n > (1 << 20))
				off = 0;
			memcpy(dst + off, src + off, n);
			__asm__ volatile("" : : "r"(dst) : "memory");
			done += n;
		}
		return now_sec() - t0;
	}
	fd = t_connect(t, PORT_DATA);
	if (fd < 0)
		return NAN;
	t0 = now_sec();
	while (done < amount) {
		ssize_t n = write(fd, src + done % (1 << 19), size);

		if (n <= 0) {
			close(fd);
			return NAN;
		}
		done += n;
	}
	shutdown(fd, SHUT_WR);
	if (read(fd, &c, 1) != 1) {
		close(fd);
		return NAN;
	}
	t1 = now_sec();
	close(fd);
	return t1 - t0;
}

static double latency_once(enum transport t)
{
	double t0, t1;
	char c;
	int fd;

	t0 = now_sec();
	fd = t_connect(t, PORT_LAT);
	if (fd < 0)
		return NAN;
	if (read(fd, &c, 1) != 1) {
		close(fd);
		return NAN;
	}
	t1 = now_sec();
	close(fd);
	return t1 - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* seconds with about four significant digits */
static void fmt_sec(char *buf, size_t len, double v)
{
	snprintf(buf, len, v >= 1000 ? "%.0f" : v >= 100 ? "%.1f" : "%.2f", v);
}

/* "median [min-max]" of @n runs */
static void fmt_cell(char *buf, size_t len, double *v, int n, double scale)
{
	char med[16], lo[16], hi[16];

	fmt_sec(med, sizeof(med), median(v, n) * scale);	/* sorts v */
	fmt_sec(lo, sizeof(lo), v[0] * scale);
	fmt_sec(hi, sizeof(hi), v[n - 1] * scale);
	snprintf(buf, len, "%s [%s-%s]", med, lo, hi);
}

static void fmt_size(char *buf, size_t len, size_t n)
{
	if (n >= (1 << 20))
		snprintf(buf, len, "%zu MB", n >> 20);
	else if (n >= 1024)
		snprintf(buf, len, "%zu KB", n >> 10);
	else
		snprintf(buf, len, "%zu B", n);
}

int main(int argc, char **argv)
{
	static double tv[T_NR][NSIZES][RUNS];
	double med[T_NR][NSIZES], lat[T_NR][LAT_ITERS], latm[T_NR];
	pid_t servers[2 * T_NR];
	int ns = 0, r, i;
	enum transport t;
	size_t s;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "--fixed") && atoi(argv[2]) > 0) {
		fixed_amount = (size_t)atoi(argv[2]) << 10;
	} else if (argc != 1) {
		fprintf(stderr, "usage: com_bench [--fixed KB]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	com_load_family();
	loopback_up();
	src = malloc(1 << 20);
	dst = malloc(1 << 20);
	for (i = 0; i < (1 << 20); i++)
		src[i] = i * 7;
	memset(dst, 0, 1 << 20);

	for (t = T_COMX; t <= T_TCP; t++) {
		servers[ns] = start_server(t, PORT_DATA, 0);
		if (servers[ns++] < 0) {
			printf("bench: cannot start the %s server\n", t_name[t]);
			return 1;
		}
		servers[ns] = start_server(t, PORT_LAT, 1);
		if (servers[ns++] < 0) {
			printf("bench: cannot start the %s server\n", t_name[t]);
			return 1;
		}
	}

	printf("# AF_COM benchmark: Fig. 4 of the paper, in a qemu guest\n");
	printf("# Software emulation (TCG) is 20-60x slower than hardware and noisy:\n");
	printf("# absolute times mean nothing here, compare the ratios only.\n");
	printf("# Each cell: median of %d runs [fastest-slowest]; the transports take\n",
	       RUNS);
	printf("# turns in every run.\n");
	if (fixed_amount) {
		char am[32];

		fmt_size(am, sizeof(am), fixed_amount);
		printf("# Amount moved: %s at every size.\n", am);
	} else {
		char below[32];

		fmt_size(below, sizeof(below), SCALE_BELOW);
		printf("# Amount moved: %lu MB at %s and above. Below that it shrinks with the\n",
		       MAX_AMOUNT >> 20, below);
		printf("# size (size x 32768: 32 KB at 1 B, 512 KB at 16 B, 8 MB at 256 B) to keep the\n");
		printf("# run near a minute; com_bench --fixed KB moves one amount at every size.\n");
	}
	printf("# com-xdom: AF_COM between two domains (namespaces), through the receive\n");
	printf("# daemon; com-local: inside one domain; tcp-lo: TCP over the guest's loopback.\n\n");

	for (s = 0; s < NSIZES; s++)
		for (r = 0; r < RUNS; r++)
			for (t = T_COMX; t < T_NR; t++)
				tv[t][s][r] = run_once(t, sizes[s]);
	for (s = 0; s < NSIZES; s++)
		for (t = T_COMX; t < T_NR; t++)
			med[t][s] = median(tv[t][s], RUNS);

	printf("Time to send 1 GB (scaled from the amount moved), seconds: median [fastest-slowest]\n");
	printf("%-7s %-7s", "size", "amount");
	for (t = T_COMX; t < T_NR; t++)
		printf(" %-21s", t_name[t]);
	printf(" %10s %9s\n", "unix/com-x", "tcp/com-x");
	for (s = 0; s < NSIZES; s++) {
		char sz[32], am[32], cell[64];
		double scale = (double)(1UL << 30) / amount_for(sizes[s]);

		fmt_size(sz, sizeof(sz), sizes[s]);
		fmt_size(am, sizeof(am), amount_for(sizes[s]));
		printf("%-7s %-7s", sz, am);
		for (t = T_COMX; t < T_NR; t++) {
			fmt_cell(cell, sizeof(cell), tv[t][s], RUNS, scale);
			printf(" %-21s", cell);
		}
		printf(" %10.2f %9.2f\n", med[T_UNIX][s] / med[T_COMX][s],
		       med[T_TCP][s] / med[T_COMX][s]);
	}

	for (i = 0; i < LAT_ITERS; i++)
		for (t = T_COMX; t <= T_TCP; t++)
			lat[t][i] = latency_once(t);
	for (t = T_COMX; t <= T_TCP; t++)
		latm[t] = median(lat[t], LAT_ITERS);
	printf("\nConnection set-up: connect + accept + a 1-byte reply, median of %d [fastest-slowest], us\n",
	       LAT_ITERS);
	for (t = T_COMX; t <= T_TCP; t++)
		printf("  %-10s %8.1f   (%.2fx com-xdom)   [%.1f-%.1f]\n",
		       t_name[t], latm[t] * 1e6, latm[t] / latm[T_COMX],
		       lat[t][0] * 1e6, lat[t][LAT_ITERS - 1] * 1e6);
	printf("  paper (hardware, us): com-socket 50, UNIX IPC 21, loopback 71, XWAY 210\n");

	for (i = 0; i < ns; i++)
		kill(servers[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	printf("bench: done\n");
	return 0;
}
