// SPDX-License-Identifier: GPL-2.0
/*
 * AF_COM in /proc: /proc/net/comsock lists the namespace's sockets, like
 * /proc/net/unix; /proc/net/comsock_stat shows the domain's buffer use
 * and counters.
 */

#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>
#include <net/tcp_states.h>

#include "com.h"

static void *com_seq_start(struct seq_file *seq, loff_t *pos)
{
	struct com_net *cn = com_net(seq_file_net(seq));

	spin_lock(&cn->bind_lock);
	return seq_list_start_head(&cn->socks, *pos);
}

static void *com_seq_next(struct seq_file *seq, void *v, loff_t *pos)
{
	struct com_net *cn = com_net(seq_file_net(seq));

	return seq_list_next(v, &cn->socks, pos);
}

static void com_seq_stop(struct seq_file *seq, void *v)
{
	struct com_net *cn = com_net(seq_file_net(seq));

	spin_unlock(&cn->bind_lock);
}

static const char *com_state_name(int state)
{
	switch (state) {
	case TCP_ESTABLISHED:
		return "ESTABLISHED";
	case TCP_LISTEN:
		return "LISTEN";
	default:
		return "CLOSE";
	}
}

static int com_seq_show(struct seq_file *seq, void *v)
{
	struct com_net *cn = com_net(seq_file_net(seq));
	struct com_sock *csk;
	struct sock *sk;

	if (v == &cn->socks) {
		seq_puts(seq, "Num              RefCount Type   State       Local                 Peer                  RxQueue  RxBlocks Inode\n");
		return 0;
	}
	csk = list_entry(v, struct com_sock, all_node);
	sk = &csk->sk;
	seq_printf(seq, "%pK %8d %-6s %-11s %pI4:%-5u %pI4:%-5u %8u %8d %lu\n",
		   sk, refcount_read(&sk->sk_refcnt),
		   sk->sk_type == SOCK_STREAM ? "STREAM" : "DGRAM",
		   com_state_name(READ_ONCE(sk->sk_state)),
		   &csk->addr, ntohs(csk->port),
		   &csk->peer_addr, ntohs(csk->peer_port),
		   READ_ONCE(csk->rx_bytes), atomic_read(&csk->rx_blocks),
		   sock_i_ino(sk));
	return 0;
}

static const struct seq_operations com_seq_ops = {
	.start	= com_seq_start,
	.next	= com_seq_next,
	.stop	= com_seq_stop,
	.show	= com_seq_show,
};

static int com_stat_show(struct seq_file *seq, void *v)
{
	struct com_domain *d = com_own_domain(seq_file_single_net(seq));
	struct com_stats *s;

	if (!d) {
		seq_puts(seq, "domain_id -1\n");
		return 0;
	}
	s = &d->stats;
	seq_printf(seq, "domain_id %u\naddress %pI4\n", d->id, &d->addr);
	seq_printf(seq, "block_size %u\nblocks %u\nblocks_used %u\n",
		   COM_BLOCK_SIZE, d->nr_blocks, READ_ONCE(d->blocks_used));
	seq_printf(seq, "descriptors %u\ndescriptors_used %u\nqueued_now %u\n",
		   d->nr_msgs, READ_ONCE(d->msgs_used),
		   READ_ONCE(d->ring_count));
	seq_printf(seq, "daemon %s\n",
		   READ_ONCE(d->daemon_state) == COM_DAEMON_IDLE ?
		   "idle" : "busy");
	seq_printf(seq, "tx_msgs %lld\ntx_bytes %lld\nrx_msgs %lld\nrx_bytes %lld\n",
		   atomic64_read(&s->tx_msgs), atomic64_read(&s->tx_bytes),
		   atomic64_read(&s->rx_msgs), atomic64_read(&s->rx_bytes));
	seq_printf(seq, "queued %lld\ndirect %lld\nwakeups %lld\nwakeups_saved %lld\n",
		   atomic64_read(&s->queued), atomic64_read(&s->direct),
		   atomic64_read(&s->wakeups),
		   atomic64_read(&s->wakeups_saved));
	seq_printf(seq, "drops %lld\nspace_waits %lld\n",
		   atomic64_read(&s->drops), atomic64_read(&s->space_waits));
	return 0;
}

int com_proc_init_net(struct net *net)
{
	if (!proc_create_net("comsock", 0444, net->proc_net, &com_seq_ops,
			     sizeof(struct seq_net_private)))
		return -ENOMEM;
	if (!proc_create_net_single("comsock_stat", 0444, net->proc_net,
				    com_stat_show, NULL)) {
		remove_proc_entry("comsock", net->proc_net);
		return -ENOMEM;
	}
	return 0;
}

void com_proc_exit_net(struct net *net)
{
	remove_proc_entry("comsock_stat", net->proc_net);
	remove_proc_entry("comsock", net->proc_net);
}
