// SPDX-License-Identifier: GPL-2.0
/*
 * AF_COM SOCK_STREAM: listen, connect, accept, the data path with its
 * window and appending of small writes, end of stream, poll.  The
 * implementation notes are at the top of com_main.c.
 */

#include <linux/net.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/uio.h>
#include <linux/uaccess.h>
#include <net/sock.h>

#include "com.h"

static int com_listen(struct socket *sock, int backlog)
{
	struct sock *sk = sock->sk;
	struct com_sock *csk = com_sk(sk);
	int somaxconn = READ_ONCE(sock_net(sk)->core.sysctl_somaxconn);
	int err;

	lock_sock(sk);
	err = -EINVAL;
	if (sock->state != SS_UNCONNECTED ||
	    (sk->sk_state != TCP_CLOSE && sk->sk_state != TCP_LISTEN))
		goto out;
	err = com_autobind(sk);
	if (err)
		goto out;
	if ((unsigned int)backlog > (unsigned int)somaxconn)
		backlog = somaxconn;
	WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
	spin_lock(&csk->rx_lock);
	sk->sk_state = TCP_LISTEN;
	spin_unlock(&csk->rx_lock);
out:
	release_sock(sk);
	return err;
}

struct com_join {
	struct sock *listener;
	struct sock *child;
};

static bool com_backlog_ready(struct sock *sk, void *arg)
{
	struct com_sock *lc = com_sk(((struct com_join *)arg)->listener);

	return READ_ONCE(lc->sk.sk_state) != TCP_LISTEN ||
	       READ_ONCE(lc->accept_len) <=
	       READ_ONCE(lc->sk.sk_max_ack_backlog);
}

/*
 * Queue the new server-side socket on the listener, waiting for room in
 * the backlog.  TCP's backlog check: backlog + 1 connections may wait.
 */
static int com_join_listener(struct sock *sk, struct com_join *j, long *timeo)
{
	struct com_sock *lc = com_sk(j->listener);
	int err;

	for (;;) {
		spin_lock(&lc->rx_lock);
		if (j->listener->sk_state != TCP_LISTEN) {
			spin_unlock(&lc->rx_lock);
			return -ECONNREFUSED;
		}
		if (lc->accept_len <= READ_ONCE(j->listener->sk_max_ack_backlog)) {
			list_add_tail(&com_sk(j->child)->accept_node,
				      &lc->accept_q);
			WRITE_ONCE(lc->accept_len, lc->accept_len + 1);
			spin_unlock(&lc->rx_lock);
			return 0;
		}
		spin_unlock(&lc->rx_lock);
		err = com_wait_for(sk, &lc->backlog_wq, com_backlog_ready, j,
				   timeo);
		if (err)
			return err;
	}
}

static int com_stream_connect(struct socket *sock, struct sockaddr *uaddr,
			      int len, int flags)
{
	struct sockaddr_com *a = (struct sockaddr_com *)uaddr;
	struct sock *sk = sock->sk;
	struct com_sock *csk = com_sk(sk);
	struct com_join j = { };
	struct com_domain *d, *own;
	struct com_sock *cc;
	long timeo;
	int err;

	err = com_check_addr(uaddr, len);
	if (err)
		return err;

	lock_sock(sk);
	switch (sock->state) {
	case SS_UNCONNECTED:
		break;
	case SS_CONNECTED:
		err = -EISCONN;
		goto out;
	case SS_CONNECTING:
		err = -EALREADY;
		goto out;
	default:
		err = -EINVAL;
		goto out;
	}
	if (sk->sk_state != TCP_CLOSE) {
		err = -EISCONN;
		goto out;
	}
	if (sk->sk_shutdown) {
		err = -EINVAL;
		goto out;
	}
	if (com_is_broadcast(a->scom_addr)) {
		err = -ENETUNREACH;
		goto out;
	}
	if (!a->scom_port) {
		err = -ECONNREFUSED;
		goto out;
	}
	err = com_resolve(sock_net(sk), a->scom_addr, &d);
	if (err)
		goto out;
	err = com_autobind(sk);
	if (err)
		goto out_put;

	j.listener = com_domain_find(d, SOCK_STREAM, a->scom_port);
	if (!j.listener) {
		err = -ECONNREFUSED;
		goto out_put;
	}
	j.child = com_sk_alloc(sock_net(j.listener), NULL, SOCK_STREAM, 0);
	if (!j.child) {
		err = -ENOMEM;
		goto out_listener;
	}
	own = com_own_domain(sock_net(sk));
	cc = com_sk(j.child);
	cc->addr = d->addr;
	cc->port = a->scom_port;
	cc->peer_addr = own->addr;
	cc->peer_port = csk->port;
	sock_hold(sk);
	cc->peer = sk;
	j.child->sk_state = TCP_ESTABLISHED;
	/*
	 * Our reference on the child, taken before the accept queue gets
	 * the one it was born with: once queued, accept() and close(), or
	 * the listener closing, may drop that one at any time.
	 */
	sock_hold(j.child);

	sock->state = SS_CONNECTING;
	timeo = sock_sndtimeo(sk, flags & O_NONBLOCK);
	err = com_join_listener(sk, &j, &timeo);
	if (err) {
		sock->state = SS_UNCONNECTED;
		if (err == -EAGAIN && timeo == 0 && !(flags & O_NONBLOCK))
			err = -ETIMEDOUT;
		/* the child was never seen by anyone: both references */
		cc->peer = NULL;
		sock_put(sk);
		j.child->sk_state = TCP_CLOSE;
		com_rx_purge(j.child);
		sock_put(j.child);
		sock_put(j.child);
		goto out_listener;
	}

	csk->peer = j.child;
	csk->addr = own->addr;
	csk->peer_addr = d->addr;
	csk->peer_port = a->scom_port;
	sk->sk_state = TCP_ESTABLISHED;
	sock->state = SS_CONNECTED;
	com_wake(j.listener, EPOLLIN | EPOLLRDNORM);

out_listener:
	sock_put(j.listener);
out_put:
	com_domain_put(d);
out:
	release_sock(sk);
	return err;
}

static bool com_accept_ready(struct sock *sk, void *arg)
{
	struct com_sock *csk = com_sk(sk);

	return READ_ONCE(sk->sk_state) != TCP_LISTEN ||
	       READ_ONCE(csk->accept_len) > 0;
}

static int com_accept(struct socket *sock, struct socket *newsock, int flags,
		      bool kern)
{
	struct sock *sk = sock->sk;
	struct com_sock *csk = com_sk(sk);
	struct com_sock *child;
	long timeo;
	int err = 0;

	lock_sock(sk);
	timeo = sock_rcvtimeo(sk, flags & O_NONBLOCK);
	for (;;) {
		if (sk->sk_state != TCP_LISTEN) {
			err = -EINVAL;
			break;
		}
		spin_lock(&csk->rx_lock);
		child = list_first_entry_or_null(&csk->accept_q,
						 struct com_sock, accept_node);
		if (child) {
			list_del_init(&child->accept_node);
			WRITE_ONCE(csk->accept_len, csk->accept_len - 1);
		}
		spin_unlock(&csk->rx_lock);
		if (child)
			break;
		err = com_wait_for(sk, sk_sleep(sk), com_accept_ready, NULL,
				   &timeo);
		if (err)
			break;
	}
	release_sock(sk);
	if (!child)
		return err;

	wake_up_interruptible(&csk->backlog_wq);
	lock_sock(&child->sk);
	sock_graft(&child->sk, newsock);
	newsock->state = SS_CONNECTED;
	release_sock(&child->sk);
	return 0;
}

/*
 * Why a stream write cannot go on: our own shutdown, no connection, or a
 * peer that is gone.  A reset is reported once, then EPIPE, as in TCP.
 */
static int com_stream_tx_error(struct sock *sk)
{
	struct com_sock *csk = com_sk(sk);
	struct com_sock *pc;
	bool rst;

	if (sk->sk_shutdown & SEND_SHUTDOWN)
		return -EPIPE;
	/* as TCP: writing to a socket that never connected is EPIPE */
	if (sk->sk_state != TCP_ESTABLISHED || !csk->peer)
		return -EPIPE;
	pc = com_sk(csk->peer);
	if (!READ_ONCE(pc->rx_closed))
		return 0;
	spin_lock(&csk->rx_lock);
	rst = csk->peer_rst;
	spin_unlock(&csk->rx_lock);
	if (rst && !csk->rst_seen) {
		csk->rst_seen = true;
		return -ECONNRESET;
	}
	return -EPIPE;
}

static bool com_window_ready(struct sock *sk, void *arg)
{
	struct com_sock *csk = com_sk(sk);
	struct com_sock *pc = com_sk(csk->peer);

	return READ_ONCE(pc->rx_closed) ||
	       atomic_read(&pc->rx_blocks) < (int)com_conn_blocks ||
	       (READ_ONCE(sk->sk_shutdown) & SEND_SHUTDOWN);
}

/*
 * Append to the last message sent while the reader has not finished it:
 * small writes then share a block instead of taking one each.  The copy
 * happens under the peer's rx_lock with page faults disabled; a fault
 * leaves the rest to the normal path.  Returns the bytes appended.
 */
static size_t com_stream_append(struct sock *sk, struct com_domain *d,
				struct msghdr *m, size_t left)
{
	struct com_sock *csk = com_sk(sk);
	struct sock *peer = csk->peer;
	struct com_sock *pc = com_sk(peer);
	struct com_msg *msg;
	size_t room, got = 0;
	bool listed = false;

	spin_lock(&pc->rx_lock);
	msg = csk->tx_last;
	if (!msg || pc->rx_closed)
		goto out;
	room = ((size_t)msg->nr_blocks << COM_BLOCK_SHIFT) - msg->len;
	if (!room)
		goto out;
	pagefault_disable();
	got = copy_from_iter(com_msg_data(d, msg) + msg->len,
			     min(room, left), &m->msg_iter);
	pagefault_enable();
	msg->len += got;
	listed = msg->listed;
	if (listed) {
		pc->rx_bytes += got;
		pc->rx_seq += got;
	}
out:
	spin_unlock(&pc->rx_lock);
	if (got) {
		csk->tx_seq += got;
		atomic64_add(got, &d->stats.tx_bytes);
		if (listed)
			com_wake(peer, EPOLLIN | EPOLLRDNORM);
	}
	return got;
}

static int com_stream_sendmsg(struct socket *sock, struct msghdr *m,
			      size_t len)
{
	struct sock *sk = sock->sk;
	struct com_sock *csk = com_sk(sk);
	struct com_domain *own, *d;
	struct com_msg *msg;
	struct com_sock *pc;
	struct sock *peer;
	size_t sent = 0, chunk;
	unsigned int seq;
	long timeo;
	int room, err = 0;

	if (m->msg_flags & MSG_OOB)
		return -EOPNOTSUPP;

	lock_sock(sk);
	timeo = sock_sndtimeo(sk, m->msg_flags & MSG_DONTWAIT);
	own = com_own_domain(sock_net(sk));
	err = com_stream_tx_error(sk);
	while (!err && sent < len) {
		err = com_stream_tx_error(sk);
		if (err)
			break;
		peer = csk->peer;
		pc = com_sk(peer);
		/* the peer holds its namespace, which holds its domain */
		d = com_own_domain(sock_net(peer));

		if (len - sent < COM_BLOCK_SIZE) {
			sent += com_stream_append(sk, d, m, len - sent);
			if (sent == len)
				break;
		}
		room = (int)com_conn_blocks - atomic_read(&pc->rx_blocks);
		if (room <= 0) {
			err = com_wait_for(sk, sk_sleep(sk), com_window_ready,
					   NULL, &timeo);
			continue;
		}
		chunk = min_t(size_t, len - sent,
			      (size_t)min_t(unsigned int, room, com_msg_blocks)
			      << COM_BLOCK_SHIFT);
		seq = READ_ONCE(d->free_seq);
		err = com_msg_claim(d, DIV_ROUND_UP(chunk, COM_BLOCK_SIZE), 1,
				    &msg);
		if (err == -ENOSPC) {
			/*
			 * poll learns of room through our own wait queue;
			 * room already back means a free came in between
			 */
			if (com_domain_watch_room(d, sk)) {
				err = 0;
				continue;
			}
			err = com_wait_room(sk, d, seq, &timeo);
			continue;
		}
		if (err)
			break;
		chunk = min_t(size_t, chunk,
			      (size_t)msg->nr_blocks << COM_BLOCK_SHIFT);
		atomic_add(msg->nr_blocks, &pc->rx_blocks);
		if (copy_from_iter(com_msg_data(d, msg), chunk,
				   &m->msg_iter) != chunk) {
			atomic_sub(msg->nr_blocks, &pc->rx_blocks);
			com_msg_free(d, msg);
			err = -EFAULT;
			break;
		}
		msg->type = COM_MSG_STREAM;
		msg->len = chunk;
		msg->src_addr = own->addr;
		msg->src_port = csk->port;
		msg->dst_port = csk->peer_port;
		sock_hold(peer);
		msg->dst = peer;
		csk->tx_seq += chunk;
		sent += chunk;
		/*
		 * open for appending until the reader has finished it; set
		 * before the reader can see it
		 */
		spin_lock(&pc->rx_lock);
		csk->tx_last = msg;
		spin_unlock(&pc->rx_lock);
		com_route(own, d, msg);
	}
	/* a reset after some bytes went is for the next call, as in TCP */
	if (sent && err == -ECONNRESET)
		csk->rst_seen = false;
	release_sock(sk);

	if (sent)
		return sent;
	if (err == -EPIPE && !(m->msg_flags & MSG_NOSIGNAL))
		send_sig(SIGPIPE, current, 0);
	return err;
}

/*
 * Find the message holding the byte @skip bytes past what was read so far
 * (MSG_PEEK walks without consuming).  Caller holds rx_lock.
 */
static struct com_msg *__com_rx_at(struct com_sock *csk, size_t skip,
				   u32 *off)
{
	struct com_msg *msg;

	list_for_each_entry(msg, &csk->rx_msgs, node) {
		if (skip < msg->len - msg->off) {
			*off = msg->off + skip;
			return msg;
		}
		skip -= msg->len - msg->off;
	}
	return NULL;
}

static int com_stream_recvmsg(struct socket *sock, struct msghdr *m,
			      size_t len, int flags)
{
	struct sock *sk = sock->sk;
	struct com_sock *csk = com_sk(sk);
	bool peek = flags & MSG_PEEK;
	bool eof, rst, unlink;
	struct com_domain *d;
	struct com_msg *msg;
	size_t copied = 0, n;
	int target, err = 0;
	long timeo;
	u32 off, avail = 0;

	if (flags & (MSG_OOB | MSG_ERRQUEUE))
		return -EOPNOTSUPP;

	lock_sock(sk);
	if (sk->sk_state != TCP_ESTABLISHED) {
		err = -ENOTCONN;
		goto out;
	}
	d = com_own_domain(sock_net(sk));
	/* a peek returns what is there once anything is */
	target = peek ? 1 : sock_rcvlowat(sk, flags & MSG_WAITALL, len);
	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);

	while (copied < len) {
		spin_lock(&csk->rx_lock);
		msg = __com_rx_at(csk, peek ? copied : 0, &off);
		/*
		 * the writer may append to msg: only bytes counted under the
		 * lock are sure to be in the buffer
		 */
		if (msg)
			avail = msg->len - off;
		eof = csk->peer_done && csk->rx_seq == csk->fin_seq;
		rst = eof && csk->peer_rst;
		spin_unlock(&csk->rx_lock);

		if (msg) {
			n = min_t(size_t, avail, len - copied);
			if (copy_to_iter(com_msg_data(d, msg) + off, n,
					 &m->msg_iter) != n) {
				err = -EFAULT;
				break;
			}
			copied += n;
			if (peek)
				continue;
			spin_lock(&csk->rx_lock);
			msg->off += n;
			csk->rx_bytes -= n;
			unlink = msg->off == msg->len;
			if (unlink) {
				list_del_init(&msg->node);
				csk->rx_count--;
				/* the writer may no longer append to it */
				if (csk->peer && com_sk(csk->peer)->tx_last == msg)
					com_sk(csk->peer)->tx_last = NULL;
			}
			spin_unlock(&csk->rx_lock);
			if (unlink)
				com_rx_done(sk, d, msg);
			continue;
		}
		if (copied >= target)
			break;
		if (rst && !csk->rst_seen) {
			/* reported by a call that returns no data */
			if (!copied) {
				csk->rst_seen = true;
				err = -ECONNRESET;
			}
			break;
		}
		if (eof || (sk->sk_shutdown & RCV_SHUTDOWN))
			break;
		err = com_wait_for(sk, sk_sleep(sk), com_rx_ready, NULL,
				   &timeo);
		if (err)
			break;
	}
out:
	release_sock(sk);
	return copied ? copied : err;
}

static __poll_t com_stream_poll(struct file *file, struct socket *sock,
				poll_table *wait)
{
	struct sock *sk = sock->sk;
	struct com_sock *csk = com_sk(sk);
	unsigned char shutdown;
	bool readable, eof, rst, snd_done;
	struct com_domain *pd;
	struct sock *peer;
	__poll_t mask = 0;
	int state;

	sock_poll_wait(file, sock, wait);
	state = READ_ONCE(sk->sk_state);
	if (state == TCP_LISTEN)
		return READ_ONCE(csk->accept_len) ? EPOLLIN | EPOLLRDNORM : 0;

	shutdown = READ_ONCE(sk->sk_shutdown);
	spin_lock(&csk->rx_lock);
	readable = csk->rx_bytes > 0;
	eof = csk->peer_done && csk->rx_seq == csk->fin_seq;
	rst = eof && csk->peer_rst && !csk->rst_seen;
	spin_unlock(&csk->rx_lock);

	if (state != TCP_ESTABLISHED) {
		/* as TCP: an unconnected socket is writable and hung up */
		return EPOLLOUT | EPOLLWRNORM | EPOLLHUP;
	}
	peer = READ_ONCE(csk->peer);
	snd_done = (shutdown & SEND_SHUTDOWN) ||
		   (peer && READ_ONCE(com_sk(peer)->rx_closed));
	/* the domain lives as long as the peer, which we hold until release */
	pd = peer ? com_own_domain(sock_net(peer)) : NULL;

	if (readable)
		mask |= EPOLLIN | EPOLLRDNORM;
	if (eof || (shutdown & RCV_SHUTDOWN))
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
	if (rst)
		mask |= EPOLLERR;
	if ((eof || (shutdown & RCV_SHUTDOWN)) && snd_done)
		mask |= EPOLLHUP;
	/*
	 * writable: window at most half full (the reader wakes us there)
	 * and room in the peer's domain (a free there wakes us, once asked)
	 */
	if (snd_done ||
	    (peer && pd && atomic_read(&com_sk(peer)->rx_blocks) <=
	     (int)com_conn_blocks / 2 && com_domain_watch_room(pd, sk)))
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}

const struct proto_ops com_stream_ops_template = {
	.owner		= THIS_MODULE,
	.release	= com_release,
	.bind		= com_bind,
	.connect	= com_stream_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= com_accept,
	.getname	= com_getname,
	.poll		= com_stream_poll,
	.ioctl		= com_ioctl,
	.listen		= com_listen,
	.shutdown	= com_shutdown,
	.sendmsg	= com_stream_sendmsg,
	.recvmsg	= com_stream_recvmsg,
	.mmap		= sock_no_mmap,
	.sendpage	= sock_no_sendpage,
};
