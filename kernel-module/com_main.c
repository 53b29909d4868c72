// SPDX-License-Identifier: GPL-2.0
/*
 * AF_COM: com-sockets, shared-memory sockets between domains.
 *
 * Implementation notes
 * ====================
 *
 * Files.  This file is the family: parameters, addresses, port tables,
 * socket life, delivery, waiting, the operations both types share, and
 * registration.  com_stream.c and com_dgram.c hold what is particular to
 * SOCK_STREAM and SOCK_DGRAM; com_domain.c the domains (buffer, receive
 * queue, daemon, router, sysctl, namespaces); com_proc.c /proc.
 *
 * Domains.  A domain is a network namespace with a domain id (sysctl
 * net.com.domain_id; the initial namespace gets the init_domain parameter).
 * Its address is 192.168.0.(id + 2).  com_domain.c owns the domain: a
 * buffer of 8 KB blocks with a bitmap, a table of message descriptors, a
 * receive queue (a ring of descriptor indexes) and a receive daemon, the
 * kernel thread "com_rx/<id>".  All of it is allocated when the id is set,
 * so sending never allocates.
 *
 * Data path.  A sender claims a descriptor and a run of blocks in the
 * buffer of the domain that receives (com_msg_claim), copies the user data
 * straight in (copy 1), and hands the descriptor to the router
 * (com_route).  Inside one domain the router delivers at once; to another
 * domain it queues the descriptor and wakes that domain's daemon only if
 * the daemon's status flag says it is idle.  The daemon, or the router,
 * calls com_deliver(), which appends the message to the socket's rx list.
 * recvmsg copies out (copy 2) and frees the blocks.
 *
 * Sockets.  SOCK_STREAM and SOCK_DGRAM.  Each namespace has two port
 * tables (stream and datagram, like TCP and UDP) and a list of every
 * socket for /proc/net/comsock.  A stream connect is synchronous: it finds
 * the listener in the target domain, creates the server-side socket in the
 * listener's namespace, links the two ends (each holds a reference on the
 * other in ->peer) and queues the new socket for accept().  States follow
 * TCP's names: TCP_CLOSE, TCP_LISTEN, TCP_ESTABLISHED.  An established
 * socket stays TCP_ESTABLISHED until it is closed; what the peer did is
 * kept in the receiver's peer_done / peer_rst / fin_seq.
 *
 * Ordering of end-of-stream.  Data may still sit on a receive queue when
 * the sender shuts down, so the shutdown carries the sender's byte count
 * (fin_seq = tx_seq); the reader sees end of file (or ECONNRESET for a
 * close with unread data, as TCP's RST) only once rx_seq, the bytes
 * delivered to it, has caught up.
 *
 * Flow control.  Every message charges its blocks to the receiving
 * socket's rx_blocks until it has been read.  A stream sender waits while
 * its peer holds com_conn_blocks blocks; the reader wakes it when half of
 * that is free.  A datagram socket holding com_conn_blocks drops further
 * datagrams.  One slow reader can thus hold at most com_conn_blocks of its
 * domain's buffer.  A sender that finds the buffer full samples the
 * domain's free_seq before its claim and sleeps on space_wq until a free
 * has moved it, so a missing run of contiguous blocks cannot make it spin.
 * poll, select and epoll wait on the socket's own wait queue only, so a
 * stream socket that finds its peer's domain full (in poll, or in a
 * write) also goes on that domain's space_socks list, and the next free
 * there wakes it with EPOLLOUT.
 *
 * Small writes.  A stream write shorter than a block first appends to the
 * last message the socket sent (tx_last) if the reader has not finished
 * it, so that one-byte writes do not hold a block each.  tx_last is
 * protected by the receiver's rx_lock: the reader clears it under that
 * lock before it frees the message, and a closed receiver (rx_closed) is
 * never appended to.  The append copies under rx_lock with page faults
 * disabled; a fault leaves the rest to the normal path.
 *
 * Lock order
 * ----------
 *	lock_sock(sk)		(a listener's children: lock_sock_nested)
 *	  cn->id_lock		(mutex, sysctl only)
 *	  com_table_lock	(mutex, domain id table)
 *	  cn->bind_lock		(port tables, socket list)
 *	  com_sk(x)->rx_lock	(rx list, accept queue, peer_done...)
 *	  d->recv_lock		(receive queue)
 *	    d->buf_lock		(bitmap, descriptor table, space_socks)
 * No two rx_locks are ever held together, nor two socket locks except a
 * listener's and one of its unaccepted children.  All locks are taken in
 * process context only (syscalls and the daemons).  com_msg_free() wakes
 * the sockets on space_socks under buf_lock: only wait queue locks (and
 * what a wakeup takes) nest inside it.
 *
 * References
 * ----------
 * A socket holds its namespace (sk_alloc), the namespace holds its domain.
 * A connected stream socket holds its peer; a queued stream descriptor
 * holds its target socket until it is delivered or dropped.  A connection
 * nobody accepted yet is held twice: by the accept queue and by its
 * connector, which takes its reference before queueing it, since accept()
 * or the listener's end may drop the queue's at once.  So a stream
 * sender never needs a domain reference.  A datagram sender looks the
 * domain up by id and holds a domain reference while it writes; the
 * domain holds its daemon's task_struct, which such a sender may wake
 * while the namespace's exit stops the daemon.  The module is pinned by
 * every socket (proto, proto_ops and family owner).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/init.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/uio.h>
#include <linux/uaccess.h>
#include <linux/sockios.h>
#include <asm/ioctls.h>
#include <net/sock.h>
#include <net/net_namespace.h>

#include "com.h"

int com_family = AF_COM;
module_param_named(family, com_family, int, 0444);
MODULE_PARM_DESC(family, "address family number (default 22, never used by Linux)");

unsigned int com_blocks = 1024;
module_param_named(blocks, com_blocks, uint, 0444);
MODULE_PARM_DESC(blocks, "8 KB blocks in each domain's buffer (default 1024)");

unsigned int com_queue_len = 1024;
module_param_named(queue_len, com_queue_len, uint, 0444);
MODULE_PARM_DESC(queue_len, "message descriptors per domain (default 1024)");

unsigned int com_conn_blocks = 64;
module_param_named(conn_blocks, com_conn_blocks, uint, 0444);
MODULE_PARM_DESC(conn_blocks, "blocks one socket may hold unread (default 64)");

unsigned int com_msg_blocks = 8;
module_param_named(msg_blocks, com_msg_blocks, uint, 0444);
MODULE_PARM_DESC(msg_blocks, "largest message in blocks; datagram limit (default 8)");

static struct proto com_proto = {
	.name		= "COM",
	.owner		= THIS_MODULE,
	.obj_size	= sizeof(struct com_sock),
};

/*
 * Not const: the family number is a module parameter, copied in at init
 * from the const templates; read-only from then on.
 */
static struct proto_ops com_stream_ops __ro_after_init;
static struct proto_ops com_dgram_ops __ro_after_init;

/* ---- small helpers --------------------------------------------------- */

void com_wake(struct sock *sk, __poll_t mask)
{
	struct socket_wq *wq;

	rcu_read_lock();
	wq = rcu_dereference(sk->sk_wq);
	if (skwq_has_sleeper(wq))
		wake_up_interruptible_poll(&wq->wait, mask);
	rcu_read_unlock();
	if (mask & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
		sk_wake_async(sk, SOCK_WAKE_WAITD, POLL_IN);
	if (mask & EPOLLOUT)
		sk_wake_async(sk, SOCK_WAKE_SPACE, POLL_OUT);
}

/* Check a user address: length, family, reserved bytes. */
int com_check_addr(const struct sockaddr *uaddr, int len)
{
	const struct sockaddr_com *a = (const struct sockaddr_com *)uaddr;

	if (len < (int)sizeof(*a))
		return -EINVAL;
	if (a->scom_family != com_family)
		return -EAFNOSUPPORT;
	if (memchr_inv(a->scom_zero, 0, sizeof(a->scom_zero)))
		return -EINVAL;
	return 0;
}

bool com_is_broadcast(__be32 addr)
{
	return ntohl(addr) == COM_ADDR_BROADCAST;
}

/*
 * com_resolve - the domain a unicast address names, with a reference.
 * COM_ADDR_ANY means the own domain, as connecting to INADDR_ANY does.
 */
int com_resolve(struct net *net, __be32 addr, struct com_domain **dp)
{
	struct com_domain *own = com_own_domain(net);
	u32 a = ntohl(addr);
	struct com_domain *d;

	if (!own)
		return -ENETUNREACH;
	if (a == COM_ADDR_ANY || addr == own->addr) {
		refcount_inc(&own->ref);
		*dp = own;
		return 0;
	}
	if ((a & 0xffffff00U) != COM_NET || a < COM_ADDR(0) ||
	    a > COM_ADDR(COM_DOMAIN_ID_MAX))
		return -ENETUNREACH;
	d = com_domain_get(a - COM_ADDR(0));
	if (!d)
		return -EHOSTUNREACH;
	*dp = d;
	return 0;
}

/* ---- port tables ------------------------------------------------------ */

static struct hlist_head *com_port_head(struct com_net *cn, int type, u16 port)
{
	struct hlist_head *tbl = type == SOCK_STREAM ? cn->stream_ports :
						       cn->dgram_ports;

	return &tbl[hash_32(port, COM_PORT_HASH_BITS)];
}

static struct sock *__com_port_find(struct com_net *cn, int type, u16 port)
{
	struct com_sock *csk;

	hlist_for_each_entry(csk, com_port_head(cn, type, port), bind_node)
		if (ntohs(csk->port) == port)
			return &csk->sk;
	return NULL;
}

/* com_port_lookup - the socket bound to @port in @cn, with a reference */
struct sock *com_port_lookup(struct com_net *cn, int type, __be16 port)
{
	struct sock *sk;

	spin_lock(&cn->bind_lock);
	sk = __com_port_find(cn, type, ntohs(port));
	if (sk)
		sock_hold(sk);
	spin_unlock(&cn->bind_lock);
	return sk;
}

/*
 * Bind @sk to @port (0: an ephemeral port) at @addr.  Caller holds
 * lock_sock(sk) and has checked that the socket is not bound.
 */
static int com_bind_port(struct sock *sk, __be32 addr, u16 port)
{
	struct com_net *cn = com_net(sock_net(sk));
	struct com_sock *csk = com_sk(sk);
	unsigned int range = COM_EPHEMERAL_HIGH - COM_EPHEMERAL_LOW + 1;
	unsigned int i;
	int err = 0;

	spin_lock(&cn->bind_lock);
	if (!port) {
		for (i = 0; i < range; i++) {
			u16 p = cn->next_port;

			cn->next_port = p >= COM_EPHEMERAL_HIGH ?
					COM_EPHEMERAL_LOW : p + 1;
			if (!__com_port_find(cn, sk->sk_type, p)) {
				port = p;
				break;
			}
		}
		if (!port)
			err = -EADDRINUSE;
	} else if (__com_port_find(cn, sk->sk_type, port)) {
		err = -EADDRINUSE;
	}
	if (!err) {
		csk->addr = addr;
		csk->port = htons(port);
		hlist_add_head(&csk->bind_node,
			       com_port_head(cn, sk->sk_type, port));
		csk->hashed = true;
	}
	spin_unlock(&cn->bind_lock);
	return err;
}

static void com_unhash(struct sock *sk)
{
	struct com_net *cn = com_net(sock_net(sk));
	struct com_sock *csk = com_sk(sk);

	spin_lock(&cn->bind_lock);
	if (csk->hashed) {
		hlist_del_init(&csk->bind_node);
		csk->hashed = false;
	}
	spin_unlock(&cn->bind_lock);
}

int com_autobind(struct sock *sk)
{
	if (com_sk(sk)->port)
		return 0;
	if (!com_own_domain(sock_net(sk)))
		return -EADDRNOTAVAIL;
	return com_bind_port(sk, htonl(COM_ADDR_ANY), 0);
}

/* ---- socket life ------------------------------------------------------ */

static void com_sk_destruct(struct sock *sk)
{
	struct com_net *cn = com_net(sock_net(sk));
	struct com_sock *csk = com_sk(sk);

	WARN_ON_ONCE(!list_empty(&csk->rx_msgs));
	WARN_ON_ONCE(atomic_read(&csk->rx_blocks));
	WARN_ON_ONCE(csk->peer);
	WARN_ON_ONCE(!list_empty(&csk->space_node));

	spin_lock(&cn->bind_lock);
	list_del_init(&csk->all_node);
	spin_unlock(&cn->bind_lock);
}

struct sock *com_sk_alloc(struct net *net, struct socket *sock,
				 int type, int kern)
{
	struct com_net *cn = com_net(net);
	struct com_sock *csk;
	struct sock *sk;

	sk = sk_alloc(net, com_family, GFP_KERNEL, &com_proto, kern);
	if (!sk)
		return NULL;
	sock_init_data(sock, sk);
	sk->sk_type = type;
	sk->sk_protocol = 0;
	sk->sk_destruct = com_sk_destruct;

	csk = com_sk(sk);
	INIT_HLIST_NODE(&csk->bind_node);
	INIT_LIST_HEAD(&csk->space_node);
	spin_lock_init(&csk->rx_lock);
	INIT_LIST_HEAD(&csk->rx_msgs);
	INIT_LIST_HEAD(&csk->accept_q);
	INIT_LIST_HEAD(&csk->accept_node);
	init_waitqueue_head(&csk->backlog_wq);
	atomic_set(&csk->rx_blocks, 0);

	spin_lock(&cn->bind_lock);
	list_add_tail(&csk->all_node, &cn->socks);
	spin_unlock(&cn->bind_lock);
	return sk;
}

/* Free every message queued on @sk and refuse further deliveries. */
void com_rx_purge(struct sock *sk)
{
	struct com_sock *csk = com_sk(sk);
	struct com_msg *msg, *tmp;
	struct com_domain *d;
	LIST_HEAD(list);

	spin_lock(&csk->rx_lock);
	csk->rx_closed = true;
	list_splice_init(&csk->rx_msgs, &list);
	csk->rx_bytes = 0;
	csk->rx_count = 0;
	spin_unlock(&csk->rx_lock);

	if (list_empty(&list))
		return;
	d = com_own_domain(sock_net(sk));
	list_for_each_entry_safe(msg, tmp, &list, node) {
		list_del(&msg->node);
		atomic_sub(msg->nr_blocks, &csk->rx_blocks);
		com_msg_free(d, msg);
	}
}

/* Record on the peer that @sk sends no more; see com_stream_send_fin(). */
static void com_stream_mark_fin(struct sock *sk, bool rst)
{
	struct com_sock *csk = com_sk(sk);
	struct com_sock *pc = com_sk(csk->peer);

	spin_lock(&pc->rx_lock);
	if (!pc->peer_done) {
		pc->peer_done = true;
		pc->fin_seq = csk->tx_seq;
	}
	if (rst)
		pc->peer_rst = true;
	spin_unlock(&pc->rx_lock);
}

static void com_stream_wake_fin(struct sock *peer, bool rst)
{
	com_wake(peer, EPOLLIN | EPOLLRDNORM | EPOLLRDHUP | EPOLLOUT |
		 EPOLLWRNORM | (rst ? EPOLLERR | EPOLLHUP : 0));
}

/*
 * Tell the peer that @sk will send no more: end of file after the bytes
 * sent so far, or a reset.  Caller holds lock_sock(sk).
 */
void com_stream_send_fin(struct sock *sk, bool rst)
{
	if (!com_sk(sk)->peer)
		return;
	com_stream_mark_fin(sk, rst);
	com_stream_wake_fin(com_sk(sk)->peer, rst);
}

static void __com_close(struct sock *sk, bool reset);

/* Stop listening; the connections nobody accepted are reset. */
static void com_listen_stop(struct sock *sk)
{
	struct com_sock *csk = com_sk(sk);
	struct com_sock *child, *tmp;
	LIST_HEAD(list);

	spin_lock(&csk->rx_lock);
	sk->sk_state = TCP_CLOSE;
	list_splice_init(&csk->accept_q, &list);
	csk->accept_len = 0;
	spin_unlock(&csk->rx_lock);
	wake_up_interruptible_all(&csk->backlog_wq);
	com_wake(sk, EPOLLIN | EPOLLERR | EPOLLHUP);

	list_for_each_entry_safe(child, tmp, &list, accept_node) {
		list_del_init(&child->accept_node);
		lock_sock_nested(&child->sk, SINGLE_DEPTH_NESTING);
		__com_close(&child->sk, true);
		sock_orphan(&child->sk);
		release_sock(&child->sk);
		sock_put(&child->sk);
	}
}

/*
 * Everything close() does to a socket; @reset: the peer sees a reset
 * rather than end of file.  Caller holds lock_sock(sk).
 */
static void __com_close(struct sock *sk, bool reset)
{
	struct com_sock *csk = com_sk(sk);
	struct sock *peer = csk->peer;
	bool rst = false;

	com_unhash(sk);
	if (sk->sk_state == TCP_LISTEN)
		com_listen_stop(sk);
	if (peer) {
		/* unread data makes it a reset, as in TCP */
		rst = reset || atomic_read(&csk->rx_blocks) > 0;
		com_stream_mark_fin(sk, rst);
	}
	/*
	 * rx_closed before the wakeup: a writer of the peer's waiting for
	 * window wakes up only once, and must find it set then, or it
	 * sleeps again with nobody left to wake it.  peer_rst is set
	 * before rx_closed, so a writer that sees rx_closed sees the reset.
	 */
	com_rx_purge(sk);
	if (peer) {
		com_stream_wake_fin(peer, rst);
		com_domain_unwatch_room(com_own_domain(sock_net(peer)), sk);
		csk->peer = NULL;
		sock_put(peer);
	}
	sk->sk_shutdown = SHUTDOWN_MASK;
	sk->sk_state = TCP_CLOSE;
}

int com_release(struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (!sk)
		return 0;
	lock_sock(sk);
	/* SO_LINGER with a zero time is an abortive close, as in TCP */
	__com_close(sk, sock_flag(sk, SOCK_LINGER) && !sk->sk_lingertime);
	sock_orphan(sk);
	sock->sk = NULL;
	release_sock(sk);
	sock_put(sk);
	return 0;
}

static int com_create(struct net *net, struct socket *sock, int protocol,
		      int kern)
{
	struct sock *sk;

	if (protocol)
		return -EPROTONOSUPPORT;
	switch (sock->type) {
	case SOCK_STREAM:
		sock->ops = &com_stream_ops;
		break;
	case SOCK_DGRAM:
		sock->ops = &com_dgram_ops;
		break;
	default:
		return -ESOCKTNOSUPPORT;
	}
	sk = com_sk_alloc(net, sock, sock->type, kern);
	if (!sk)
		return -ENOMEM;
	return 0;
}

/* ---- delivery (the daemon's and the router's end) ---------------------- */

/*
 * com_deliver - hand @msg, which lies in @d's buffer, to its socket.  A
 * stream message carries its socket; a datagram is looked up by port.
 * A message nobody can take is freed here.
 */
void com_deliver(struct com_domain *d, struct com_msg *msg)
{
	struct sock *sk = msg->dst;
	struct com_sock *csk;
	u32 len;

	if (msg->type == COM_MSG_DGRAM) {
		sk = com_port_lookup(d->cn, SOCK_DGRAM, msg->dst_port);
		if (!sk)
			goto drop;
	}
	csk = com_sk(sk);

	spin_lock(&csk->rx_lock);
	if (csk->rx_closed)
		goto drop_locked;
	if (msg->type == COM_MSG_DGRAM) {
		if (csk->peer_port && (csk->peer_port != msg->src_port ||
				       csk->peer_addr != msg->src_addr))
			goto drop_locked;
		if (atomic_read(&csk->rx_blocks) + msg->nr_blocks >
		    com_conn_blocks)
			goto drop_locked;
		atomic_add(msg->nr_blocks, &csk->rx_blocks);
	}
	list_add_tail(&msg->node, &csk->rx_msgs);
	msg->listed = true;
	/* once listed, the reader may free msg as soon as we unlock */
	len = msg->len;
	csk->rx_bytes += len;
	csk->rx_count++;
	csk->rx_seq += len;
	spin_unlock(&csk->rx_lock);

	atomic64_inc(&d->stats.rx_msgs);
	atomic64_add(len, &d->stats.rx_bytes);
	com_wake(sk, EPOLLIN | EPOLLRDNORM);
	sock_put(sk);
	return;

drop_locked:
	spin_unlock(&csk->rx_lock);
	if (msg->type == COM_MSG_STREAM)
		atomic_sub(msg->nr_blocks, &csk->rx_blocks);
	sock_put(sk);
drop:
	atomic64_inc(&d->stats.drops);
	com_msg_free(d, msg);
}

/*
 * Free a message the reader is done with and credit its blocks back.  A
 * stream writer waiting for window is woken once half of it is free.
 */
void com_rx_done(struct sock *sk, struct com_domain *d,
			struct com_msg *msg)
{
	struct com_sock *csk = com_sk(sk);
	unsigned int n = msg->nr_blocks;
	int left;

	com_msg_free(d, msg);
	left = atomic_sub_return(n, &csk->rx_blocks);
	if (csk->peer && left <= (int)com_conn_blocks / 2)
		com_wake(csk->peer, EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND);
}

/* ---- waiting ------------------------------------------------------------ */

/* Sleep once on @wq with lock_sock(sk) dropped, unless @ready() holds. */
static long com_wait(struct sock *sk, wait_queue_head_t *wq,
		     bool (*ready)(struct sock *sk, void *arg), void *arg,
		     long timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);

	add_wait_queue(wq, &wait);
	/* pairs with the barrier in skwq_has_sleeper()/wq_has_sleeper() */
	smp_mb();
	if (!ready(sk, arg)) {
		release_sock(sk);
		timeo = wait_woken(&wait, TASK_INTERRUPTIBLE, timeo);
		lock_sock(sk);
	}
	remove_wait_queue(wq, &wait);
	return timeo;
}

/*
 * The one shape of every blocking loop: returns 0 when the caller should
 * look again, or the error to give up with.
 */
int com_wait_for(struct sock *sk, wait_queue_head_t *wq,
			bool (*ready)(struct sock *sk, void *arg), void *arg,
			long *timeo)
{
	if (!*timeo)
		return -EAGAIN;
	if (signal_pending(current))
		return sock_intr_errno(*timeo);
	*timeo = com_wait(sk, wq, ready, arg, *timeo);
	return 0;
}

bool com_rx_ready(struct sock *sk, void *arg)
{
	struct com_sock *csk = com_sk(sk);
	bool ready;

	spin_lock(&csk->rx_lock);
	ready = (sk->sk_type == SOCK_STREAM ? csk->rx_bytes > 0 :
		 !list_empty(&csk->rx_msgs)) ||
		(csk->peer_done && csk->rx_seq == csk->fin_seq) ||
		(sk->sk_shutdown & RCV_SHUTDOWN) || csk->rx_closed;
	spin_unlock(&csk->rx_lock);
	return ready;
}

struct com_room {
	struct com_domain *d;
	unsigned int seq;
};

static bool com_room_ready(struct sock *sk, void *arg)
{
	struct com_room *r = arg;

	return READ_ONCE(r->d->dead) || READ_ONCE(r->d->free_seq) != r->seq;
}

/*
 * Wait until something was freed in domain @d since @seq, sampled before
 * the claim that failed; lock_sock(sk) is dropped meanwhile.  (Waiting
 * for "a free block" instead could spin when a run of contiguous blocks
 * is what is missing.)
 */
int com_wait_room(struct sock *sk, struct com_domain *d, unsigned int seq,
		  long *timeo)
{
	struct com_room r = { .d = d, .seq = seq };

	atomic64_inc(&d->stats.space_waits);
	return com_wait_for(sk, &d->space_wq, com_room_ready, &r, timeo);
}

/* ---- bind, getname, ioctl, shutdown: both types ----------------------- */

int com_bind(struct socket *sock, struct sockaddr *uaddr, int len)
{
	struct sockaddr_com *a = (struct sockaddr_com *)uaddr;
	struct sock *sk = sock->sk;
	struct com_sock *csk = com_sk(sk);
	struct com_domain *own;
	u16 port;
	int err;

	err = com_check_addr(uaddr, len);
	if (err)
		return err;
	port = ntohs(a->scom_port);

	lock_sock(sk);
	own = com_own_domain(sock_net(sk));
	err = -EINVAL;
	if (csk->port || sk->sk_state != TCP_CLOSE)
		goto out;
	err = -EADDRNOTAVAIL;
	if (!own)
		goto out;
	if (a->scom_addr != htonl(COM_ADDR_ANY) && a->scom_addr != own->addr)
		goto out;
	err = -EACCES;
	if (port && port < PROT_SOCK &&
	    !ns_capable(sock_net(sk)->user_ns, CAP_NET_BIND_SERVICE))
		goto out;
	err = com_bind_port(sk, a->scom_addr, port);
out:
	release_sock(sk);
	return err;
}

int com_getname(struct socket *sock, struct sockaddr *uaddr, int peer)
{
	struct sockaddr_com *a = (struct sockaddr_com *)uaddr;
	struct sock *sk = sock->sk;
	struct com_sock *csk = com_sk(sk);
	int err = sizeof(*a);

	memset(a, 0, sizeof(*a));
	a->scom_family = com_family;
	lock_sock(sk);
	if (peer) {
		if ((sk->sk_type == SOCK_STREAM &&
		     sk->sk_state != TCP_ESTABLISHED) ||
		    (sk->sk_type == SOCK_DGRAM && !csk->peer_port)) {
			err = -ENOTCONN;
		} else {
			a->scom_addr = csk->peer_addr;
			a->scom_port = csk->peer_port;
		}
	} else {
		a->scom_addr = csk->addr;
		a->scom_port = csk->port;
	}
	release_sock(sk);
	return err;
}

int com_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg)
{
	struct sock *sk = sock->sk;
	struct com_sock *csk = com_sk(sk);
	struct com_msg *msg;
	int amount;

	switch (cmd) {
	case SIOCINQ:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		spin_lock(&csk->rx_lock);
		if (sk->sk_type == SOCK_STREAM) {
			amount = csk->rx_bytes;
		} else {
			msg = list_first_entry_or_null(&csk->rx_msgs,
						       struct com_msg, node);
			amount = msg ? msg->len : 0;
		}
		spin_unlock(&csk->rx_lock);
		return put_user(amount, (int __user *)arg);
	default:
		return -ENOIOCTLCMD;
	}
}

int com_shutdown(struct socket *sock, int how)
{
	struct sock *sk = sock->sk;
	struct com_sock *csk = com_sk(sk);
	int mode, err = 0;

	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	mode = how + 1;		/* SHUT_RD -> RCV_SHUTDOWN, ... */

	lock_sock(sk);
	if (sk->sk_type == SOCK_STREAM && sk->sk_state == TCP_LISTEN) {
		/* as TCP: stopping to read stops listening */
		if (mode & RCV_SHUTDOWN)
			com_listen_stop(sk);
		goto out;
	}
	if ((sk->sk_type == SOCK_STREAM && sk->sk_state != TCP_ESTABLISHED) ||
	    (sk->sk_type == SOCK_DGRAM && !csk->peer_port)) {
		err = -ENOTCONN;
		goto out;
	}
	sk->sk_shutdown |= mode;
	if ((mode & SEND_SHUTDOWN) && sk->sk_type == SOCK_STREAM)
		com_stream_send_fin(sk, false);
	com_wake(sk, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLHUP);
out:
	release_sock(sk);
	return err;
}

/* ---- registration --------------------------------------------------------- */

static struct net_proto_family com_family_ops __ro_after_init = {
	.create	= com_create,
	.owner	= THIS_MODULE,
};

static int __init com_check_params(void)
{
	if (com_family <= 0 || com_family >= NPROTO) {
		pr_err("family=%d out of range 1..%d\n", com_family,
		       NPROTO - 1);
		return -EINVAL;
	}
	if (com_blocks < 16 || com_blocks > (1U << 20)) {
		pr_err("blocks=%u out of range 16..%u\n", com_blocks,
		       1U << 20);
		return -EINVAL;
	}
	if (com_queue_len < 16 || com_queue_len > (1U << 20)) {
		pr_err("queue_len=%u out of range 16..%u\n",
		       com_queue_len, 1U << 20);
		return -EINVAL;
	}
	if (com_msg_blocks < 1 || com_msg_blocks > 64) {
		pr_err("msg_blocks=%u out of range 1..64\n",
		       com_msg_blocks);
		return -EINVAL;
	}
	if (com_conn_blocks < com_msg_blocks ||
	    com_conn_blocks > min(com_blocks, COM_CONN_BLOCKS_MAX)) {
		pr_err("conn_blocks=%u out of range %u..%u\n",
		       com_conn_blocks, com_msg_blocks,
		       min(com_blocks, COM_CONN_BLOCKS_MAX));
		return -EINVAL;
	}
	return 0;
}

static int __init com_init(void)
{
	int err;

	BUILD_BUG_ON(sizeof(struct sockaddr_com) != sizeof(struct sockaddr));

	err = com_check_params();
	if (err)
		return err;

	com_stream_ops = com_stream_ops_template;
	com_stream_ops.family = com_family;
	com_dgram_ops = com_dgram_ops_template;
	com_dgram_ops.family = com_family;
	com_family_ops.family = com_family;

	err = proto_register(&com_proto, 1);
	if (err)
		return err;
	err = com_domains_init();
	if (err)
		goto out_proto;
	err = sock_register(&com_family_ops);
	if (err) {
		pr_err("address family %d is taken (%d)\n",
		       com_family, err);
		goto out_domains;
	}
	pr_info("AF_COM is family %d, %u blocks per domain\n",
		com_family, com_blocks);
	return 0;

out_domains:
	com_domains_exit();
out_proto:
	proto_unregister(&com_proto);
	return err;
}

static void __exit com_exit(void)
{
	sock_unregister(com_family);
	com_domains_exit();
	proto_unregister(&com_proto);
}

module_init(com_init);
module_exit(com_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("AF_COM: com-sockets, shared-memory sockets between domains");
/*
 * net-pf-22: socket(22, ...) loads the module on demand.  The alias is
 * fixed when the module is built; with family=N, modprobe.d needs
 * "alias net-pf-N comsock" and "options comsock family=N" for the same.
 */
MODULE_ALIAS_NETPROTO(PF_COM);
