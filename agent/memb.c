/*
 * memb.c - the FOTOS membership procedures.
 *
 * No leader, no election. Any node may propose a new view; a proposal is a
 * two-phase exchange between real processes: PROPOSE to every participant
 * (the members of the new view other than the proposer), a VOTE back from
 * each, then COMMIT or ABORT. A participant votes yes only if it is in no
 * other procedure (one at a time), the proposal changes the view it has,
 * and it has a live link to every member of the new view with the same
 * incarnation (full mesh). A node removed from the view is not asked: all
 * other members must agree, which is the FOTOS removal rule.
 *
 *   START   nodes in no network, all seeing each other, form one. Proposed
 *           by the lowest-indexed of them, so concurrent starts make one
 *           network; others step in only after a grace period.
 *   JOIN    a node that sees every member of a network proposes itself;
 *           a busy member answers BUSY and the joiner retries.
 *   REMOVE  members that are down first-hand, restarted (new incarnation),
 *           left, or that gossip shows have a broken link (the one with the
 *           most broken links goes, ties to the highest index: the same
 *           choice on every node). Proposed by the lowest-indexed remaining
 *           member; others after a grace period.
 *
 * Hold-down (no churn): a node removed while its process lived on (a
 * flapping link, a pause) may join again only once its link has been up for
 * hold_down_ms since the removal, doubling with each further removal up to
 * 64 times; a restarted node (new incarnation) joins at once unless it
 * crash-loops. The count decays once it has been a member for a while.
 *
 * Primary: with arbiter = majority, a stable view of more than half of the
 * configured nodes, or exactly half holding the first configured node. Two
 * such views cannot exist on disjoint sides. A node that leaves a network
 * waits out a quarantine (timeout + 2 heartbeats) before it joins another,
 * so the members it left have noticed before it counts elsewhere.
 *
 * A participant that loses the proposer while voted yes asks the other
 * participants (QUERY): if any committed, it commits; if every live one
 * answers "not committed" (having lost the proposer too), all abort. A
 * node that hears from a member of a newer view without itself was removed:
 * it says so at once and joins again. Two networks that see each other
 * merge: the smaller (then the one without the lowest index) dissolves and
 * its nodes join the other one by one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "log.h"

static int operational(int st)
{
	return st == FOTOS_ST_STABLE || st == FOTOS_ST_UNSTABLE;
}

static const char *nname(const struct agent *a, int i)
{
	return i >= 0 && (unsigned)i < a->conf.nnodes ? a->conf.nodes[i].name : "?";
}

static int lowest(uint64_t m)
{
	return m ? __builtin_ctzll(m) : -1;
}

static int pid_eq(const struct wire_pid *x, const struct wire_pid *y)
{
	return x->incarnation == y->incarnation && x->seq == y->seq && x->proposer == y->proposer;
}

static void remember(struct wire_pid *ring, unsigned int *next, const struct wire_pid *pid)
{
	ring[*next % ABORTED_RING] = *pid;
	(*next)++;
}

static int in_ring(const struct wire_pid *ring, const struct wire_pid *pid)
{
	int i;

	for (i = 0; i < ABORTED_RING; i++)
		if (ring[i].incarnation && pid_eq(&ring[i], pid))
			return 1;
	return 0;
}

/* Text form of a member mask for logs. */
static const char *mtext(const struct agent *a, uint64_t m)
{
	static char buf[FOTOS_MAX_NODES * FOTOS_NAME_MAX];
	size_t off = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < FOTOS_MAX_NODES && off < sizeof(buf) - FOTOS_NAME_MAX - 2; i++)
		if (m & mask_of(i))
			off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s",
						off ? "," : "", nname(a, i));
	return off ? buf : "-";
}

void memb_init(struct agent *a)
{
	struct memb *mb = &a->memb;

	memset(mb, 0, sizeof(*mb));
	mb->state = FOTOS_ST_STARTING;
	mb->start_ns = a->now ? a->now : now_ns();
	mb->backoff_ms = a->conf.retry_min_ms;
}

int memb_primary(const struct agent *a)
{
	return arbiter_primary(a);
}

uint64_t memb_hold_ms(const struct agent *a, int peer)
{
	const struct peer *p = &a->peers[peer];
	uint32_t k;

	if (!a->conf.hold_down_ms || !p->removals)
		return 0;
	if (p->incarnation == p->removed_inc)
		k = p->removals - 1;		/* same life: it flapped */
	else if (p->removals >= 3)
		k = p->removals - 3;		/* restarted, again and again */
	else
		return 0;
	return (uint64_t)a->conf.hold_down_ms << (k > 6 ? 6 : k);
}

static void quarantine(struct agent *a)
{
	a->memb.quarantine_until_ns = a->now + ((uint64_t)a->conf.timeout_ms +
						2ull * a->conf.heartbeat_ms) * 1000000ull;
}

void memb_status(const struct agent *a, struct wire_status *st)
{
	const struct memb *mb = &a->memb;

	memset(st, 0, sizeof(*st));
	st->state = (uint8_t)mb->state;
	st->busy = (uint8_t)(mb->proposing || mb->locked);
	st->seen = mesh_seen(a);
	if (mb->in_network) {
		st->epoch = mb->view.epoch;
		st->view_id = mb->view.view_id;
		st->net_id = mb->view.net_id;
		st->members = mb->view.members;
	}
}

/* Has a live link to node i with the given incarnation (self: ours). */
static int sees(const struct agent *a, int i, uint64_t inc)
{
	if (i == a->self)
		return inc == a->incarnation;
	return a->peers[i].up && a->peers[i].incarnation == inc;
}

/* What node i reports it sees (self: first-hand). ~0 if unknown. */
static uint64_t seen_by(const struct agent *a, int i)
{
	if (i == a->self)
		return mesh_seen(a);
	if (a->peers[i].up && a->peers[i].have_st)
		return a->peers[i].st.seen;
	return ~0ull;
}

/* What member i says it sees of the current view, ~0 if it has not spoken
 * of this view yet (gossip from before it is no evidence). */
static uint64_t reported_seen(const struct agent *a, int i)
{
	if (i != a->self && a->peers[i].have_st &&
	    a->peers[i].st.view_id != a->memb.view.view_id)
		return ~0ull;
	return seen_by(a, i);
}

/* Delay before retrying a procedure: grows on each failure, and lower
 * indices retry first so that conflicting proposers do not meet again. */
static void retry_later(struct agent *a)
{
	struct memb *mb = &a->memb;
	uint32_t ms = mb->backoff_ms * (1 + (uint32_t)a->self % 8);

	ms += (uint32_t)rand() % (mb->backoff_ms + 1);
	mb->next_try_ns = a->now + (uint64_t)ms * 1000000ull;
	mb->backoff_ms *= 2;
	if (mb->backoff_ms > a->conf.retry_max_ms)
		mb->backoff_ms = a->conf.retry_max_ms;
}

static void send_pid(struct agent *a, int peer, int type, const struct wire_pid *pid)
{
	struct wire_msg m = { .type = (uint8_t)type };

	m.u.pid = *pid;
	mesh_send(a, peer, &m);
}

static void send_to_mask(struct agent *a, uint64_t mask, int type, const struct wire_pid *pid)
{
	int i;

	for (i = 0; i < (int)a->conf.nnodes; i++)
		if ((mask & mask_of(i)) && i != a->self && a->peers[i].up)
			send_pid(a, i, type, pid);
}

static void set_state(struct agent *a, int state)
{
	if (a->memb.state != state) {
		log_info("state %s -> %s", fotos_state_name((uint64_t)a->memb.state),
			 fotos_state_name((uint64_t)state));
		a->memb.state = state;
	}
}

/* Install the view a proposal describes: the agreed change. */
static void install(struct agent *a, const struct proposal *pr)
{
	struct memb *mb = &a->memb;
	const struct wire_propose *p = &pr->p;
	uint64_t h, old_members = mb->in_network ? mb->view.members : 0;
	int was_in = mb->in_network;
	unsigned int i;

	if (!(p->members & mask_of(a->self))) {
		log_err("refusing to install a view without self");
		return;
	}
	if (mb->in_network) {
		uint64_t gone = mb->view.members & ~p->members;

		for (i = 0; i < FOTOS_MAX_NODES; i++)
			if (gone & mask_of((int)i)) {
				a->peers[i].removals++;
				a->peers[i].removed_inc = mb->view.inc[i];
				a->peers[i].removed_ns = a->now;
			}
	}
	mb->view.epoch = p->kind == WIRE_KIND_START ? 1 : p->base_epoch + 1;
	mb->view.net_id = p->net_id;
	mb->view.members = p->members;
	memcpy(mb->view.inc, pr->inc, sizeof(mb->view.inc));
	mb->view.from = p->pid;
	h = wire_hash(&p->pid, sizeof(p->pid), mb->view.epoch);
	h = wire_hash(&p->members, sizeof(p->members), h);
	h = wire_hash(&p->net_id, sizeof(p->net_id), h);
	mb->view.view_id = h ? h : 1;
	mb->in_network = 1;
	mb->views_installed++;
	remember(mb->committed, &mb->committed_next, &p->pid);
	mb->backoff_ms = a->conf.retry_min_ms;
	mb->need_since_ns = 0;
	/* Gossip from before this view says nothing about it: wait for fresh. */
	for (i = 0; i < a->conf.nnodes; i++) {
		a->peers[i].have_st = 0;
		a->peers[i].mismatch_ns = 0;
	}
	log_info("view epoch %llu id %016llx members %s (by %s)",
		 (unsigned long long)mb->view.epoch, (unsigned long long)mb->view.view_id,
		 mtext(a, mb->view.members), nname(a, p->pid.proposer));
	/* unstable until every member says it holds the view too */
	set_state(a, (p->members & ~mask_of(a->self)) ? FOTOS_ST_UNSTABLE : FOTOS_ST_STABLE);
	a->dirty = 1;
	pub_all(a);
	mesh_broadcast_status(a);
	db_on_view(a, old_members, was_in);
	txn_on_view(a);
}

static void abort_mine(struct agent *a, const char *why)
{
	struct memb *mb = &a->memb;

	if (!mb->proposing)
		return;
	log_info("proposal %u aborted: %s", mb->mine.p.pid.seq, why);
	send_to_mask(a, mb->mine.participants, WIRE_ABORT, &mb->mine.p.pid);
	remember(mb->aborted, &mb->aborted_next, &mb->mine.p.pid);
	mb->proposing = 0;
	retry_later(a);
	a->dirty = 1;
}

static void commit_mine(struct agent *a)
{
	struct memb *mb = &a->memb;

	send_to_mask(a, mb->mine.participants, WIRE_COMMIT, &mb->mine.p.pid);
	/* Hand the COMMITs to the kernel before anything else: a stall of
	 * this process from here on must not keep them from the others. */
	loop_flush(a);
	mb->proposing = 0;
	install(a, &mb->mine);
}

static void unlock(struct agent *a, int aborted)
{
	struct memb *mb = &a->memb;

	if (aborted)
		remember(mb->aborted, &mb->aborted_next, &mb->lock.p.pid);
	mb->locked = 0;
	mb->lock.querying = 0;
	a->dirty = 1;
}

/*
 * Propose a view of members (kind, base = the current view or none).
 * Every participant must be seen, with the incarnation we put in it.
 */
static void propose(struct agent *a, int kind, uint64_t members, const struct wire_status *base)
{
	struct memb *mb = &a->memb;
	struct proposal *pr = &mb->mine;
	struct wire_msg m = { .type = WIRE_PROPOSE };
	unsigned int n = 0;
	int i;

	memset(pr, 0, sizeof(*pr));
	pr->p.pid.incarnation = a->incarnation;
	pr->p.pid.seq = ++mb->seq;
	pr->p.pid.proposer = (uint16_t)a->self;
	pr->p.kind = (uint8_t)kind;
	pr->p.members = members;
	if (kind == WIRE_KIND_START) {
		pr->p.net_id = wire_hash(&pr->p.pid, sizeof(pr->p.pid), 0x6e6574);
	} else if (base) {
		/* JOIN: the view of the network we join, as its members say */
		pr->p.base_view_id = base->view_id;
		pr->p.base_epoch = base->epoch;
		pr->p.net_id = base->net_id;
	} else {
		pr->p.base_view_id = mb->view.view_id;
		pr->p.base_epoch = mb->view.epoch;
		pr->p.net_id = mb->view.net_id;
	}
	for (i = 0; i < FOTOS_MAX_NODES; i++) {
		if (!(members & mask_of(i)))
			continue;
		pr->inc[i] = i == a->self ? a->incarnation : a->peers[i].incarnation;
		pr->p.incarnations[n++] = pr->inc[i];
	}
	pr->p.count = (uint8_t)n;
	pr->participants = members & ~mask_of(a->self);
	pr->started_ns = a->now;
	mb->proposing = 1;
	log_info("proposing %s: members %s",
		 kind == WIRE_KIND_START ? "start" : kind == WIRE_KIND_JOIN ? "join" : "removal",
		 mtext(a, members));
	if (!pr->participants) {
		commit_mine(a);
		return;
	}
	m.u.propose = pr->p;
	for (i = 0; i < (int)a->conf.nnodes; i++)
		if (pr->participants & mask_of(i))
			mesh_send(a, i, &m);
}

/* This node learned it is no longer a member: say so, then join again. */
static void become_removed(struct agent *a, int by)
{
	struct memb *mb = &a->memb;

	log_warn("removed from the network (learned from %s): joining again", nname(a, by));
	abort_mine(a, "removed from the network");
	if (mb->locked)
		unlock(a, 1);
	mb->removed_count++;
	mb->in_network = 0;
	quarantine(a);
	memset(&mb->view, 0, sizeof(mb->view));
	set_state(a, FOTOS_ST_REMOVED);
	mb->next_try_ns = 0;
	pub_all(a);
	mesh_broadcast_status(a);
}

/* Leave our network to merge into a better one seen (see the top). */
static void leave_for_merge(struct agent *a, int via)
{
	struct memb *mb = &a->memb;

	log_info("network of %s is preferred to ours: leaving to join it", nname(a, via));
	mb->in_network = 0;
	quarantine(a);
	memset(&mb->view, 0, sizeof(mb->view));
	set_state(a, FOTOS_ST_JOINING);
	pub_all(a);
	mesh_broadcast_status(a);
}

/* True if network x (members mask) is preferred to network y: the primary
 * one (when the arbiter can tell from the members), then the larger, then
 * the one with the lowest node. */
static int better_network(const struct agent *a, uint64_t x, uint64_t y)
{
	int cx = __builtin_popcountll(x), cy = __builtin_popcountll(y);
	int px = arbiter_primary_of(a, x), py = arbiter_primary_of(a, y);

	if (px >= 0 && py >= 0 && px != py)
		return px > py;
	if (cx != cy)
		return cx > cy;
	return lowest(x) < lowest(y);
}

/*
 * Members that must go, as every node would compute it from what it knows:
 * first-hand down, restarted, left; then, from gossip of the current view,
 * break remaining broken pairs by dropping the node with most broken links
 * (ties: highest index). Returns -1 if this node learned it was removed.
 */
/* Does a member other than us report, since our link to m went down,
 * that it still sees m? */
static int others_still_see(const struct agent *a, int m)
{
	int k;

	for (k = 0; k < (int)a->conf.nnodes; k++) {
		const struct peer *p = &a->peers[k];

		if (k == a->self || k == m || !(a->memb.view.members & mask_of(k)))
			continue;
		if (p->up && p->have_st && p->st_rx_ns > a->peers[m].down_ns &&
		    (p->st.seen & mask_of(m)))
			return 1;
	}
	return 0;
}

static int64_t to_remove(struct agent *a, uint64_t *firsthand, int *deferred)
{
	struct memb *mb = &a->memb;
	uint64_t members = mb->view.members, out = 0, rest;
	int i, j;

	uint64_t grace = (uint64_t)a->conf.timeout_ms * 1000000ull;
	int fresh = 0, confirm = 0, stuck = 0;

	for (i = 0; i < (int)a->conf.nnodes; i++) {
		struct peer *p = &a->peers[i];

		if (!(members & mask_of(i)) || i == a->self)
			continue;
		if (!p->up && i < a->self && a->now - p->down_ns < 3 * grace &&
		    others_still_see(a, i)) {
			/* Only our link to a lower node broke, and it lives: of a
			 * broken pair the higher end goes (the same choice every
			 * node makes from gossip), so we wait to be removed. */
			*deferred = 1;
			continue;
		}
		if (!p->up || p->incarnation != mb->view.inc[i]) {
			out |= mask_of(i);
			continue;
		}
		if (!p->have_st)
			continue;
		if (!operational(p->st.state) || p->st.net_id != mb->view.net_id) {
			out |= mask_of(i);
			continue;
		}
		if (p->st.epoch > mb->view.epoch && !(p->st.members & mask_of(a->self)))
			return -1;
		/* A member that keeps reporting another view of ours (older,
		 * or a sibling of the same epoch) never got our view's commit. */
		fresh++;
		if (p->st.view_id == mb->view.view_id) {
			confirm++;
			p->mismatch_ns = 0;
		} else if (p->st.epoch <= mb->view.epoch) {
			if (!p->mismatch_ns)
				p->mismatch_ns = a->now;
			else if (a->now - p->mismatch_ns > grace) {
				stuck++;
				out |= mask_of(i);
			}
		}
	}
	/* Nobody confirms our view for a whole timeout: it is ours alone (we
	 * committed, our COMMITs were lost when we stalled). Leave it. */
	if (fresh && !confirm && stuck == fresh) {
		log_warn("no member confirms view %016llx after %u ms: leaving it",
			 (unsigned long long)mb->view.view_id, a->conf.timeout_ms);
		return -1;
	}
	*firsthand = out;
	rest = members & ~out;
	for (;;) {
		int worst = -1, worst_n = 0;

		for (i = 0; i < FOTOS_MAX_NODES; i++) {
			int n = 0;

			if (!(rest & mask_of(i)))
				continue;
			/* a pair is broken if either end says so (gossip counts
			 * only once it speaks of this view) */
			for (j = 0; j < FOTOS_MAX_NODES; j++)
				if (j != i && (rest & mask_of(j)) &&
				    (!(reported_seen(a, i) & mask_of(j)) ||
				     !(reported_seen(a, j) & mask_of(i))))
					n++;
			if (n && n >= worst_n) {
				worst = i;
				worst_n = n;
			}
		}
		if (worst < 0)
			break;
		rest &= ~mask_of(worst);
		out |= mask_of(worst);
	}
	return (int64_t)out;
}

static void evaluate_member(struct agent *a)
{
	struct memb *mb = &a->memb;
	uint64_t firsthand = 0;
	int deferred = 0;
	int64_t out = to_remove(a, &firsthand, &deferred);
	uint64_t remain, grace = (uint64_t)a->conf.timeout_ms * 1000000ull;
	int rumour, i;

	if (out < 0) {
		for (i = 0; i < (int)a->conf.nnodes; i++)
			if (a->peers[i].up && a->peers[i].have_st &&
			    a->peers[i].st.epoch > mb->view.epoch)
				break;
		become_removed(a, i);
		return;
	}
	rumour = deferred || (mb->locked && mb->lock.p.kind == WIRE_KIND_REMOVE) ||
		 (mb->proposing && mb->mine.p.kind == WIRE_KIND_REMOVE);
	/* Stable (and so primary) only once every member says it holds this
	 * view: a proposer whose COMMITs were lost never looks agreed. */
	for (i = 0; i < (int)a->conf.nnodes; i++)
		if ((mb->view.members & mask_of(i)) && i != a->self &&
		    !(a->peers[i].have_st && a->peers[i].st.view_id == mb->view.view_id))
			rumour = 1;
	set_state(a, out || rumour ? FOTOS_ST_UNSTABLE : FOTOS_ST_STABLE);
	if (!out) {
		mb->need_since_ns = 0;
	} else if (!mb->need_since_ns) {
		mb->need_since_ns = a->now;
		log_info("members to remove: %s%s", mtext(a, (uint64_t)out),
			 (uint64_t)out == firsthand ? "" : " (by gossip)");
	}
	pub_all(a);
	if (mb->proposing || mb->locked || a->now < mb->next_try_ns)
		return;

	if (out) {
		remain = mb->view.members & ~(uint64_t)out;
		if (!(remain & mask_of(a->self)))
			return;	/* the others will remove us */
		/* The lowest remaining member proposes now; the others only if
		 * it has not within a grace period (it may not see the fault). */
		if (lowest(remain) != a->self && a->now - mb->need_since_ns < grace)
			return;
		/* Gossip alone waits a grace period too: the node it blames may
		 * be the innocent end of a pair whose other end is paused, and
		 * our own failure detector will speak soon. */
		if ((uint64_t)out != firsthand && a->now - mb->need_since_ns < grace)
			return;
		propose(a, WIRE_KIND_REMOVE, remain, NULL);
		return;
	}

	/* Merge: another network we fully see, preferred to ours. */
	for (i = 0; i < (int)a->conf.nnodes; i++) {
		const struct peer *p = &a->peers[i];
		uint64_t seen = mesh_seen(a);

		if (!p->up || !p->have_st || (mb->view.members & mask_of(i)))
			continue;
		if (!operational(p->st.state) || (p->st.members & mask_of(a->self)))
			continue;
		if ((p->st.members & seen) != p->st.members)
			continue;
		if (better_network(a, p->st.members, mb->view.members)) {
			leave_for_merge(a, i);
			return;
		}
	}
}

/* Nodes not in a network and seen, that see each other and us: a clique
 * built in index order, so every node computes the same one. */
static uint64_t start_candidates(const struct agent *a)
{
	uint64_t clique = mask_of(a->self);
	int i, j;

	for (i = 0; i < (int)a->conf.nnodes; i++) {
		const struct peer *p = &a->peers[i];
		int ok = 1;

		if (i == a->self || !p->up || !p->have_st || operational(p->st.state))
			continue;
		for (j = 0; j < FOTOS_MAX_NODES && ok; j++)
			if (clique & mask_of(j))
				ok = (seen_by(a, i) & mask_of(j)) && (seen_by(a, j) & mask_of(i));
		if (ok)
			clique |= mask_of(i);
	}
	return clique;
}

static void evaluate_outsider(struct agent *a)
{
	struct memb *mb = &a->memb;
	uint64_t seen = mesh_seen(a), best = 0, best_id = 0, all;
	const struct wire_status *best_st = NULL;
	uint64_t since = a->now - mb->start_ns;
	uint64_t wait = (uint64_t)(a->conf.start_wait_ms ? a->conf.start_wait_ms
							  : a->conf.timeout_ms) * 1000000ull;
	int i, any_op = 0;

	if (mb->state == FOTOS_ST_STARTING && (since >= wait || seen != mask_of(a->self)))
		set_state(a, FOTOS_ST_JOINING);
	pub_all(a);
	if (mb->proposing || mb->locked || a->now < mb->next_try_ns ||
	    a->now < mb->quarantine_until_ns)
		return;

	/* A network to join: the preferred one among those seen. */
	for (i = 0; i < (int)a->conf.nnodes; i++) {
		const struct peer *p = &a->peers[i];

		if (!p->up || !p->have_st || !operational(p->st.state))
			continue;
		any_op = 1;
		if (!best || better_network(a, p->st.members, best)) {
			best = p->st.members;
			best_id = p->st.view_id;
			best_st = &p->st;
		}
	}
	if (any_op) {
		if (!best || (best & seen) != best)
			return;		/* cannot see every member: not allowed in */
		for (i = 0; i < FOTOS_MAX_NODES; i++) {
			const struct peer *p = &a->peers[i];

			if (!(best & mask_of(i)))
				continue;
			if (!p->have_st || p->st.view_id != best_id || p->st.busy ||
			    !(p->st.seen & mask_of(a->self)))
				return;		/* not settled, or cannot see us yet */
		}
		propose(a, WIRE_KIND_JOIN, best | mask_of(a->self), best_st);
		return;
	}

	/* Network start, with the nodes in no network that all see each other. */
	all = a->conf.nnodes >= 64 ? ~0ull : (1ull << a->conf.nnodes) - 1;
	best = start_candidates(a);
	if (lowest(best) == a->self) {
		if (best != all && since < wait)
			return;
	} else if (since < wait + 2 * (uint64_t)a->conf.timeout_ms * 1000000ull) {
		return;		/* the lowest of us will do it */
	}
	for (i = 0; i < FOTOS_MAX_NODES; i++)
		if ((best & mask_of(i)) && i != a->self && a->peers[i].st.busy)
			return;
	propose(a, WIRE_KIND_START, best, NULL);
}

void memb_evaluate(struct agent *a)
{
	if (a->memb.in_network)
		evaluate_member(a);
	else
		evaluate_outsider(a);
}

void memb_link_up(struct agent *a, int peer)
{
	(void)peer;
	a->dirty = 1;
}

/* The participants whose answer a querier still needs. */
static uint64_t query_needed(const struct agent *a)
{
	const struct proposal *l = &a->memb.lock;
	uint64_t need = l->p.members & ~mask_of(a->self) & ~mask_of(l->p.pid.proposer);

	return need & mesh_seen(a);
}

static void query_check(struct agent *a)
{
	struct memb *mb = &a->memb;
	uint64_t need = query_needed(a);
	int i;

	if ((mb->lock.answered & need) == need) {
		log_info("proposal %u of %s: proposer lost and nobody committed: aborting",
			 mb->lock.p.pid.seq, nname(a, mb->lock.p.pid.proposer));
		unlock(a, 1);
		return;
	}
	if (a->now < mb->lock.next_query_ns)
		return;
	mb->lock.next_query_ns = a->now + (uint64_t)a->conf.heartbeat_ms * 1000000ull;
	for (i = 0; i < FOTOS_MAX_NODES; i++)
		if ((need & ~mb->lock.answered) & mask_of(i))
			send_pid(a, i, WIRE_QUERY, &mb->lock.p.pid);
}

static void start_query(struct agent *a)
{
	struct memb *mb = &a->memb;

	if (mb->lock.querying)
		return;
	log_info("proposer %s lost during proposal %u: asking the others",
		 nname(a, mb->lock.p.pid.proposer), mb->lock.p.pid.seq);
	mb->lock.querying = 1;
	mb->lock.answered = 0;
	mb->lock.next_query_ns = 0;
	query_check(a);
}

void memb_link_down(struct agent *a, int peer)
{
	struct memb *mb = &a->memb;

	a->dirty = 1;
	if (mb->proposing && (mb->mine.participants & mask_of(peer)))
		abort_mine(a, "lost a participant");
	if (mb->locked) {
		if (mb->lock.p.pid.proposer == peer)
			start_query(a);
		else if (mb->lock.querying)
			query_check(a);
	}
}

/* Vote on a proposal; fills *detail. Returns a wire_vote_reason. */
static int judge(struct agent *a, const struct wire_propose *p, const struct proposal *pr,
		 uint64_t *detail)
{
	struct memb *mb = &a->memb;
	uint64_t me = mask_of(a->self), miss = 0;
	int i;

	if (in_ring(mb->aborted, &p->pid))
		return WIRE_VOTE_ABORTED;
	if (mb->proposing || mb->locked)
		return WIRE_VOTE_BUSY;
	if (!(p->members & me) || !(p->members & mask_of(p->pid.proposer)))
		return WIRE_VOTE_BAD;
	switch (p->kind) {
	case WIRE_KIND_START:
		if (mb->in_network)
			return WIRE_VOTE_IN_NETWORK;
		break;
	case WIRE_KIND_JOIN:
		if (!mb->in_network || p->base_view_id != mb->view.view_id)
			return WIRE_VOTE_STALE_VIEW;
		if (p->members != (mb->view.members | mask_of(p->pid.proposer)) ||
		    (mb->view.members & mask_of(p->pid.proposer)))
			return WIRE_VOTE_BAD;
		if (memb_hold_ms(a, p->pid.proposer)) {
			const struct peer *j = &a->peers[p->pid.proposer];
			uint64_t since = j->up_since_ns > j->removed_ns ? j->up_since_ns : j->removed_ns;
			uint64_t hold = memb_hold_ms(a, p->pid.proposer) * 1000000ull;

			if (a->now - since < hold) {
				*detail = (hold - (a->now - since)) / 1000000ull;
				return WIRE_VOTE_HOLD_DOWN;
			}
		}
		break;
	case WIRE_KIND_REMOVE:
		if (!mb->in_network || p->base_view_id != mb->view.view_id)
			return WIRE_VOTE_STALE_VIEW;
		if ((p->members & ~mb->view.members) || !(mb->view.members & mask_of(p->pid.proposer)))
			return WIRE_VOTE_BAD;
		break;
	default:
		return WIRE_VOTE_BAD;
	}
	for (i = 0; i < FOTOS_MAX_NODES; i++) {
		if (!(p->members & mask_of(i)))
			continue;
		if (!sees(a, i, pr->inc[i]))
			miss |= mask_of(i);
	}
	if (miss) {
		*detail = miss;
		return (miss & me) ? WIRE_VOTE_INCARNATION : WIRE_VOTE_NOT_SEEN;
	}
	return WIRE_VOTE_YES;
}

static void on_propose(struct agent *a, int from, const struct wire_propose *p)
{
	struct memb *mb = &a->memb;
	struct wire_msg m = { .type = WIRE_VOTE };
	struct proposal pr;
	unsigned int n = 0;
	int i, reason;

	memset(&pr, 0, sizeof(pr));
	pr.p = *p;
	for (i = 0; i < FOTOS_MAX_NODES; i++)
		if (p->members & mask_of(i))
			pr.inc[i] = p->incarnations[n++];
	m.u.vote.pid = p->pid;
	if (p->pid.proposer != from) {
		reason = WIRE_VOTE_BAD;
	} else if (mb->locked && pid_eq(&mb->lock.p.pid, &p->pid)) {
		return;		/* a repeat: already voted yes */
	} else {
		reason = judge(a, p, &pr, &m.u.vote.detail);
	}
	m.u.vote.reason = (uint8_t)reason;
	if (reason == WIRE_VOTE_YES) {
		mb->lock = pr;
		mb->lock.started_ns = a->now;
		mb->locked = 1;
		if (p->kind == WIRE_KIND_REMOVE)
			log_info("%s proposes removing %s: unstable", nname(a, from),
				 mtext(a, mb->view.members & ~p->members));
		a->dirty = 1;
	} else {
		log_info("refusing proposal %u of %s: reason %d", p->pid.seq, nname(a, from), reason);
	}
	mesh_send(a, from, &m);
}

static void on_vote(struct agent *a, int from, const struct wire_vote *v)
{
	struct memb *mb = &a->memb;
	char why[64];

	if (!mb->proposing || !pid_eq(&v->pid, &mb->mine.p.pid) ||
	    !(mb->mine.participants & mask_of(from)))
		return;
	if (v->reason != WIRE_VOTE_YES) {
		snprintf(why, sizeof(why), "%s voted no (reason %u)", nname(a, from), v->reason);
		abort_mine(a, why);
		if (v->reason == WIRE_VOTE_HOLD_DOWN && v->detail < 3600000) {
			/* held down: come back when the hold ends, not later */
			mb->next_try_ns = a->now + (v->detail + a->conf.heartbeat_ms) * 1000000ull;
		}
		return;
	}
	mb->mine.yes |= mask_of(from);
	if (mb->mine.yes == mb->mine.participants)
		commit_mine(a);
}

static void on_query(struct agent *a, int from, const struct wire_pid *pid)
{
	struct memb *mb = &a->memb;
	struct wire_msg m = { .type = WIRE_OUTCOME };
	const struct peer *prop = &a->peers[pid->proposer < FOTOS_MAX_NODES ? pid->proposer : 0];

	m.u.outcome.pid = *pid;
	if (in_ring(mb->committed, pid)) {
		m.u.outcome.outcome = WIRE_OUT_COMMITTED;
	} else if (mb->locked && pid_eq(&mb->lock.p.pid, pid) && pid->proposer != a->self &&
		   prop->up && prop->incarnation == pid->incarnation) {
		m.u.outcome.outcome = WIRE_OUT_PENDING;	/* the proposer may still decide */
	} else {
		/* Not committed here, and never will be unless someone did. */
		m.u.outcome.outcome = WIRE_OUT_ABORTED;
		if (!(mb->locked && pid_eq(&mb->lock.p.pid, pid)) && !in_ring(mb->aborted, pid))
			remember(mb->aborted, &mb->aborted_next, pid);
	}
	mesh_send(a, from, &m);
}

static void on_outcome(struct agent *a, int from, const struct wire_outcome *o)
{
	struct memb *mb = &a->memb;

	if (!mb->locked || !mb->lock.querying || !pid_eq(&mb->lock.p.pid, &o->pid))
		return;
	if (o->outcome == WIRE_OUT_COMMITTED) {
		log_info("%s committed proposal %u: committing too", nname(a, from), o->pid.seq);
		mb->locked = 0;
		install(a, &mb->lock);
		return;
	}
	if (o->outcome == WIRE_OUT_ABORTED)
		mb->lock.answered |= mask_of(from);
	query_check(a);
}

void memb_on_msg(struct agent *a, int from, const struct wire_msg *m)
{
	struct memb *mb = &a->memb;

	switch (m->type) {
	case WIRE_PROPOSE:
		on_propose(a, from, &m->u.propose);
		break;
	case WIRE_VOTE:
		on_vote(a, from, &m->u.vote);
		break;
	case WIRE_COMMIT:
		if (mb->locked && pid_eq(&mb->lock.p.pid, &m->u.pid) && m->u.pid.proposer == from) {
			mb->locked = 0;
			install(a, &mb->lock);
		}
		break;
	case WIRE_ABORT:
		if (mb->locked && pid_eq(&mb->lock.p.pid, &m->u.pid))
			unlock(a, 1);
		else if (!in_ring(mb->aborted, &m->u.pid))
			remember(mb->aborted, &mb->aborted_next, &m->u.pid);
		break;
	case WIRE_QUERY:
		on_query(a, from, &m->u.pid);
		break;
	case WIRE_OUTCOME:
		on_outcome(a, from, &m->u.outcome);
		break;
	default:
		log_warn("unexpected %s from %s", wire_type_name(m->type), nname(a, from));
		break;
	}
	a->dirty = 1;
}

void memb_tick(struct agent *a)
{
	struct memb *mb = &a->memb;
	uint64_t t = (uint64_t)a->conf.timeout_ms * 1000000ull;

	if (mb->proposing && a->now - mb->mine.started_ns > 2 * t)
		abort_mine(a, "no answer from every participant in time");
	if (mb->locked && !mb->lock.querying && a->now - mb->lock.started_ns > 4 * t)
		start_query(a);
	if (mb->locked && mb->lock.querying)
		query_check(a);
	/* A node that has stayed a member with a healthy link for a while
	 * (30 s, or 8 hold-downs) is forgiven its past removals. */
	if (mb->in_network) {
		int i;

		for (i = 0; i < (int)a->conf.nnodes; i++) {
			struct peer *p = &a->peers[i];
			uint64_t calm = 8 * memb_hold_ms(a, i) * 1000000ull;

			if (calm < 30000000000ull)
				calm = 30000000000ull;
			if (p->removals && p->up && (mb->view.members & mask_of(i)) &&
			    a->now - p->up_since_ns > calm && a->now - p->removed_ns > calm)
				p->removals = 0;
		}
	}
	memb_evaluate(a);
}
