// SPDX-License-Identifier: GPL-2.0
/*
 * AF_COM domains: per-namespace state, the domain id sysctl, each domain's
 * block buffer with its bitmap and descriptor table, the receive queue,
 * the receive daemon and the router that picks between the daemon and
 * direct delivery.
 *
 * A domain exists from the moment its namespace is given an id until the
 * namespace goes away.  The global table maps ids to domains under RCU;
 * a sender that found a domain there holds a reference (com_domain_get)
 * while it writes into the domain's buffer.  A stream sender needs none:
 * it holds its peer socket, which holds the peer's namespace, which holds
 * the domain.
 *
 * Teardown (namespace exit) comes in two steps.  pre_exit removes the
 * sysctl and unpublishes the id, which is free for another namespace from
 * then on.  The namespace core waits for an RCU grace period before the
 * exit step, which marks the domain dead under both locks (no claim or
 * queueing succeeds after that), stops the daemon, drops what is left on
 * the receive queue, then drops the table's reference.  The memory goes
 * with the last reference.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/sched/task.h>
#include <linux/vmalloc.h>
#include <linux/slab.h>
#include <linux/bitmap.h>
#include <linux/sysctl.h>
#include <linux/rcupdate.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "com.h"

static unsigned int com_net_id __read_mostly;

static DEFINE_MUTEX(com_table_lock);
static struct com_domain __rcu *com_table[COM_DOMAIN_ID_MAX + 1];

/* init_domain: the initial namespace's domain id, -1 for none */
static int init_domain;
module_param(init_domain, int, 0444);
MODULE_PARM_DESC(init_domain,
		 "domain id of the initial network namespace, -1 for none (default 0)");

struct com_net *com_net(const struct net *net)
{
	return net_generic(net, com_net_id);
}

struct com_domain *com_own_domain(const struct net *net)
{
	/* pairs with smp_store_release() in com_domain_assign() */
	return smp_load_acquire(&com_net(net)->dom);
}

/* ---- lookup and reference counting ----------------------------------- */

struct com_domain *com_domain_get(u32 id)
{
	struct com_domain *d;

	if (id > COM_DOMAIN_ID_MAX)
		return NULL;
	rcu_read_lock();
	d = rcu_dereference(com_table[id]);
	if (d && !refcount_inc_not_zero(&d->ref))
		d = NULL;
	rcu_read_unlock();
	return d;
}

static void com_domain_free(struct com_domain *d)
{
	/* a socket on the list holds its peer, and with it this domain */
	WARN_ON_ONCE(!list_empty(&d->space_socks));
	if (d->daemon)
		put_task_struct(d->daemon);
	vfree(d->buf);
	bitmap_free(d->block_map);
	bitmap_free(d->msg_map);
	kvfree(d->msgs);
	kvfree(d->ring);
	kfree(d);
}

void com_domain_put(struct com_domain *d)
{
	if (refcount_dec_and_test(&d->ref))
		com_domain_free(d);
}

/*
 * Call @fn for every published domain, each held by a reference while @fn
 * runs (it may sleep).  Stops at the first non-zero return.
 */
int com_for_each_domain(int (*fn)(struct com_domain *d, void *arg), void *arg)
{
	struct com_domain *d;
	int id, ret = 0;

	for (id = 0; id <= COM_DOMAIN_ID_MAX && !ret; id++) {
		d = com_domain_get(id);
		if (!d)
			continue;
		ret = fn(d, arg);
		com_domain_put(d);
	}
	return ret;
}

/*
 * com_domain_find - the socket of @type bound to @port in domain @d, with
 * a reference.  @d may belong to a namespace on its way out: its com_net
 * is only touched inside the RCU section in which @d is still published,
 * and teardown waits for that section before the namespace is freed.
 */
struct sock *com_domain_find(struct com_domain *d, int type, __be16 port)
{
	struct sock *sk = NULL;

	rcu_read_lock();
	if (rcu_dereference(com_table[d->id]) == d)
		sk = com_port_lookup(d->cn, type, port);
	rcu_read_unlock();
	return sk;
}

/* ---- the buffer -------------------------------------------------------- */

/*
 * com_msg_claim - claim a descriptor and a run of blocks in @d's buffer.
 * @want: blocks wanted
 * @min: the fewest blocks acceptable (a stream takes what it can get)
 *
 * Returns 0 and the message, -ENOSPC when the buffer is full (the caller
 * waits on space_wq, see com_wait_room()) or -EHOSTUNREACH when the
 * domain is going away.
 */
int com_msg_claim(struct com_domain *d, unsigned int want, unsigned int min,
		  struct com_msg **msgp)
{
	unsigned long pos = d->nr_blocks;
	struct com_msg *msg;
	unsigned int slot, n;

	spin_lock(&d->buf_lock);
	if (unlikely(d->dead)) {
		spin_unlock(&d->buf_lock);
		return -EHOSTUNREACH;
	}
	if (d->msgs_used == d->nr_msgs ||
	    d->nr_blocks - d->blocks_used < min)
		goto full;
	n = want;
	for (;;) {
		pos = bitmap_find_next_zero_area(d->block_map, d->nr_blocks,
						 d->block_hint, n, 0);
		if (pos >= d->nr_blocks && d->block_hint)
			pos = bitmap_find_next_zero_area(d->block_map,
							 d->nr_blocks, 0, n, 0);
		if (pos < d->nr_blocks || n == min)
			break;
		n = max(n / 2, min);
	}
	if (pos >= d->nr_blocks)
		goto full;

	slot = find_first_zero_bit(d->msg_map, d->nr_msgs);
	__set_bit(slot, d->msg_map);
	d->msgs_used++;
	bitmap_set(d->block_map, pos, n);
	d->blocks_used += n;
	d->block_hint = pos + n < d->nr_blocks ? pos + n : 0;
	spin_unlock(&d->buf_lock);

	msg = &d->msgs[slot];
	memset(msg, 0, sizeof(*msg));
	INIT_LIST_HEAD(&msg->node);
	msg->block = pos;
	msg->nr_blocks = n;
	*msgp = msg;
	atomic64_inc(&d->stats.tx_msgs);
	return 0;
full:
	spin_unlock(&d->buf_lock);
	return -ENOSPC;
}

/*
 * com_msg_free - give the blocks and the descriptor back (the paper's
 * clearing of the bitmap bit), and wake senders waiting for room: those
 * asleep in a write on space_wq, and the sockets that asked for it
 * (com_domain_watch_room()) on their own wait queues.
 */
void com_msg_free(struct com_domain *d, struct com_msg *msg)
{
	unsigned int slot = msg - d->msgs;
	struct com_sock *csk, *tmp;

	spin_lock(&d->buf_lock);
	bitmap_clear(d->block_map, msg->block, msg->nr_blocks);
	d->blocks_used -= msg->nr_blocks;
	__clear_bit(slot, d->msg_map);
	d->msgs_used--;
	WRITE_ONCE(d->free_seq, d->free_seq + 1);
	/* a socket on the list is alive: close takes it off under buf_lock */
	list_for_each_entry_safe(csk, tmp, &d->space_socks, space_node) {
		list_del_init(&csk->space_node);
		com_wake(&csk->sk, EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND);
	}
	spin_unlock(&d->buf_lock);

	/* wq_has_sleeper() pairs with the smp_mb() in com_wait() */
	if (wq_has_sleeper(&d->space_wq))
		wake_up_interruptible(&d->space_wq);
}

/*
 * com_domain_watch_room - does @d have room for a message of one block?
 * If not, @sk, a stream socket whose peer lives in @d, is woken on its own
 * wait queue (EPOLLOUT) at the next free.  poll, select and epoll wait on
 * that queue only: epoll registers its wait queues once, at
 * EPOLL_CTL_ADD, when the socket may not even be connected.  Checking and
 * listing under buf_lock, which every free takes, loses no wakeup.
 */
bool com_domain_watch_room(struct com_domain *d, struct sock *sk)
{
	struct com_sock *csk = com_sk(sk);
	bool room;

	spin_lock(&d->buf_lock);
	room = d->dead ||
	       (d->msgs_used < d->nr_msgs && d->blocks_used < d->nr_blocks);
	if (!room && list_empty(&csk->space_node))
		list_add_tail(&csk->space_node, &d->space_socks);
	spin_unlock(&d->buf_lock);
	return room;
}

/* Take @sk off @d's list; before @sk lets go of its peer in @d. */
void com_domain_unwatch_room(struct com_domain *d, struct sock *sk)
{
	spin_lock(&d->buf_lock);
	list_del_init(&com_sk(sk)->space_node);
	spin_unlock(&d->buf_lock);
}

/* ---- the receive queue and its daemon ---------------------------------- */

static struct com_msg *com_ring_pop(struct com_domain *d)
{
	struct com_msg *msg = NULL;

	spin_lock(&d->recv_lock);
	if (d->ring_count) {
		msg = &d->msgs[d->ring[d->ring_head]];
		d->ring_head = (d->ring_head + 1) % d->nr_msgs;
		WRITE_ONCE(d->ring_count, d->ring_count - 1);
	}
	spin_unlock(&d->recv_lock);
	return msg;
}

/*
 * The receive daemon: take descriptors off the queue and hand them to
 * their sockets.  Its status flag tells senders whether it needs a wakeup
 * (the paper's rule: only an idle daemon is interrupted).
 *
 *	daemon				sender
 *	state = IDLE			queue descriptor
 *	smp_mb()			smp_mb()
 *	queue empty? -> sleep		IDLE -> BUSY (cmpxchg)? -> wake it
 *
 * At least one side sees the other's store, so no descriptor is left
 * behind with the daemon asleep; the cmpxchg lets only one sender wake
 * it per idle period.
 */
static int com_daemon(void *data)
{
	struct com_domain *d = data;
	struct com_msg *msg;

	while (!kthread_should_stop()) {
		msg = com_ring_pop(d);
		if (msg) {
			com_deliver(d, msg);
			cond_resched();
			continue;
		}
		set_current_state(TASK_INTERRUPTIBLE);
		WRITE_ONCE(d->daemon_state, COM_DAEMON_IDLE);
		/* idle flag before ring_count; pairs with the barrier in com_route() */
		smp_mb();
		if (READ_ONCE(d->ring_count) || kthread_should_stop()) {
			__set_current_state(TASK_RUNNING);
			WRITE_ONCE(d->daemon_state, COM_DAEMON_BUSY);
			continue;
		}
		schedule();
		WRITE_ONCE(d->daemon_state, COM_DAEMON_BUSY);
	}
	return 0;
}

/*
 * com_route - the router: a message inside one domain goes straight to its
 * socket; a message to another domain is queued for that domain's daemon,
 * which is woken only when idle.
 */
int com_route(struct com_domain *from, struct com_domain *to,
	      struct com_msg *msg)
{
	unsigned int tail;

	atomic64_add(msg->len, &to->stats.tx_bytes);
	if (from == to) {
		atomic64_inc(&to->stats.direct);
		com_deliver(to, msg);
		return 0;
	}

	spin_lock(&to->recv_lock);
	if (unlikely(to->dead)) {
		spin_unlock(&to->recv_lock);
		if (msg->dst)
			sock_put(msg->dst);
		com_msg_free(to, msg);
		return -EHOSTUNREACH;
	}
	/* never full: one slot per descriptor */
	tail = (to->ring_head + to->ring_count) % to->nr_msgs;
	to->ring[tail] = msg - to->msgs;
	WRITE_ONCE(to->ring_count, to->ring_count + 1);
	spin_unlock(&to->recv_lock);
	atomic64_inc(&to->stats.queued);

	/* ring_count before the idle flag; pairs with the daemon's barrier */
	smp_mb();
	/*
	 * the first sender to find the daemon idle marks it busy and wakes
	 * it; the others see it busy
	 */
	if (READ_ONCE(to->daemon_state) == COM_DAEMON_IDLE &&
	    cmpxchg(&to->daemon_state, COM_DAEMON_IDLE, COM_DAEMON_BUSY) ==
	    COM_DAEMON_IDLE) {
		atomic64_inc(&to->stats.wakeups);
		wake_up_process(to->daemon);
	} else {
		atomic64_inc(&to->stats.wakeups_saved);
	}
	return 0;
}

/* ---- creation and teardown ---------------------------------------------- */

static struct com_domain *com_domain_alloc(u32 id)
{
	struct com_domain *d;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return NULL;
	refcount_set(&d->ref, 1);
	d->id = id;
	d->addr = htonl(COM_ADDR(id));
	spin_lock_init(&d->buf_lock);
	spin_lock_init(&d->recv_lock);
	init_waitqueue_head(&d->space_wq);
	INIT_LIST_HEAD(&d->space_socks);
	d->daemon_state = COM_DAEMON_BUSY;
	d->nr_blocks = com_blocks;
	d->nr_msgs = com_queue_len;

	d->buf = vmalloc((size_t)d->nr_blocks << COM_BLOCK_SHIFT);
	d->block_map = bitmap_zalloc(d->nr_blocks, GFP_KERNEL);
	d->msg_map = bitmap_zalloc(d->nr_msgs, GFP_KERNEL);
	d->msgs = kvcalloc(d->nr_msgs, sizeof(*d->msgs), GFP_KERNEL);
	d->ring = kvcalloc(d->nr_msgs, sizeof(*d->ring), GFP_KERNEL);
	if (!d->buf || !d->block_map || !d->msg_map || !d->msgs || !d->ring) {
		com_domain_free(d);
		return NULL;
	}
	return d;
}

/*
 * Give namespace @cn the domain id @id.  The id is set once: writing the
 * same id again is accepted, another one is -EBUSY; an id in use by
 * another namespace is -EADDRINUSE.
 */
static int com_domain_assign(struct com_net *cn, int id)
{
	struct com_domain *d;
	int err = 0;

	if (id < 0 || id > COM_DOMAIN_ID_MAX)
		return -EINVAL;

	mutex_lock(&cn->id_lock);
	if (cn->dom) {
		err = cn->dom->id == id ? 0 : -EBUSY;
		goto out_unlock;
	}
	d = com_domain_alloc(id);
	if (!d) {
		err = -ENOMEM;
		goto out_unlock;
	}
	d->cn = cn;
	d->daemon = kthread_create(com_daemon, d, "com_rx/%d", id);
	if (IS_ERR(d->daemon)) {
		err = PTR_ERR(d->daemon);
		d->daemon = NULL;
		goto out_free;
	}
	/*
	 * the task lives as long as the domain: a datagram sender holding
	 * only the domain may wake the daemon while teardown stops it
	 */
	get_task_struct(d->daemon);

	mutex_lock(&com_table_lock);
	if (rcu_access_pointer(com_table[id])) {
		mutex_unlock(&com_table_lock);
		err = -EADDRINUSE;
		goto out_stop;
	}
	rcu_assign_pointer(com_table[id], d);
	mutex_unlock(&com_table_lock);

	wake_up_process(d->daemon);
	/* pairs with smp_load_acquire() in com_own_domain() */
	smp_store_release(&cn->dom, d);
	mutex_unlock(&cn->id_lock);
	return 0;

out_stop:
	kthread_stop(d->daemon);
out_free:
	com_domain_free(d);
out_unlock:
	mutex_unlock(&cn->id_lock);
	return err;
}

static void com_domain_unpublish(struct com_domain *d)
{
	mutex_lock(&com_table_lock);
	RCU_INIT_POINTER(com_table[d->id], NULL);
	mutex_unlock(&com_table_lock);
}

/* @d was unpublished, and an RCU grace period has passed since */
static void com_domain_teardown(struct com_domain *d)
{
	struct com_msg *msg;

	spin_lock(&d->recv_lock);
	spin_lock(&d->buf_lock);
	WRITE_ONCE(d->dead, true);
	spin_unlock(&d->buf_lock);
	spin_unlock(&d->recv_lock);
	wake_up_interruptible_all(&d->space_wq);

	kthread_stop(d->daemon);

	/*
	 * only datagrams can be left: a stream message pins its socket and
	 * with it this namespace
	 */
	while ((msg = com_ring_pop(d))) {
		if (msg->dst)
			sock_put(msg->dst);
		com_msg_free(d, msg);
		atomic64_inc(&d->stats.drops);
	}
	com_domain_put(d);
}

/* ---- sysctl net.com.domain_id ------------------------------------------- */

static int com_sysctl_domain_id(struct ctl_table *table, int write,
				void *buffer, size_t *lenp, loff_t *ppos)
{
	struct com_net *cn = table->data;
	struct com_domain *d = READ_ONCE(cn->dom);
	int minus_one = -1, max = COM_DOMAIN_ID_MAX;
	int val = d ? d->id : -1;
	struct ctl_table tmp = {
		.data = &val,
		.maxlen = sizeof(val),
		.extra1 = &minus_one,
		.extra2 = &max,
	};
	int err;

	err = proc_dointvec_minmax(&tmp, write, buffer, lenp, ppos);
	if (err || !write)
		return err;
	if (val < 0)
		return d ? -EBUSY : 0;
	return com_domain_assign(cn, val);
}

static const struct ctl_table com_sysctl_template[] = {
	{
		.procname	= "domain_id",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= com_sysctl_domain_id,
	},
	{ }
};

/* ---- per-namespace init and exit ---------------------------------------- */

static int __net_init com_net_init(struct net *net)
{
	struct com_net *cn = com_net(net);
	struct ctl_table *tbl;
	int i, err;

	cn->net = net;
	mutex_init(&cn->id_lock);
	spin_lock_init(&cn->bind_lock);
	for (i = 0; i < COM_PORT_HASH; i++) {
		INIT_HLIST_HEAD(&cn->stream_ports[i]);
		INIT_HLIST_HEAD(&cn->dgram_ports[i]);
	}
	INIT_LIST_HEAD(&cn->socks);
	cn->next_port = COM_EPHEMERAL_LOW +
		get_random_u32_below(COM_EPHEMERAL_HIGH - COM_EPHEMERAL_LOW + 1);

	tbl = kmemdup(com_sysctl_template, sizeof(com_sysctl_template),
		      GFP_KERNEL);
	if (!tbl)
		return -ENOMEM;
	tbl[0].data = cn;
	cn->sysctl = register_net_sysctl(net, "net/com", tbl);
	if (!cn->sysctl) {
		err = -ENOMEM;
		goto out_tbl;
	}
	err = com_proc_init_net(net);
	if (err)
		goto out_sysctl;
	if (net_eq(net, &init_net) && init_domain >= 0) {
		err = com_domain_assign(cn, init_domain);
		if (err)
			goto out_proc;
	}
	return 0;

out_proc:
	com_proc_exit_net(net);
out_sysctl:
	unregister_net_sysctl_table(cn->sysctl);
out_tbl:
	kfree(tbl);
	return err;
}

/*
 * The first step of teardown: the sysctl goes (after it, no writer is
 * left and none can come, so the domain is final), and the id is free for
 * another namespace at once.  The namespace core calls synchronize_rcu()
 * between pre_exit and exit (for every namespace that dies, a failed setup
 * and unregistering alike), so a lookup that found the domain in the
 * table, and com_domain_find()'s look at the port tables, are over before
 * com_net_exit() runs.
 */
static void __net_exit com_net_pre_exit(struct net *net)
{
	struct com_net *cn = com_net(net);
	struct ctl_table *tbl = cn->sysctl->ctl_table_arg;

	unregister_net_sysctl_table(cn->sysctl);
	kfree(tbl);
	cn->sysctl = NULL;
	if (cn->dom)
		com_domain_unpublish(cn->dom);
}

static void __net_exit com_net_exit(struct net *net)
{
	struct com_net *cn = com_net(net);

	com_proc_exit_net(net);
	if (cn->dom) {
		com_domain_teardown(cn->dom);
		cn->dom = NULL;
	}
	WARN_ON_ONCE(!list_empty(&cn->socks));
}

static struct pernet_operations com_net_ops = {
	.init		= com_net_init,
	.pre_exit	= com_net_pre_exit,
	.exit		= com_net_exit,
	.id		= &com_net_id,
	.size		= sizeof(struct com_net),
};

int com_domains_init(void)
{
	if (init_domain < -1 || init_domain > COM_DOMAIN_ID_MAX) {
		pr_err("init_domain=%d out of range -1..%d\n",
		       init_domain, COM_DOMAIN_ID_MAX);
		return -EINVAL;
	}
	return register_pernet_subsys(&com_net_ops);
}

void com_domains_exit(void)
{
	unregister_pernet_subsys(&com_net_ops);
}
