/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * AF_COM: com-sockets, a shared-memory socket family between domains.
 *
 * A domain is a network namespace that has been given a domain id through
 * the sysctl net.com.domain_id.  Its address is 192.168.0.(id + 2), as in
 * IPv4; 192.168.0.255 is the broadcast address.  Ports separate the
 * applications inside a domain.
 */
#ifndef _UAPI_LINUX_COM_H
#define _UAPI_LINUX_COM_H

#include <linux/types.h>
#include <linux/socket.h>

/*
 * AF_COM - default address family number.
 *
 * The number no Linux family has ever used.  The module parameter "family"
 * may move it; the value in use is readable from
 * /sys/module/comsock/parameters/family.
 */
#define AF_COM			22
#define PF_COM			AF_COM

/*
 * COM_NET - the private network of com-sockets, 192.168.0.0/24, in host
 * byte order (convert with htonl() before storing it in scom_addr).
 */
#define COM_NET			0xc0a80000U

/* COM_ADDR_ANY - bind to the own domain's address, whatever its id. */
#define COM_ADDR_ANY		0x00000000U

/* COM_ADDR_BROADCAST - 192.168.0.255, every domain (datagrams only). */
#define COM_ADDR_BROADCAST	0xc0a800ffU

/* COM_DOMAIN_ID_MAX - the largest domain id: 192.168.0.254. */
#define COM_DOMAIN_ID_MAX	252

/* COM_ADDR - host-order address of domain @id. */
#define COM_ADDR(id)		(COM_NET + (__u32)(id) + 2)

/* COM_BLOCK_SIZE - size of one block of a domain's receive buffer. */
#define COM_BLOCK_SIZE		8192

/*
 * struct sockaddr_com - address of a com-socket.
 * @scom_family: AF_COM (the number in use, see above)
 * @scom_port: port, network byte order
 * @scom_addr: address, network byte order: COM_ADDR_ANY, COM_ADDR(id) or
 *	COM_ADDR_BROADCAST
 * @scom_zero: reserved, must be zero
 *
 * Laid out like struct sockaddr_in and padded to sizeof(struct sockaddr).
 */
struct sockaddr_com {
	__kernel_sa_family_t	scom_family;
	__be16			scom_port;
	__be32			scom_addr;
	__u8			scom_zero[8];
};

#endif /* _UAPI_LINUX_COM_H */
