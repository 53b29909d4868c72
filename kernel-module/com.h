/* SPDX-License-Identifier: GPL-2.0 */
/*
 * AF_COM internal interfaces.  See the implementation notes at the top of
 * com_main.c for the overall design and the lock order.
 */
#ifndef _COM_H
#define _COM_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/refcount.h>
#include <linux/atomic.h>
#include <net/sock.h>
#include <uapi/linux/com.h>

#define COM_BLOCK_SHIFT		13
#if (1 << COM_BLOCK_SHIFT) != COM_BLOCK_SIZE
#error "COM_BLOCK_SHIFT does not match COM_BLOCK_SIZE"
#endif

#define COM_PORT_HASH_BITS	8
#define COM_PORT_HASH		(1 << COM_PORT_HASH_BITS)
#define COM_EPHEMERAL_LOW	32768
#define COM_EPHEMERAL_HIGH	60999
/*
 * The largest window, 1 GB: a socket's unread bytes (rx_bytes, and what
 * FIONREAD reports as an int) stay below 2^31 whatever the buffer's size.
 */
#define COM_CONN_BLOCKS_MAX	(1U << 17)

/* module parameters (com_main.c), read-only after load */
extern int com_family;
extern unsigned int com_blocks;
extern unsigned int com_queue_len;
extern unsigned int com_conn_blocks;
extern unsigned int com_msg_blocks;

/* ---- messages ------------------------------------------------------- */

enum com_msg_type {
	COM_MSG_STREAM = 1,
	COM_MSG_DGRAM,
};

/*
 * struct com_msg - one message: a descriptor of a run of contiguous blocks
 * in the buffer of the domain that receives it.  The descriptors are a
 * table preallocated with the domain; a message never allocates.
 *
 * Life: claimed by the sender (com_msg_claim), filled, then either put on
 * the domain's receive queue for its daemon or, inside one domain, handed
 * to the socket directly (com_route).  The receiving socket owns it while
 * it sits on its rx list; the reader frees it (com_msg_free).
 */
struct com_msg {
	struct list_head	node;	/* on a socket's rx list: rx_lock */
	struct sock		*dst;	/* stream: target socket, one ref */
	u32			block;	/* first block */
	u16			nr_blocks;
	u8			type;	/* enum com_msg_type */
	bool			listed;	/* on the rx list: rx_lock */
	u32			len;	/* payload bytes: rx_lock once queued */
	u32			off;	/* bytes already read: owner only */
	__be32			src_addr;
	__be16			src_port;
	__be16			dst_port;
};

/* ---- domains --------------------------------------------------------- */

enum com_daemon_state {
	COM_DAEMON_BUSY = 0,
	COM_DAEMON_IDLE = 1,
};

/* counters, readable in /proc/net/comsock_stat */
struct com_stats {
	atomic64_t	tx_msgs;	/* messages claimed in this domain */
	atomic64_t	tx_bytes;
	atomic64_t	rx_msgs;	/* messages handed to a socket */
	atomic64_t	rx_bytes;
	atomic64_t	queued;		/* went through the receive queue */
	atomic64_t	direct;		/* delivered without the daemon */
	atomic64_t	wakeups;	/* daemon woken: it was idle */
	atomic64_t	wakeups_saved;	/* daemon busy: no wakeup needed */
	atomic64_t	drops;		/* datagrams nobody could take */
	atomic64_t	space_waits;	/* senders that waited for blocks */
};

/*
 * struct com_domain - the buffer, the receive queue and the daemon of one
 * domain.  Allocated when a namespace gets its domain id, published in the
 * global id table, and freed on the last com_domain_put() after the
 * namespace went away.
 */
struct com_domain {
	refcount_t		ref;
	u32			id;
	__be32			addr;
	struct com_net		*cn;	/* owner; valid while !dead */

	/* the buffer: blocks, their bitmap and the descriptor table */
	spinlock_t		buf_lock;
	void			*buf;
	unsigned int		nr_blocks;
	unsigned long		*block_map;	/* buf_lock */
	unsigned int		blocks_used;	/* buf_lock */
	unsigned int		block_hint;	/* buf_lock */
	struct com_msg		*msgs;
	unsigned int		nr_msgs;
	unsigned long		*msg_map;	/* buf_lock */
	unsigned int		msgs_used;	/* buf_lock */
	unsigned int		free_seq;	/* frees so far: buf_lock */
	wait_queue_head_t	space_wq;	/* senders waiting for room */
	/* sockets whose own wait queue wants the next free: buf_lock */
	struct list_head	space_socks;

	/* the receive queue: a ring of descriptor indexes */
	spinlock_t		recv_lock;
	u32			*ring;
	unsigned int		ring_head;	/* recv_lock */
	unsigned int		ring_count;	/* recv_lock, read racily */
	bool			dead;		/* recv_lock and buf_lock */
	struct task_struct	*daemon;	/* a task reference */
	int			daemon_state;	/* enum com_daemon_state */

	struct com_stats	stats;
};

/*
 * struct com_net - per network namespace state.  Lives as long as the
 * namespace; dom is set once (sysctl or, for the initial namespace, the
 * init_domain parameter) and never changes afterwards.
 */
struct com_net {
	struct net		*net;
	struct com_domain	*dom;		/* set once, READ_ONCE */
	struct mutex		id_lock;	/* serialises setting dom */
	struct ctl_table_header	*sysctl;

	spinlock_t		bind_lock;
	struct hlist_head	stream_ports[COM_PORT_HASH];	/* bind_lock */
	struct hlist_head	dgram_ports[COM_PORT_HASH];	/* bind_lock */
	struct list_head	socks;		/* every socket: bind_lock */
	u16			next_port;	/* bind_lock */
};

struct com_net *com_net(const struct net *net);
struct com_domain *com_own_domain(const struct net *net);
struct com_domain *com_domain_get(u32 id);
void com_domain_put(struct com_domain *d);
struct sock *com_domain_find(struct com_domain *d, int type, __be16 port);
int com_for_each_domain(int (*fn)(struct com_domain *d, void *arg),
			void *arg);

int com_msg_claim(struct com_domain *d, unsigned int want, unsigned int min,
		  struct com_msg **msgp);
void com_msg_free(struct com_domain *d, struct com_msg *msg);
bool com_domain_watch_room(struct com_domain *d, struct sock *sk);
void com_domain_unwatch_room(struct com_domain *d, struct sock *sk);

static inline void *com_msg_data(struct com_domain *d, struct com_msg *msg)
{
	return d->buf + ((size_t)msg->block << COM_BLOCK_SHIFT);
}

/* the router: deliver @msg, claimed in @to, sent from domain @from */
int com_route(struct com_domain *from, struct com_domain *to,
	      struct com_msg *msg);

int com_domains_init(void);
void com_domains_exit(void);

/* ---- sockets (com_main.c) -------------------------------------------- */

/* hands a message to its socket; called by the daemon or the router */
void com_deliver(struct com_domain *d, struct com_msg *msg);
/* the socket bound to @port in namespace @cn, with a reference */
struct sock *com_port_lookup(struct com_net *cn, int type, __be16 port);

/*
 * struct com_sock - an AF_COM socket.  Fields say what protects them;
 * "sk" means lock_sock(sk).
 */
struct com_sock {
	struct sock		sk;

	__be32			addr;		/* bound address: sk */
	__be16			port;		/* bound port, 0 = none: sk */
	__be32			peer_addr;	/* sk */
	__be16			peer_port;	/* sk */
	struct hlist_node	bind_node;	/* cn->bind_lock */
	bool			hashed;		/* cn->bind_lock */
	struct list_head	all_node;	/* cn->bind_lock */

	/* stream: the other end, one reference; set by connect or accept */
	struct sock		*peer;		/* sk */
	/* on the peer's domain's space_socks: that domain's buf_lock */
	struct list_head	space_node;
	u64			tx_seq;		/* bytes sent: sk */
	/* the last message sent, open for appending: peer's rx_lock */
	struct com_msg		*tx_last;
	bool			rst_seen;	/* ECONNRESET reported: sk */

	/* receive side */
	spinlock_t		rx_lock;
	struct list_head	rx_msgs;	/* rx_lock */
	unsigned int		rx_bytes;	/* rx_lock */
	unsigned int		rx_count;	/* rx_lock */
	u64			rx_seq;		/* bytes delivered: rx_lock */
	bool			rx_closed;	/* released: rx_lock */
	bool			peer_done;	/* peer shut down: rx_lock */
	bool			peer_rst;	/* ...and reset: rx_lock */
	u64			fin_seq;	/* peer's tx_seq then: rx_lock */
	/* blocks claimed for this socket, in flight or queued: window */
	atomic_t		rx_blocks;

	/* listener */
	struct list_head	accept_q;	/* rx_lock */
	unsigned int		accept_len;	/* rx_lock */
	struct list_head	accept_node;	/* parent's rx_lock */
	wait_queue_head_t	backlog_wq;	/* connects waiting for room */
};

static inline struct com_sock *com_sk(const struct sock *sk)
{
	return (struct com_sock *)sk;
}

/* the core (com_main.c), for the socket types */
void com_wake(struct sock *sk, __poll_t mask);
int com_check_addr(const struct sockaddr *uaddr, int len);
bool com_is_broadcast(__be32 addr);
int com_resolve(struct net *net, __be32 addr, struct com_domain **dp);
int com_autobind(struct sock *sk);
struct sock *com_sk_alloc(struct net *net, struct socket *sock, int type,
			  int kern);
void com_rx_purge(struct sock *sk);
void com_stream_send_fin(struct sock *sk, bool rst);
void com_rx_done(struct sock *sk, struct com_domain *d, struct com_msg *msg);
bool com_rx_ready(struct sock *sk, void *arg);
int com_wait_for(struct sock *sk, wait_queue_head_t *wq,
		 bool (*ready)(struct sock *sk, void *arg), void *arg,
		 long *timeo);
int com_wait_room(struct sock *sk, struct com_domain *d, unsigned int seq,
		  long *timeo);

/* proto_ops shared by both types */
int com_release(struct socket *sock);
int com_bind(struct socket *sock, struct sockaddr *uaddr, int len);
int com_getname(struct socket *sock, struct sockaddr *uaddr, int peer);
int com_ioctl(struct socket *sock, unsigned int cmd, unsigned long arg);
int com_shutdown(struct socket *sock, int how);

/* the socket types (com_stream.c, com_dgram.c) */
extern const struct proto_ops com_stream_ops_template;
extern const struct proto_ops com_dgram_ops_template;

/* ---- /proc (com_proc.c) ------------------------------------------------ */

int com_proc_init_net(struct net *net);
void com_proc_exit_net(struct net *net);

#endif /* _COM_H */
