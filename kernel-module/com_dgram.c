// SPDX-License-Identifier: GPL-2.0
/*
 * AF_COM SOCK_DGRAM: datagrams to one domain or, at 192.168.0.255, to
 * every domain.  A datagram is one message of contiguous blocks; the
 * receiving domain's daemon finds its socket by port.  The implementation
 * notes are at the top of com_main.c.
 */

#include <linux/net.h>
#include <linux/poll.h>
#include <linux/uio.h>
#include <net/sock.h>

#include "com.h"

static size_t com_dgram_max(void)
{
	return (size_t)com_msg_blocks << COM_BLOCK_SHIFT;
}

static int com_dgram_connect(struct socket *sock, struct sockaddr *uaddr,
			     int len, int flags)
{
	struct sockaddr_com *a = (struct sockaddr_com *)uaddr;
	struct sock *sk = sock->sk;
	struct com_sock *csk = com_sk(sk);
	struct com_domain *d;
	__be32 addr;
	int err;

	if (len >= (int)sizeof(a->scom_family) &&
	    a->scom_family == AF_UNSPEC) {
		lock_sock(sk);
		spin_lock(&csk->rx_lock);
		csk->peer_addr = 0;
		csk->peer_port = 0;
		spin_unlock(&csk->rx_lock);
		sock->state = SS_UNCONNECTED;
		release_sock(sk);
		return 0;
	}
	err = com_check_addr(uaddr, len);
	if (err)
		return err;
	if (!a->scom_port)
		return -EINVAL;

	lock_sock(sk);
	if (com_is_broadcast(a->scom_addr)) {
		err = -EACCES;
		if (!sock_flag(sk, SOCK_BROADCAST))
			goto out;
		err = -ENETUNREACH;
		if (!com_own_domain(sock_net(sk)))
			goto out;
		addr = a->scom_addr;
	} else {
		err = com_resolve(sock_net(sk), a->scom_addr, &d);
		if (err)
			goto out;
		addr = d->addr;
		com_domain_put(d);
	}
	err = com_autobind(sk);
	if (err)
		goto out;
	spin_lock(&csk->rx_lock);
	csk->peer_addr = addr;
	csk->peer_port = a->scom_port;
	spin_unlock(&csk->rx_lock);
	sock->state = SS_CONNECTED;
out:
	release_sock(sk);
	return err;
}

struct com_dgram_tx {
	struct sock *sk;
	struct com_domain *own;
	struct msghdr *m;
	struct iov_iter from;	/* the data, copied once per domain */
	size_t len;
	__be16 port;
	long timeo;
	bool wait;
};

/* one datagram into domain @d: claim, copy, route */
static int com_dgram_send_one(struct com_domain *d, void *arg)
{
	struct com_dgram_tx *tx = arg;
	struct iov_iter from = tx->from;
	unsigned int blocks = max_t(unsigned int, 1,
				    DIV_ROUND_UP(tx->len, COM_BLOCK_SIZE));
	struct com_msg *msg;
	unsigned int seq;
	int err;

	for (;;) {
		seq = READ_ONCE(d->free_seq);
		err = com_msg_claim(d, blocks, blocks, &msg);
		if (err != -ENOSPC || !tx->wait)
			break;
		err = com_wait_room(tx->sk, d, seq, &tx->timeo);
		if (err)
			return err;
	}
	if (err == -ENOSPC) {
		/* a broadcast does not wait: this domain misses it */
		atomic64_inc(&d->stats.drops);
		return 0;
	}
	if (err)
		return err;
	if (copy_from_iter(com_msg_data(d, msg), tx->len, &from) != tx->len) {
		com_msg_free(d, msg);
		return -EFAULT;
	}
	msg->type = COM_MSG_DGRAM;
	msg->len = tx->len;
	msg->src_addr = tx->own->addr;
	msg->src_port = com_sk(tx->sk)->port;
	msg->dst_port = tx->port;
	err = com_route(tx->own, d, msg);
	/* a domain that went away meanwhile just misses a broadcast */
	return tx->wait ? err : 0;
}

static int com_dgram_sendmsg(struct socket *sock, struct msghdr *m,
			     size_t len)
{
	DECLARE_SOCKADDR(struct sockaddr_com *, a, m->msg_name);
	struct sock *sk = sock->sk;
	struct com_sock *csk = com_sk(sk);
	struct com_dgram_tx tx = { .sk = sk, .m = m, .len = len };
	struct com_domain *d;
	__be32 addr;
	int err;

	if (m->msg_flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (a) {
		err = com_check_addr(m->msg_name, m->msg_namelen);
		if (err)
			return err;
		if (!a->scom_port)
			return -EINVAL;
	}
	if (len > com_dgram_max())
		return -EMSGSIZE;

	lock_sock(sk);
	err = -EPIPE;
	if (sk->sk_shutdown & SEND_SHUTDOWN)
		goto out;
	if (a) {
		addr = a->scom_addr;
		tx.port = a->scom_port;
	} else {
		err = -EDESTADDRREQ;
		if (!csk->peer_port)
			goto out;
		addr = csk->peer_addr;
		tx.port = csk->peer_port;
	}
	tx.own = com_own_domain(sock_net(sk));
	err = -ENETUNREACH;
	if (!tx.own)
		goto out;
	err = com_autobind(sk);
	if (err)
		goto out;
	tx.from = m->msg_iter;
	tx.timeo = sock_sndtimeo(sk, m->msg_flags & MSG_DONTWAIT);

	if (com_is_broadcast(addr)) {
		err = -EACCES;
		if (!sock_flag(sk, SOCK_BROADCAST))
			goto out;
		tx.wait = false;
		err = com_for_each_domain(com_dgram_send_one, &tx);
	} else {
		err = com_resolve(sock_net(sk), addr, &d);
		if (err)
			goto out;
		tx.wait = true;
		err = com_dgram_send_one(d, &tx);
		com_domain_put(d);
	}
	if (!err)
		err = len;
out:
	release_sock(sk);
	return err;
}

static int com_dgram_recvmsg(struct socket *sock, struct msghdr *m,
			     size_t len, int flags)
{
	DECLARE_SOCKADDR(struct sockaddr_com *, a, m->msg_name);
	struct sock *sk = sock->sk;
	struct com_sock *csk = com_sk(sk);
	bool peek = flags & MSG_PEEK;
	struct com_domain *d;
	struct com_msg *msg;
	size_t n;
	long timeo;
	int err;

	if (flags & (MSG_OOB | MSG_ERRQUEUE))
		return -EOPNOTSUPP;

	lock_sock(sk);
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	for (;;) {
		spin_lock(&csk->rx_lock);
		msg = list_first_entry_or_null(&csk->rx_msgs, struct com_msg,
					       node);
		if (msg && !peek) {
			list_del_init(&msg->node);
			csk->rx_bytes -= msg->len;
			csk->rx_count--;
		}
		spin_unlock(&csk->rx_lock);
		if (msg)
			break;
		err = 0;
		if (sk->sk_shutdown & RCV_SHUTDOWN)
			goto out;
		err = com_wait_for(sk, sk_sleep(sk), com_rx_ready, NULL,
				   &timeo);
		if (err)
			goto out;
	}

	d = com_own_domain(sock_net(sk));
	n = min_t(size_t, len, msg->len);
	err = n;
	if (copy_to_iter(com_msg_data(d, msg), n, &m->msg_iter) != n)
		err = -EFAULT;
	if (err >= 0) {
		if (n < msg->len)
			m->msg_flags |= MSG_TRUNC;
		if (flags & MSG_TRUNC)
			err = msg->len;
		if (a) {
			memset(a, 0, sizeof(*a));
			a->scom_family = com_family;
			a->scom_addr = msg->src_addr;
			a->scom_port = msg->src_port;
			m->msg_namelen = sizeof(*a);
		}
	}
	if (!peek)
		com_rx_done(sk, d, msg);
out:
	release_sock(sk);
	return err;
}

static __poll_t com_dgram_poll(struct file *file, struct socket *sock,
			       poll_table *wait)
{
	struct sock *sk = sock->sk;
	struct com_sock *csk = com_sk(sk);
	unsigned char shutdown;
	__poll_t mask = EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND;

	sock_poll_wait(file, sock, wait);
	shutdown = READ_ONCE(sk->sk_shutdown);
	if (!list_empty_careful(&csk->rx_msgs))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	if (shutdown == SHUTDOWN_MASK)
		mask |= EPOLLHUP;
	return mask;
}

const struct proto_ops com_dgram_ops_template = {
	.owner		= THIS_MODULE,
	.release	= com_release,
	.bind		= com_bind,
	.connect	= com_dgram_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= sock_no_accept,
	.getname	= com_getname,
	.poll		= com_dgram_poll,
	.ioctl		= com_ioctl,
	.listen		= sock_no_listen,
	.shutdown	= com_shutdown,
	.sendmsg	= com_dgram_sendmsg,
	.recvmsg	= com_dgram_recvmsg,
	.mmap		= sock_no_mmap,
	.sendpage	= sock_no_sendpage,
};
