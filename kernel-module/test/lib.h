/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the AF_COM test suite and benchmark: addresses,
 * sockets, full reads and writes, namespaces as domains, CRC32C.
 */
#ifndef COM_TEST_LIB_H
#define COM_TEST_LIB_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <linux/com.h>

_Static_assert(sizeof(struct sockaddr_com) == sizeof(struct sockaddr),
	       "struct sockaddr_com must be as large as struct sockaddr");

static int com_af = AF_COM;

/* the number file @path begins with, or @dflt */
static inline long read_number(const char *path, long dflt)
{
	FILE *f = fopen(path, "r");
	long n;

	if (!f)
		return dflt;
	if (fscanf(f, "%ld", &n) != 1)
		n = dflt;
	fclose(f);
	return n;
}

/* the family number in use, from the module parameter */
static inline void com_load_family(void)
{
	com_af = read_number("/sys/module/comsock/parameters/family", AF_COM);
}

static inline struct sockaddr_com com_sa(uint32_t host_addr, uint16_t port)
{
	struct sockaddr_com a;

	memset(&a, 0, sizeof(a));
	a.scom_family = com_af;
	a.scom_addr = htonl(host_addr);
	a.scom_port = htons(port);
	return a;
}

/* this namespace's domain id, -1 for none */
static inline int com_domain_id(void)
{
	return read_number("/proc/sys/net/com/domain_id", -1);
}

/* set this namespace's domain id; returns 0 or -errno */
static inline int com_set_domain_id(int id)
{
	char buf[16];
	int fd, n, err = 0;

	fd = open("/proc/sys/net/com/domain_id", O_WRONLY);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d\n", id);
	if (write(fd, buf, n) != n)
		err = -errno;
	close(fd);
	return err;
}

/* move the calling process into a new namespace that is domain @id */
static inline int com_enter_domain(int id)
{
	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	return com_set_domain_id(id);
}

static inline uint32_t com_own_addr(void)
{
	return COM_ADDR(com_domain_id());
}

static inline int com_listen_on(uint16_t port, int backlog, uint16_t *got)
{
	struct sockaddr_com a = com_sa(COM_ADDR_ANY, port);
	socklen_t len = sizeof(a);
	int fd = socket(com_af, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, backlog) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	if (got)
		*got = ntohs(a.scom_port);
	return fd;
}

static inline int com_connect_to(uint32_t addr, uint16_t port)
{
	struct sockaddr_com a = com_sa(addr, port);
	int fd = socket(com_af, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static inline ssize_t write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(fd, p + done, len - done, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += n;
	}
	return done;
}

/* read exactly @len bytes; returns bytes read (short only at EOF) or -1 */
static inline ssize_t read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, p + done, len - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

static inline double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- CRC32C (Castagnoli), table driven ---- */

static uint32_t crc32c_table[8][256];

static inline void crc32c_init(void)
{
	uint32_t c;
	int i, j, k;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78U : c >> 1;
		crc32c_table[0][i] = c;
	}
	for (i = 0; i < 256; i++)
		for (k = 1; k < 8; k++)
			crc32c_table[k][i] = (crc32c_table[k - 1][i] >> 8) ^
				crc32c_table[0][crc32c_table[k - 1][i] & 0xff];
}

/* slicing by 8: the stream may be cut anywhere between calls */
static inline uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t w;

	crc = ~crc;
	while (len >= 8) {
		memcpy(&w, p, 8);
		w ^= crc;
		crc = crc32c_table[7][w & 0xff] ^
		      crc32c_table[6][(w >> 8) & 0xff] ^
		      crc32c_table[5][(w >> 16) & 0xff] ^
		      crc32c_table[4][(w >> 24) & 0xff] ^
		      crc32c_table[3][(w >> 32) & 0xff] ^
		      crc32c_table[2][(w >> 40) & 0xff] ^
		      crc32c_table[1][(w >> 48) & 0xff] ^
		      crc32c_table[0][w >> 56];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ crc32c_table[0][(crc ^ *p++) & 0xff];
	return ~crc;
}

#endif /* COM_TEST_LIB_H */
