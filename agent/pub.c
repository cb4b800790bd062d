/*
 * pub.c - publish the node's state and view into the shared segment.
 *
 * Only what changed is written, and the doorbell is rung once per change
 * with the kinds that changed; with nobody waiting, no system call is made.
 */
#include <netinet/in.h>
#include <string.h>

#include "agent.h"

static struct {
	int valid;
	uint64_t w[FOTOS_SW_NWORDS];
	uint64_t view_id;
	int in_network;
} last;

static void member_record(const struct agent *a, int i, uint64_t inc, struct fotos_shm_member *m)
{
	const struct conf_node *n = &a->conf.nodes[i];

	memset(m, 0, sizeof(*m));
	memcpy(m->name, n->name, sizeof(m->name));
	m->incarnation = inc;
	m->index = (uint32_t)i;
	m->family = n->addr.ss_family;
	if (n->addr.ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)&n->addr;

		m->port = ntohs(s->sin_port);
		memcpy(m->addr, &s->sin_addr, 4);
	} else {
		const struct sockaddr_in6 *s = (const void *)&n->addr;

		m->port = ntohs(s->sin6_port);
		memcpy(m->addr, &s->sin6_addr, 16);
	}
}

void pub_segment_params(const struct agent *a, struct shm_params *sp)
{
	memset(sp, 0, sizeof(*sp));
	sp->name = a->conf.shm_name;
	sp->control_path = a->conf.control_path;
	sp->node_name = a->conf.nodes[a->self].name;
	sp->cluster_name = a->conf.cluster;
	/* Readable by the agent's user and its group only (access.c). */
	sp->mode = 0640;
	sp->set_gid = a->access.have_group;
	sp->gid = (unsigned int)a->access.gid;
	sp->db_max_keys = a->conf.db_max_keys;
	sp->db_max_key = a->conf.db_max_key;
	sp->db_max_val = a->conf.db_max_value;
	sp->db_nclock = a->conf.nnodes;
	/* Ten ticks without a heartbeat, and never under a second: dead. */
	sp->stale_after_ns = 10 * a->tick_ns > 1000000000ull ? 10 * a->tick_ns : 1000000000ull;
}

void pub_all(struct agent *a)
{
	const struct memb *mb = &a->memb;
	uint64_t w[FOTOS_SW_NWORDS] = { 0 };
	unsigned int bell = 0;
	int op = mb->in_network && (mb->state == FOTOS_ST_STABLE || mb->state == FOTOS_ST_UNSTABLE);

	w[FOTOS_SW_STATE] = (uint64_t)mb->state;
	w[FOTOS_SW_STABLE] = op && mb->state == FOTOS_ST_STABLE;
	w[FOTOS_SW_PRIMARY] = (uint64_t)memb_primary(a);
	w[FOTOS_SW_EPOCH] = mb->in_network ? mb->view.epoch : 0;
	w[FOTOS_SW_VIEW_ID] = mb->in_network ? mb->view.view_id : 0;
	w[FOTOS_SW_NODE_INDEX] = (uint64_t)a->self;
	w[FOTOS_SW_INCARNATION] = a->incarnation;
	w[FOTOS_SW_REMOVED] = mb->removed_count;

	if (!last.valid || last.view_id != w[FOTOS_SW_VIEW_ID] || last.in_network != mb->in_network) {
		static struct fotos_shm_view v;
		int i;

		memset(&v, 0, sizeof(v));
		if (mb->in_network) {
			v.epoch = mb->view.epoch;
			v.view_id = mb->view.view_id;
			v.net_id = mb->view.net_id;
			for (i = 0; i < FOTOS_MAX_NODES; i++)
				if (mb->view.members & mask_of(i))
					member_record(a, i, mb->view.inc[i], &v.members[v.count++]);
		}
		/* The view first, then the state words that name it: a reader
		 * that sees the new epoch finds the new view already there. */
		shm_publish_view(&a->seg, &v);
		bell |= SHM_BELL_VIEW;
	}
	if (!last.valid || memcmp(last.w, w, sizeof(w))) {
		shm_publish_state(&a->seg, w);
		if (!last.valid || last.w[FOTOS_SW_STABLE] != w[FOTOS_SW_STABLE])
			bell |= SHM_BELL_STABLE;
		if (!last.valid || last.w[FOTOS_SW_STATE] != w[FOTOS_SW_STATE] ||
		    last.w[FOTOS_SW_REMOVED] != w[FOTOS_SW_REMOVED])
			bell |= SHM_BELL_STATE;
	}
	if (bell)
		shm_ring(&a->seg, bell);
	memcpy(last.w, w, sizeof(w));
	last.view_id = w[FOTOS_SW_VIEW_ID];
	last.in_network = mb->in_network;
	last.valid = 1;
}

void pub_heartbeat(struct agent *a)
{
	shm_heartbeat(&a->seg);
}
