/*
 * txn.c - atomic transactions over the database, and rendezvous of local
 * processes on every member: two-phase commit, with or without rendezvous.
 *
 * A transaction is run by its coordinator, the node whose client asked;
 * its participants are every member of the coordinator's view (itself
 * included). The coordinator computes each write's version from its own
 * versions of the key (merged with the condition's clock, then its counter
 * raised), so every member applies the very same versions, and sends them
 * all in one TXN_PREPARE. A member votes yes (TXN_VOTE) if it holds the
 * same view, no other undecided transaction here holds one of the keys
 * (the lock that makes one of two conflicting transactions lose), every
 * condition holds against its own versions, every write dominates every
 * version it holds of the key, and the writes fit; else no, with the
 * reason. Every yes and an unchanged view: TXN_DECIDE commit, sent before
 * the coordinator applies and answers; any no, a lost member, a view
 * change or the time limit: TXN_DECIDE abort, with the reason. Each member
 * applies the writes itself on commit (db_apply_txn), so nothing is
 * replicated twice; a member that joined meanwhile is sent the versions.
 *
 * A member that voted yes never decides alone while the coordinator lives:
 * a commit may be on its way. If it loses the coordinator (link down, or a
 * view without it) it asks the other members (TXN_QUERY): one that has the
 * outcome says so and it follows (commit if any committed); one that still
 * sees the coordinator says "pending"; one that lost it too and never
 * heard the decision says "aborted" and will not commit unless someone
 * did. When every live member said "aborted", it aborts. (memb.c does the
 * same for proposals.) A member that had not voted yet simply aborts.
 *
 * Rendezvous. Local processes take part through the control socket:
 * `rdv-join GROUP` registers a connection as a participant of the group;
 * `rendezvous GROUP MS [no]` waits in it (the arrival, a yes vote, or with
 * "no" a veto). A node is ready for the group when at least one process
 * waits and every registered participant does. A transaction that names a
 * group (PREPARE carries it) gets this node's yes only once it is ready,
 * and binds the waiting processes to it: they are answered with its
 * outcome, at the moment the node learns it -- so every participant on
 * every node proceeds together, or every one gets the failure. A plain
 * rendezvous is such a transaction without writes, coordinated by the
 * lowest member: a node where a process arrives sends RDV_ARRIVE to it,
 * and it starts a round (TXN_PREPARE) that every member votes on once
 * ready. A round fails everywhere if a participant votes no, a member
 * leaves (link or view), or the time runs out on any node.
 *
 * Test hooks ($FOTOS_TEST_TXN, for the integration tests only; applies to
 * transactions with writes): "hold=MS" waits MS after the last yes before
 * deciding; "die-after-prepare" kills this agent (SIGKILL) instead of
 * deciding; "die-after-decide-one" sends the commit to one member only,
 * then kills this agent.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "mem.h"

enum { HOOK_NONE, HOOK_HOLD, HOOK_DIE_PREPARED, HOOK_DIE_DECIDE_ONE };

struct txn {
	struct txn *next;
	struct wire_pid id;
	uint64_t view_id, members;
	uint32_t timeout_ms;
	uint16_t nops;
	uint8_t glen;
	char group[WIRE_GROUP_MAX + 1];
	uint8_t *ops;			/* encoded operations (owned) */
	uint32_t ops_len;
	int coord;			/* we coordinate it */
	int voted;			/* our own yes is given */
	int blocked;			/* waits for older keys' holders; holds no lock */
	uint64_t yes;			/* coordinator: members that voted yes */
	uint64_t started_ns, deadline_ns;
	int client;			/* coordinator: a control client waits */
	int slot;
	uint32_t gen;
	uint64_t decide_at_ns;		/* hook "hold": commit then */
	int querying;			/* the coordinator was lost after our yes */
	uint64_t answered, next_query_ns;
};

/* A local participant of a group: a control connection. */
struct rdv_part {
	struct rdv_part *next;
	char group[WIRE_GROUP_MAX + 1];
	int slot;
	uint32_t gen;
	int joined;			/* registered with rdv-join */
	int waiting;			/* in a `rendezvous` request */
	int veto;			/* it voted no */
	int bound;			/* its vote is given in transaction `in` */
	struct wire_pid in;
	uint32_t timeout_ms;
	uint64_t deadline_ns;
};

/* A commit's answer, held until the log has the writes (--data-dir). */
struct txn_reply {
	struct txn_reply *next;
	int slot;
	uint32_t gen;
	uint64_t off;
	char text[];
};

static int pid_eq(const struct wire_pid *x, const struct wire_pid *y)
{
	return x->incarnation == y->incarnation && x->seq == y->seq && x->proposer == y->proposer;
}

static const char *nname(const struct agent *a, int i)
{
	return i >= 0 && (unsigned)i < a->conf.nnodes ? a->conf.nodes[i].name : "?";
}

static int lowest(uint64_t m)
{
	return m ? __builtin_ctzll(m) : -1;
}

static int conn_alive(const struct agent *a, int slot, uint32_t gen)
{
	const struct conn *c = &a->conns[slot];

	return c->kind == CONN_CTL && !c->closing && c->gen == gen;
}

static void lazy_init(struct agent *a)
{
	struct txn_state *ts = &a->txn;
	const char *h;

	if (ts->inited)
		return;
	ts->inited = 1;
	h = getenv("FOTOS_TEST_TXN");
	if (!h || !*h)
		return;
	if (!strncmp(h, "hold=", 5)) {
		ts->hook = HOOK_HOLD;
		ts->hook_ms = (uint32_t)strtoul(h + 5, NULL, 10);
	} else if (!strcmp(h, "die-after-prepare")) {
		ts->hook = HOOK_DIE_PREPARED;
	} else if (!strcmp(h, "die-after-decide-one")) {
		ts->hook = HOOK_DIE_DECIDE_ONE;
	}
	log_warn("test hook FOTOS_TEST_TXN=%s is active", h);
}

/* ---- outcomes, text ---------------------------------------------------- */

static void remember(struct agent *a, const struct wire_pid *id, int outcome, int reason,
		     int detail)
{
	struct txn_done *d = &a->txn.done[a->txn.done_next++ % TXN_DONE_RING];

	d->id = *id;
	d->outcome = (uint8_t)outcome;
	d->reason = (uint8_t)reason;
	d->detail = (uint16_t)detail;
}

static const struct txn_done *done_find(const struct agent *a, const struct wire_pid *id)
{
	unsigned int i;

	for (i = 0; i < TXN_DONE_RING; i++)
		if (a->txn.done[i].outcome && pid_eq(&a->txn.done[i].id, id))
			return &a->txn.done[i];
	return NULL;
}

/* The errno name a client maps (clientlib errno_of) for an abort reason. */
static const char *reason_errname(int reason)
{
	switch (reason) {
	case WIRE_TXR_LOCKED:
	case WIRE_TXR_BUSY:		return "EBUSY";
	case WIRE_TXR_CONDITION:
	case WIRE_TXR_VETO:		return "ECANCELED";
	case WIRE_TXR_NEWER:		return "EAGAIN";
	case WIRE_TXR_FULL:		return "ENOSPC";
	case WIRE_TXR_TIMEOUT:		return "ETIMEDOUT";
	case WIRE_TXR_BAD:		return "EINVAL";
	default:			return "ECONNABORTED";	/* view, left, coordinator lost */
	}
}

/* Words for an abort: what happened, where. op < 0: not about one write. */
static void reason_text(const struct agent *a, int reason, int node, int op, char *buf,
			size_t len)
{
	const char *n = nname(a, node);

	switch (reason) {
	case WIRE_TXR_LOCKED:
		snprintf(buf, len, "the key of op %d is held by another transaction on %s: retry", op, n);
		break;
	case WIRE_TXR_CONDITION:
		snprintf(buf, len, "the condition of op %d failed on %s: the key changed", op, n);
		break;
	case WIRE_TXR_NEWER:
		snprintf(buf, len, "%s holds a version of op %d's key this write does not "
			 "dominate: retry", n, op);
		break;
	case WIRE_TXR_VIEW:
		snprintf(buf, len, "the view changed before the decision (at %s)", n);
		break;
	case WIRE_TXR_FULL:
		snprintf(buf, len, "the database of %s is full", n);
		break;
	case WIRE_TXR_TIMEOUT:
		snprintf(buf, len, "timed out waiting for %s (no participant ready there in time)", n);
		break;
	case WIRE_TXR_LEFT:
		snprintf(buf, len, "member %s left", n);
		break;
	case WIRE_TXR_VETO:
		snprintf(buf, len, "a participant on %s voted no", n);
		break;
	case WIRE_TXR_BUSY:
		snprintf(buf, len, "the group is in another transaction on %s: retry", n);
		break;
	case WIRE_TXR_COORD_LOST:
		snprintf(buf, len, "the coordinator %s was lost before it decided", n);
		break;
	default:
		snprintf(buf, len, "inconsistent request (refused by %s)", n);
		break;
	}
}

/* ---- lists --------------------------------------------------------------- */

static struct txn *find(struct agent *a, const struct wire_pid *id)
{
	struct txn *t;

	for (t = a->txn.list; t; t = t->next)
		if (pid_eq(&t->id, id))
			return t;
	return NULL;
}

static struct txn *find_group(struct agent *a, const char *group, const struct txn *not)
{
	struct txn *t;

	for (t = a->txn.list; t; t = t->next)
		if (t != not && t->glen && !strcmp(t->group, group))
			return t;
	return NULL;
}

static void txn_remove(struct agent *a, struct txn *t)
{
	struct txn **pp;

	for (pp = &a->txn.list; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	/* waiters left unbound may start a round; blocked ones may go on */
	a->txn.kick = 1;
	fotos_free(t->ops);
	fotos_free(t);
}

/* Walk the operations of t: op i into *op (off carries the position). */
static int op_next(const struct txn *t, uint32_t *off, struct wire_txn_op *op)
{
	int n = wire_txn_op_get(t->ops + *off, t->ops_len - *off, op);

	if (n > 0)
		*off += (uint32_t)n;
	return n;
}

static int key_in(const struct txn *t, const uint8_t *key, uint32_t klen)
{
	struct wire_txn_op *op = fotos_malloc(sizeof(*op));
	uint32_t off = 0;
	int i, hit = 0;

	if (!op)
		return 1;	/* cannot tell: count it as held */
	for (i = 0; i < t->nops && !hit && op_next(t, &off, op) > 0; i++)
		hit = op->klen == klen && !memcmp(op->key, key, klen);
	fotos_free(op);
	return hit;
}

/* ---- participants of groups ---------------------------------------------- */

/*
 * Forget participants whose connection closed (a process that died) and
 * answered ones that did not join. Only at the entry points: the lists
 * are walked below them.
 */
static void purge_parts(struct agent *a)
{
	struct rdv_part **pp = &a->txn.parts;

	while (*pp) {
		struct rdv_part *p = *pp;

		if (!conn_alive(a, p->slot, p->gen) || (!p->joined && !p->waiting)) {
			*pp = p->next;
			fotos_free(p);
			a->txn.kick = 1;	/* a group may be ready now */
			continue;
		}
		pp = &p->next;
	}
}

/* Is the group ready here (1), vetoed (-1), or not yet (0)? Unbound only. */
static int group_ready(struct agent *a, const char *group)
{
	struct rdv_part *p;
	int waiting = 0, missing = 0;

	for (p = a->txn.parts; p; p = p->next) {
		if (strcmp(p->group, group) || !conn_alive(a, p->slot, p->gen))
			continue;
		if (p->waiting && !p->bound) {
			if (p->veto)
				return -1;
			waiting++;
		} else if (p->joined) {
			missing++;
		}
	}
	return waiting && !missing;
}

/* Answer a waiting participant: released (ok, text after the group) or failed. */
static void part_answer(struct agent *a, struct rdv_part *p, int ok, const char *text)
{
	if (conn_alive(a, p->slot, p->gen)) {
		if (ok)
			ctl_reply(a, p->slot, "ok released group=%s%s", p->group, text);
		else
			ctl_reply(a, p->slot, "err %s", text);
		loop_flush(a);	/* every participant proceeds now, not at the end of the turn */
	}
	p->waiting = 0;
	p->bound = 0;
	p->veto = 0;
}

/* Answer the waiters of group: those bound to id (bound), or the unbound. */
static void release(struct agent *a, const char *group, const struct wire_pid *id, int ok,
		    const char *why)
{
	struct rdv_part *p;

	for (p = a->txn.parts; p; p = p->next) {
		if (!p->waiting || strcmp(p->group, group))
			continue;
		if (id ? !(p->bound && pid_eq(&p->in, id)) : p->bound)
			continue;
		part_answer(a, p, ok, why);
	}
}

static void bind_waiters(struct agent *a, struct txn *t)
{
	struct rdv_part *p;

	for (p = a->txn.parts; p; p = p->next)
		if (p->waiting && !p->bound && !strcmp(p->group, t->group)) {
			p->bound = 1;
			p->in = t->id;
		}
}

/* ---- messages ------------------------------------------------------------ */

static void send_ctl(struct agent *a, int peer, int type, const struct wire_pid *id, int value,
		     int reason, int detail)
{
	struct wire_msg m = { .type = (uint8_t)type };

	m.u.tctl.id = *id;
	m.u.tctl.value = (uint8_t)value;
	m.u.tctl.reason = (uint8_t)reason;
	m.u.tctl.detail = (uint16_t)detail;
	mesh_send(a, peer, &m);
}

static void send_prepare(struct agent *a, int peer, const struct txn *t)
{
	struct wire_msg m = { .type = WIRE_TXN_PREPARE };

	m.u.txn.id = t->id;
	m.u.txn.view_id = t->view_id;
	m.u.txn.members = t->members;
	m.u.txn.timeout_ms = t->timeout_ms;
	m.u.txn.nops = t->nops;
	m.u.txn.glen = t->glen;
	memcpy(m.u.txn.group, t->group, t->glen);
	m.u.txn.ops = t->ops_len ? t->ops : NULL;
	m.u.txn.ops_len = t->ops_len;
	mesh_send(a, peer, &m);
}

/* ---- commit and abort, on any node ------------------------------------- */

static void reply_client(struct agent *a, struct txn *t, const char *text, int durable)
{
	struct txn_reply *r, **pp;
	size_t n;

	if (!t->client || !conn_alive(a, t->slot, t->gen))
		return;
	if (!durable || persist_durable(a) >= a->db.last_off) {
		ctl_reply(a, t->slot, "%s", text);
		return;
	}
	n = strlen(text) + 1;
	r = fotos_malloc(sizeof(*r) + n);
	if (!r) {
		ctl_reply(a, t->slot, "err ENOMEM committed, but out of memory to wait for the log");
		return;
	}
	r->next = NULL;
	r->slot = t->slot;
	r->gen = t->gen;
	r->off = a->db.last_off;
	memcpy(r->text, text, n);
	for (pp = &a->txn.replies; *pp; pp = &(*pp)->next)
		;
	*pp = r;
}

/* Apply t's writes here, answer its waiters and client, forget it. */
static void commit_here(struct agent *a, struct txn *t)
{
	static char text[WIRE_TXN_MAX_OPS * (FOTOS_MAX_NODES * 24 + 8) + 128];
	struct wire_txn_op *op = fotos_malloc(sizeof(*op));
	uint64_t late = a->memb.in_network ? a->memb.view.members & ~t->members : 0;
	uint32_t off = 0;
	size_t o;
	int i, failed = 0;

	o = (size_t)snprintf(text, sizeof(text), "ok committed ops=%u", t->nops);
	for (i = 0; op && i < t->nops && op_next(t, &off, op) > 0; i++) {
		if (db_apply_txn(a, t->id.proposer, !!(op->flags & WIRE_TXF_TOMB), &op->clock,
				 op->key, op->klen, op->val, op->vlen, late) < 0)
			failed++;
		if (o < sizeof(text) - FOTOS_MAX_NODES * 24 - 8) {
			o += (size_t)snprintf(text + o, sizeof(text) - o, " clock=");
			if (fotos_vclock_format(&op->clock, text + o, sizeof(text) - o) >= 0)
				o += strlen(text + o);
		}
	}
	fotos_free(op);
	if (failed)
		log_err("transaction %u of %s: %d write(s) could not be applied here (database "
			"full): this node differs until they are written again", t->id.seq,
			nname(a, t->id.proposer), failed);
	remember(a, &t->id, WIRE_TXN_COMMIT, 0, 0);
	a->txn.commits++;
	if (t->glen)
		release(a, t->group, &t->id, 1, t->nops ? " committed" : "");
	reply_client(a, t, text, 1);
	log_debug("transaction %u of %s committed (%u writes)", t->id.seq, nname(a, t->id.proposer),
		  t->nops);
	txn_remove(a, t);
}

static void abort_here(struct agent *a, struct txn *t, int reason, int node, int op)
{
	char why[160], line[256];

	reason_text(a, reason, node, op, why, sizeof(why));
	remember(a, &t->id, WIRE_TXN_ABORT, reason, node);
	a->txn.aborts++;
	snprintf(line, sizeof(line), "%s %s aborted: %s", reason_errname(reason),
		 t->nops ? "transaction" : "rendezvous", why);
	if (t->glen)
		release(a, t->group, t->voted ? &t->id : NULL, 0, line);
	if (t->client && conn_alive(a, t->slot, t->gen))
		ctl_reply(a, t->slot, "err %s", line);
	log_debug("transaction %u of %s aborted: %s", t->id.seq, nname(a, t->id.proposer), why);
	txn_remove(a, t);
}

/*
 * The coordinator's decision: sent to every other member first (and
 * handed to the kernel), then carried out here. A commit needs the view
 * it was prepared in: a change before the decision aborts.
 */
static void decide(struct agent *a, struct txn *t, int outcome, int reason, int node, int op)
{
	uint64_t to = t->members & ~mask_of(a->self);
	int i;

	if (outcome == WIRE_TXN_COMMIT &&
	    (!a->memb.in_network || a->memb.view.view_id != t->view_id)) {
		outcome = WIRE_TXN_ABORT;
		reason = WIRE_TXR_VIEW;
		node = a->self;
	}
	if (outcome == WIRE_TXN_COMMIT && t->nops && a->txn.hook == HOOK_DIE_DECIDE_ONE) {
		i = lowest(to);
		log_warn("test hook: commit of transaction %u sent to %s only; dying", t->id.seq,
			 nname(a, i));
		if (i >= 0)
			send_ctl(a, i, WIRE_TXN_DECIDE, &t->id, WIRE_TXN_COMMIT, 0, 0);
		loop_flush(a);
		a->txn.die = 1;
		t->decide_at_ns = UINT64_MAX;	/* nothing more from us */
		return;
	}
	for (i = 0; i < FOTOS_MAX_NODES; i++)
		if (to & mask_of(i))
			send_ctl(a, i, WIRE_TXN_DECIDE, &t->id, outcome, reason, node);
	loop_flush(a);
	if (outcome == WIRE_TXN_COMMIT)
		commit_here(a, t);
	else
		abort_here(a, t, reason, node, op);
}

/* Every member said yes: commit (or what the test hook says). */
static void all_yes(struct agent *a, struct txn *t)
{
	if (t->nops && a->txn.hook == HOOK_DIE_PREPARED) {
		log_warn("test hook: transaction %u prepared everywhere; dying", t->id.seq);
		a->txn.die = 1;
		t->decide_at_ns = UINT64_MAX;
		return;
	}
	if (t->nops && a->txn.hook == HOOK_HOLD) {
		if (!t->decide_at_ns)
			t->decide_at_ns = a->now + (uint64_t)a->txn.hook_ms * 1000000ull;
		return;
	}
	decide(a, t, WIRE_TXN_COMMIT, 0, 0, -1);
}

/*
 * Vote no here: fail the group's unbound waiters on this node (they were
 * what the round waited for), tell the coordinator, forget t.
 */
static void vote_no(struct agent *a, struct txn *t, int reason, int op)
{
	if (t->coord) {
		decide(a, t, WIRE_TXN_ABORT, reason, a->self, op);
		return;
	}
	if (t->glen) {
		char why[160], line[256];

		reason_text(a, reason, a->self, op, why, sizeof(why));
		snprintf(line, sizeof(line), "%s rendezvous aborted: %s", reason_errname(reason), why);
		release(a, t->group, NULL, 0, line);
	}
	send_ctl(a, t->id.proposer, WIRE_TXN_VOTE, &t->id, WIRE_TXN_NO, reason, op < 0 ? 0 : op);
	remember(a, &t->id, WIRE_TXN_ABORT, reason, a->self);
	a->txn.aborts++;
	txn_remove(a, t);
}

/* Give our yes once the group (if any) is ready here; a veto is a no. */
static void try_vote(struct agent *a, struct txn *t)
{
	if (t->voted || t->blocked)
		return;
	if (t->glen) {
		int r = group_ready(a, t->group);

		if (r < 0) {
			vote_no(a, t, WIRE_TXR_VETO, -1);
			return;
		}
		if (!r)
			return;
		bind_waiters(a, t);
	}
	t->voted = 1;
	if (!t->coord) {
		send_ctl(a, t->id.proposer, WIRE_TXN_VOTE, &t->id, WIRE_TXN_YES, 0, 0);
		return;
	}
	t->yes |= mask_of(a->self);
	if (t->yes == t->members)
		all_yes(a, t);
}

/*
 * Wait-die order of transactions: the lower coordinator index (then the
 * lower counter) is older. An older transaction that finds a key held by a
 * younger one waits for it to end; a younger one that finds it held by an
 * older one dies (votes no). Waits go one way, so none is circular, and of
 * conflicting transactions one commits (the oldest, or one that got every
 * yes first: the others then fail their checks against its versions).
 */
static int older(const struct wire_pid *x, const struct wire_pid *y)
{
	return x->proposer != y->proposer ? x->proposer < y->proposer : x->seq < y->seq;
}

/*
 * May t be prepared here? 0, or a wire_txn_reason with the op in *op:
 * keys held by another transaction (*wait set if t may wait for them),
 * conditions against our versions, versions the writes do not dominate,
 * room for new keys, the group free.
 */
static int prepare_check(struct agent *a, const struct txn *t, int *opi, int *wait)
{
	struct wire_txn_op *op = fotos_malloc(sizeof(*op));
	struct fotos_vclock merged;
	const struct txn *o;
	uint32_t off = 0;
	uint64_t fresh = 0;
	int i, absent, n, ret = 0;

	*opi = -1;
	*wait = 0;
	if (!op)
		return WIRE_TXR_FULL;
	if (t->glen && find_group(a, t->group, t))
		ret = WIRE_TXR_BUSY;
	for (i = 0; !ret && i < t->nops; i++) {
		uint32_t here = off;

		if (op_next(t, &off, op) <= 0) {
			ret = WIRE_TXR_BAD;
			break;
		}
		*opi = i;
		n = 0;
		for (o = a->txn.list; o && !ret; o = o->next)
			if (o != t && !o->blocked && key_in(o, op->key, op->klen)) {
				if (!older(&t->id, &o->id))
					ret = WIRE_TXR_LOCKED;	/* dies */
				n = 1;
			}
		if (ret)
			break;
		if (n) {
			*wait = 1;	/* checked again once the holder ends */
			continue;
		}
		{
			/* the same key twice in one transaction: refused */
			struct txn head = *t;

			head.ops_len = here;
			head.nops = (uint16_t)i;
			if (i && key_in(&head, op->key, op->klen)) {
				ret = WIRE_TXR_BAD;
				break;
			}
		}
		if (op->klen > a->db.hdr->max_key_len || op->vlen > a->db.hdr->max_val_len) {
			ret = WIRE_TXR_FULL;
			break;
		}
		n = db_key_state(a, op->key, op->klen, &merged, &absent);
		if ((op->flags & WIRE_TXF_IF_ABSENT) && !absent)
			ret = WIRE_TXR_CONDITION;
		else if ((op->flags & WIRE_TXF_IF_CLOCK) &&
			 (!n || fotos_vclock_compare(&merged, &op->cond) != FOTOS_VC_EQUAL))
			ret = WIRE_TXR_CONDITION;
		else if (n && fotos_vclock_compare(&op->clock, &merged) != FOTOS_VC_AFTER)
			ret = WIRE_TXR_NEWER;
		fresh += !n;
	}
	fotos_free(op);
	if (!ret && *wait)
		return WIRE_TXR_LOCKED;
	*wait = 0;
	if (!ret && fresh &&
	    atomic_load_explicit(&a->db.hdr->used, memory_order_relaxed) + fresh > a->db.hdr->max_keys) {
		*opi = -1;
		ret = WIRE_TXR_FULL;
	}
	return ret;
}

/* The coordinator sends PREPARE to every member and gives its own vote. */
static void launch(struct agent *a, struct txn *t)
{
	uint64_t others = t->members & ~mask_of(a->self);
	int i;

	t->next = a->txn.list;
	a->txn.list = t;
	for (i = 0; i < FOTOS_MAX_NODES; i++) {
		if (!(others & mask_of(i)))
			continue;
		if (!a->peers[i].up) {
			decide(a, t, WIRE_TXN_ABORT, WIRE_TXR_LEFT, i, -1);
			return;
		}
		send_prepare(a, i, t);
	}
	try_vote(a, t);
}

static struct txn *txn_new(struct agent *a, uint32_t timeout_ms)
{
	struct txn *t = fotos_calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->id.incarnation = a->incarnation;
	t->id.seq = ++a->txn.seq;
	t->id.proposer = (uint16_t)a->self;
	t->coord = 1;
	t->view_id = a->memb.view.view_id;
	t->members = a->memb.view.members;
	t->timeout_ms = timeout_ms;
	t->started_ns = a->now;
	t->deadline_ns = a->now + (uint64_t)timeout_ms * 1000000ull;
	return t;
}

/* The lowest member starts a rendezvous round of group. */
static void start_round(struct agent *a, const char *group, uint32_t timeout_ms)
{
	struct txn *t = txn_new(a, timeout_ms);

	if (!t) {
		log_err("out of memory for a rendezvous of %s", group);
		return;
	}
	t->glen = (uint8_t)strlen(group);
	memcpy(t->group, group, t->glen);
	a->txn.rendezvous++;
	launch(a, t);
}

/*
 * Unbound waiters of a group with no round here: ask the lowest member
 * for one (or start it, being that member).
 */
static void kick_group(struct agent *a, const char *group)
{
	struct rdv_part *p;
	uint32_t tmo = 0;
	int c;

	if (find_group(a, group, NULL))
		return;
	for (p = a->txn.parts; p; p = p->next)
		if (p->waiting && !p->bound && !strcmp(p->group, group) && p->timeout_ms > tmo)
			tmo = p->timeout_ms;
	if (!tmo)
		return;
	if (!a->memb.in_network) {
		release(a, group, NULL, 0, "EAGAIN rendezvous failed: this node is in no network");
		return;
	}
	c = lowest(a->memb.view.members);
	if (c == a->self) {
		start_round(a, group, tmo);
	} else {
		struct wire_msg m = { .type = WIRE_RDV_ARRIVE };

		m.u.txn.view_id = a->memb.view.view_id;
		m.u.txn.timeout_ms = tmo;
		m.u.txn.glen = (uint8_t)strlen(group);
		memcpy(m.u.txn.group, group, m.u.txn.glen);
		mesh_send(a, c, &m);
	}
}

static void kick_all(struct agent *a)
{
	struct rdv_part *p;
	struct txn *t;

	if (!a->txn.kick)
		return;
	a->txn.kick = 0;
	for (t = a->txn.list; t; ) {
		struct txn *next = t->next;

		if (t->blocked) {
			/* a holder may have ended: check again, all of it */
			int op, wait, reason = prepare_check(a, t, &op, &wait);

			if (!reason) {
				t->blocked = 0;
				try_vote(a, t);
			} else if (!wait) {
				t->blocked = 0;
				vote_no(a, t, reason, op);
			}
		} else if (t->glen && !t->voted) {
			/* a joined participant that went away may make it ready */
			try_vote(a, t);
		}
		t = next;
	}
	for (p = a->txn.parts; p; p = p->next)
		if (p->waiting && !p->bound)
			kick_group(a, p->group);
}

/* ---- coordinator lost: ask the others ------------------------------------ */

static uint64_t query_needed(const struct agent *a, const struct txn *t)
{
	return t->members & ~mask_of(a->self) & ~mask_of(t->id.proposer) & mesh_seen(a);
}

static void query_check(struct agent *a, struct txn *t)
{
	uint64_t need = query_needed(a, t);
	int i;

	if ((t->answered & need) == need) {
		log_info("transaction %u of %s: coordinator lost and nobody committed: aborting",
			 t->id.seq, nname(a, t->id.proposer));
		abort_here(a, t, WIRE_TXR_COORD_LOST, t->id.proposer, -1);
		return;
	}
	if (a->now < t->next_query_ns)
		return;
	t->next_query_ns = a->now + (uint64_t)a->conf.heartbeat_ms * 1000000ull;
	for (i = 0; i < FOTOS_MAX_NODES; i++)
		if ((need & ~t->answered) & mask_of(i))
			send_ctl(a, i, WIRE_TXN_QUERY, &t->id, 0, 0, 0);
}

/* The coordinator is gone: a member that had not voted aborts, else asks. */
static void coord_lost(struct agent *a, struct txn *t)
{
	if (!t->voted) {
		abort_here(a, t, WIRE_TXR_COORD_LOST, t->id.proposer, -1);
		return;
	}
	if (t->querying)
		return;
	log_info("coordinator %s lost during transaction %u: asking the others",
		 nname(a, t->id.proposer), t->id.seq);
	t->querying = 1;
	t->answered = 0;
	t->next_query_ns = 0;
	query_check(a, t);
}

static void on_query(struct agent *a, int from, const struct wire_txn_ctl *q)
{
	const struct txn_done *d = done_find(a, &q->id);
	const struct peer *c = &a->peers[q->id.proposer];
	struct txn *t = find(a, &q->id);

	if (d) {
		send_ctl(a, from, WIRE_TXN_OUTCOME, &q->id, d->outcome, d->reason, d->detail);
	} else if (t && !t->coord && c->up && c->incarnation == q->id.incarnation) {
		send_ctl(a, from, WIRE_TXN_OUTCOME, &q->id, WIRE_TXN_PENDING, 0, 0);
	} else {
		/* Not committed here, and never will be unless someone did. */
		send_ctl(a, from, WIRE_TXN_OUTCOME, &q->id, WIRE_TXN_ABORT, WIRE_TXR_COORD_LOST,
			 q->id.proposer);
		if (!t)
			remember(a, &q->id, WIRE_TXN_ABORT, WIRE_TXR_COORD_LOST, q->id.proposer);
		else if (!t->voted && !t->coord)
			abort_here(a, t, WIRE_TXR_COORD_LOST, q->id.proposer, -1);
	}
}

static void on_outcome(struct agent *a, int from, const struct wire_txn_ctl *o)
{
	struct txn *t = find(a, &o->id);

	if (!t || !t->querying)
		return;
	if (o->value == WIRE_TXN_COMMIT) {
		log_info("%s committed transaction %u of %s: committing too", nname(a, from),
			 o->id.seq, nname(a, o->id.proposer));
		commit_here(a, t);
		return;
	}
	if (o->value == WIRE_TXN_ABORT)
		t->answered |= mask_of(from);
	query_check(a, t);
}

/* ---- handlers ------------------------------------------------------------ */

static void on_prepare(struct agent *a, int from, const struct wire_txn *p)
{
	struct txn *t;
	int reason, op = -1, wait;

	if (p->id.proposer != from) {
		send_ctl(a, from, WIRE_TXN_VOTE, &p->id, WIRE_TXN_NO, WIRE_TXR_BAD, 0);
		return;
	}
	if (find(a, &p->id))
		return;		/* a repeat */
	if (done_find(a, &p->id)) {
		send_ctl(a, from, WIRE_TXN_VOTE, &p->id, WIRE_TXN_NO, WIRE_TXR_COORD_LOST, 0);
		return;
	}
	if (!a->memb.in_network || a->memb.view.view_id != p->view_id ||
	    !(p->members & mask_of(a->self))) {
		send_ctl(a, from, WIRE_TXN_VOTE, &p->id, WIRE_TXN_NO, WIRE_TXR_VIEW, 0);
		return;
	}
	t = fotos_calloc(1, sizeof(*t));
	if (t && p->ops_len) {
		t->ops = fotos_malloc(p->ops_len);
		if (!t->ops) {
			fotos_free(t);
			t = NULL;
		}
	}
	if (!t) {
		send_ctl(a, from, WIRE_TXN_VOTE, &p->id, WIRE_TXN_NO, WIRE_TXR_FULL, 0);
		return;
	}
	t->id = p->id;
	t->view_id = p->view_id;
	t->members = p->members;
	t->timeout_ms = p->timeout_ms;
	t->nops = p->nops;
	t->glen = p->glen;
	memcpy(t->group, p->group, sizeof(t->group));
	if (p->ops_len)
		memcpy(t->ops, p->ops, p->ops_len);
	t->ops_len = p->ops_len;
	t->started_ns = a->now;
	t->deadline_ns = a->now + (uint64_t)p->timeout_ms * 1000000ull;
	reason = prepare_check(a, t, &op, &wait);
	if (reason && wait) {
		t->blocked = 1;
		t->next = a->txn.list;
		a->txn.list = t;
		return;
	}
	if (reason) {
		send_ctl(a, from, WIRE_TXN_VOTE, &p->id, WIRE_TXN_NO, reason, op < 0 ? 0 : op);
		remember(a, &t->id, WIRE_TXN_ABORT, reason, a->self);
		fotos_free(t->ops);
		fotos_free(t);
		return;
	}
	t->next = a->txn.list;
	a->txn.list = t;
	try_vote(a, t);
}

static void on_vote(struct agent *a, int from, const struct wire_txn_ctl *v)
{
	struct txn *t = find(a, &v->id);

	if (!t || !t->coord || !(t->members & mask_of(from)) || t->decide_at_ns)
		return;
	if (v->value == WIRE_TXN_NO) {
		decide(a, t, WIRE_TXN_ABORT, v->reason, from, v->detail);
		return;
	}
	t->yes |= mask_of(from);
	if (t->yes == t->members)
		all_yes(a, t);
}

static void on_decide(struct agent *a, int from, const struct wire_txn_ctl *d)
{
	struct txn *t = find(a, &d->id);

	if (d->id.proposer != from)
		return;
	if (!t || t->coord) {
		if (!done_find(a, &d->id))
			remember(a, &d->id, d->value, d->reason, d->detail);
		return;
	}
	if (d->value == WIRE_TXN_COMMIT)
		commit_here(a, t);
	else
		abort_here(a, t, d->reason, d->detail, -1);
}

static void on_arrive(struct agent *a, const struct wire_txn *r)
{
	if (!a->memb.in_network || a->memb.view.view_id != r->view_id ||
	    lowest(a->memb.view.members) != a->self || find_group(a, r->group, NULL))
		return;
	start_round(a, r->group, r->timeout_ms ? r->timeout_ms : 1);
}

void txn_on_msg(struct agent *a, int peer, const struct wire_msg *m)
{
	lazy_init(a);
	purge_parts(a);
	switch (m->type) {
	case WIRE_TXN_PREPARE:
		on_prepare(a, peer, &m->u.txn);
		break;
	case WIRE_TXN_VOTE:
		on_vote(a, peer, &m->u.tctl);
		break;
	case WIRE_TXN_DECIDE:
		on_decide(a, peer, &m->u.tctl);
		break;
	case WIRE_TXN_QUERY:
		on_query(a, peer, &m->u.tctl);
		break;
	case WIRE_TXN_OUTCOME:
		on_outcome(a, peer, &m->u.tctl);
		break;
	case WIRE_RDV_ARRIVE:
		on_arrive(a, &m->u.txn);
		break;
	}
	kick_all(a);
}

/*
 * A new view (memb.c install) or none: undecided transactions we
 * coordinate abort; members that lost the coordinator ask the others; the
 * waiters no round holds fail if a member left, and try again if one
 * joined.
 */
void txn_on_view(struct agent *a)
{
	struct txn_state *ts = &a->txn;
	uint64_t now_members = a->memb.in_network ? a->memb.view.members : 0;
	uint64_t gone = ts->members & ~now_members;
	struct txn *t, *next;
	struct rdv_part *p;

	lazy_init(a);
	for (t = ts->list; t; t = next) {
		next = t->next;
		if (t->coord) {
			if (t->decide_at_ns == UINT64_MAX)
				continue;	/* test hook: dying */
			if (!a->memb.in_network || a->memb.view.view_id != t->view_id) {
				uint64_t lost = t->members & ~now_members;

				if (lost)
					decide(a, t, WIRE_TXN_ABORT, WIRE_TXR_LEFT, lowest(lost), -1);
				else
					decide(a, t, WIRE_TXN_ABORT, WIRE_TXR_VIEW, a->self, -1);
			}
		} else if (!(now_members & mask_of(t->id.proposer)) ||
			   !a->peers[t->id.proposer].up) {
			coord_lost(a, t);
		}
	}
	if (gone) {
		char line[200], why[160];

		reason_text(a, WIRE_TXR_LEFT, lowest(gone), -1, why, sizeof(why));
		snprintf(line, sizeof(line), "ECONNABORTED rendezvous failed: %s", why);
		for (p = ts->parts; p; p = p->next)
			if (p->waiting && !p->bound)
				part_answer(a, p, 0, line);
		purge_parts(a);
	}
	ts->members = now_members;
	ts->view_id = a->memb.in_network ? a->memb.view.view_id : 0;
	ts->kick = 1;
	kick_all(a);
}

void txn_on_link_down(struct agent *a, int peer)
{
	struct txn *t, *next;

	lazy_init(a);
	for (t = a->txn.list; t; t = next) {
		next = t->next;
		if (t->coord) {
			if (t->decide_at_ns != UINT64_MAX && (t->members & mask_of(peer)))
				decide(a, t, WIRE_TXN_ABORT, WIRE_TXR_LEFT, peer, -1);
		} else if (t->id.proposer == peer) {
			coord_lost(a, t);
		} else if (t->querying) {
			query_check(a, t);
		}
	}
	kick_all(a);
}

/* Timers: deadlines of rounds and waiters, questions, held answers. */
void txn_tick(struct agent *a)
{
	struct txn_state *ts = &a->txn;
	struct txn *t, *next;
	struct rdv_part *p;

	lazy_init(a);
	purge_parts(a);
	if (ts->die) {
		log_warn("test hook: killing this agent now");
		kill(getpid(), SIGKILL);
	}
	for (t = ts->list; t; t = next) {
		next = t->next;
		if (t->coord) {
			if (t->decide_at_ns == UINT64_MAX)
				continue;
			if (t->decide_at_ns && a->now >= t->decide_at_ns) {
				decide(a, t, WIRE_TXN_COMMIT, 0, 0, -1);
			} else if (!t->decide_at_ns && a->now > t->deadline_ns) {
				uint64_t missing = t->members & ~t->yes;

				decide(a, t, WIRE_TXN_ABORT, WIRE_TXR_TIMEOUT,
				       missing ? lowest(missing) : a->self, -1);
			}
		} else if (t->querying) {
			query_check(a, t);
		} else if (!t->voted && a->now > t->deadline_ns) {
			vote_no(a, t, WIRE_TXR_TIMEOUT, -1);
		}
	}
	/* a waiter out of time: its round (if one waits for it) fails
	 * everywhere; alone, it fails by itself */
	for (p = ts->parts; p; p = p->next) {
		if (!p->waiting || p->bound || a->now < p->deadline_ns)
			continue;
		t = find_group(a, p->group, NULL);
		if (t && !t->voted && !t->coord) {
			vote_no(a, t, WIRE_TXR_TIMEOUT, -1);	/* answers p too */
			continue;
		}
		if (t && !t->voted) {
			decide(a, t, WIRE_TXN_ABORT, WIRE_TXR_TIMEOUT, a->self, -1);
			if (!p->waiting)
				continue;
		}
		part_answer(a, p, 0, "ETIMEDOUT rendezvous failed: no round reached this node in time");
	}
	purge_parts(a);
	while (ts->replies && persist_durable(a) >= ts->replies->off) {
		struct txn_reply *r = ts->replies;

		ts->replies = r->next;
		if (conn_alive(a, r->slot, r->gen))
			ctl_reply(a, r->slot, "%s", r->text);
		fotos_free(r);
	}
	ts->kick = 1;
	kick_all(a);
}

/* ---- control requests ---------------------------------------------------- */

static int group_name_ok(const char *g)
{
	size_t n = strlen(g), i;

	if (!n || n > WIRE_GROUP_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (g[i] < 0x21 || g[i] > 0x7e)
			return 0;
	return 1;
}

/*
 * Parse one "put KEYHEX VALHEX [if=CLOCK|if=absent]" or "del KEYHEX
 * [if=...]" into op (key and value in kbuf/vbuf). 0 or -EINVAL with err.
 */
static int parse_op(struct agent *a, char *s, struct wire_txn_op *op, uint8_t *kbuf,
		    uint8_t *vbuf, char *err, size_t errlen)
{
	char *verb = db_next_word(&s), *w;
	int del;

	memset(op, 0, sizeof(*op));
	if (!verb || (strcmp(verb, "put") && strcmp(verb, "del"))) {
		snprintf(err, errlen, "EINVAL unknown operation '%.20s' (put or del)", verb ? verb : "");
		return -EINVAL;
	}
	del = !strcmp(verb, "del");
	w = db_next_word(&s);
	if (!w || db_unhex(w, kbuf, FOTOS_DB_MAX_KEY, &op->klen) < 0 || !op->klen) {
		snprintf(err, errlen, "EINVAL key: not hex bytes (two hex digits a byte)");
		return -EINVAL;
	}
	if (op->klen > a->db.hdr->max_key_len) {
		snprintf(err, errlen, "E2BIG key of %u bytes: the limit is %llu", op->klen,
			 (unsigned long long)a->db.hdr->max_key_len);
		return -E2BIG;
	}
	op->key = kbuf;
	if (del) {
		op->flags |= WIRE_TXF_TOMB;
	} else {
		w = db_next_word(&s);
		if (!w) {
			snprintf(err, errlen, "EINVAL put needs a value (hex; \"-\" for an empty one)");
			return -EINVAL;
		}
		if (strcmp(w, "-") && db_unhex(w, vbuf, FOTOS_DB_MAX_VAL, &op->vlen) < 0) {
			snprintf(err, errlen, "EINVAL value: not hex bytes, or too long");
			return -EINVAL;
		}
		if (op->vlen > a->db.hdr->max_val_len) {
			snprintf(err, errlen, "E2BIG value of %u bytes: the limit is %llu", op->vlen,
				 (unsigned long long)a->db.hdr->max_val_len);
			return -E2BIG;
		}
		op->val = op->vlen ? vbuf : NULL;
	}
	while ((w = db_next_word(&s))) {
		if (!strcmp(w, "if=absent")) {
			op->flags |= WIRE_TXF_IF_ABSENT;
		} else if (!strncmp(w, "if=", 3) && fotos_vclock_parse(&op->cond, w + 3) == 0 &&
			   op->cond.n) {
			op->flags |= WIRE_TXF_IF_CLOCK;
		} else {
			snprintf(err, errlen, "EINVAL unknown option '%.40s' (if=CLOCK, if=absent)", w);
			return -EINVAL;
		}
	}
	if ((op->flags & WIRE_TXF_IF_ABSENT) && (op->flags & WIRE_TXF_IF_CLOCK)) {
		snprintf(err, errlen, "EINVAL if=absent and if=CLOCK together");
		return -EINVAL;
	}
	return 0;
}

/*
 * "txn [group=G] [timeout=MS] put K V [if=..];del K [if=..];...": run a
 * transaction coordinated here; the answer comes with the decision.
 */
void txn_ctl(struct agent *a, int slot, char *args)
{
	static uint8_t kbuf[FOTOS_DB_MAX_KEY], vbuf[FOTOS_DB_MAX_VAL];
	uint32_t timeout_ms = 4 * a->conf.timeout_ms < 1000 ? 1000 : 4 * a->conf.timeout_ms;
	struct wire_txn_op *op = NULL;
	char err[200], *seg = args, *group = NULL;
	struct txn *t = NULL;
	uint32_t cap = WIRE_MAX_PAYLOAD - 40 - WIRE_GROUP_MAX;
	int reason, opi, wait, absent, first = 1;

	lazy_init(a);
	if (!a->memb.in_network) {
		ctl_reply(a, slot, "err EAGAIN this node is in no network: retry once it is");
		return;
	}
	t = txn_new(a, timeout_ms);
	op = fotos_malloc(sizeof(*op));
	if (t)
		t->ops = fotos_malloc(cap);
	if (!t || !op || !t->ops) {
		ctl_reply(a, slot, "err ENOMEM out of memory");
		goto out;
	}
	while (seg && *seg) {
		char *end = strchr(seg, ';');

		if (end)
			*end++ = 0;
		while (first) {
			char *s = seg, *w;

			while (*s == ' ')
				s++;
			if (strncmp(s, "group=", 6) && strncmp(s, "timeout=", 8))
				break;
			seg = s;
			w = db_next_word(&seg);
			if (!strncmp(w, "group=", 6)) {
				group = w + 6;
			} else {
				char *e;
				unsigned long ms = strtoul(w + 8, &e, 10);

				if (*e || !ms || ms > 3600000) {
					ctl_reply(a, slot, "err EINVAL bad timeout '%.20s' (ms, 1..3600000)", w + 8);
					goto out;
				}
				t->timeout_ms = (uint32_t)ms;
			}
		}
		first = 0;
		while (*seg == ' ')
			seg++;
		if (*seg) {
			int n;

			if (t->nops >= WIRE_TXN_MAX_OPS) {
				ctl_reply(a, slot, "err E2BIG more than %d operations", WIRE_TXN_MAX_OPS);
				goto out;
			}
			if (parse_op(a, seg, op, kbuf, vbuf, err, sizeof(err)) < 0) {
				ctl_reply(a, slot, "err %s (op %u)", err, t->nops);
				goto out;
			}
			/* the version this write makes, the same on every member */
			db_key_state(a, op->key, op->klen, &op->clock, &absent);
			if (op->flags & WIRE_TXF_IF_CLOCK)
				fotos_vclock_merge(&op->clock, &op->cond);
			if (db_next_clock(a, &op->clock) < 0) {
				ctl_reply(a, slot, "err EOVERFLOW clock counter overflow");
				goto out;
			}
			n = wire_txn_op_put(op, t->ops + t->ops_len, cap - t->ops_len);
			if (n < 0) {
				ctl_reply(a, slot, "err E2BIG the operations do not fit one message (%u bytes)",
					  cap);
				goto out;
			}
			t->ops_len += (uint32_t)n;
			t->nops++;
		}
		seg = end;
	}
	if (group) {
		if (!group_name_ok(group)) {
			ctl_reply(a, slot, "err EINVAL bad group name (1..64 printable bytes, no space)");
			goto out;
		}
		t->glen = (uint8_t)strlen(group);
		memcpy(t->group, group, t->glen);
	}
	if (!t->nops && !t->glen) {
		ctl_reply(a, slot, "err EINVAL usage: txn [group=G] [timeout=MS] put KEYHEX VALHEX "
			  "[if=CLOCK|if=absent];del KEYHEX [if=...];...");
		goto out;
	}
	t->deadline_ns = a->now + (uint64_t)t->timeout_ms * 1000000ull;
	reason = prepare_check(a, t, &opi, &wait);
	if (reason) {
		char why[160];

		reason_text(a, reason, a->self, opi, why, sizeof(why));
		if (reason == WIRE_TXR_BAD)
			snprintf(why, sizeof(why), "op %d writes a key an earlier op writes", opi);
		ctl_reply(a, slot, "err %s transaction aborted: %s", reason_errname(reason), why);
		goto out;
	}
	t->client = 1;
	t->slot = slot;
	t->gen = a->conns[slot].gen;
	fotos_free(op);
	launch(a, t);
	kick_all(a);
	return;
out:
	fotos_free(op);
	if (t) {
		fotos_free(t->ops);
		fotos_free(t);
	}
}

static struct rdv_part *part_find(struct agent *a, int slot, const char *group)
{
	struct rdv_part *p;

	for (p = a->txn.parts; p; p = p->next)
		if (p->slot == slot && p->gen == a->conns[slot].gen && !strcmp(p->group, group))
			return p;
	return NULL;
}

static struct rdv_part *part_new(struct agent *a, int slot, const char *group)
{
	struct rdv_part *p = fotos_calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	snprintf(p->group, sizeof(p->group), "%s", group);
	p->slot = slot;
	p->gen = a->conns[slot].gen;
	p->next = a->txn.parts;
	a->txn.parts = p;
	return p;
}

/* "rdv-join GROUP" / "rdv-leave GROUP" on a connection that stays open. */
void txn_ctl_join(struct agent *a, int slot, char *args, int leave)
{
	char *g = db_next_word(&args);
	struct rdv_part *p;

	lazy_init(a);
	if (!g || !group_name_ok(g) || db_next_word(&args)) {
		ctl_reply(a, slot, "err EINVAL usage: rdv-%s GROUP (1..64 printable bytes)",
			  leave ? "leave" : "join");
		return;
	}
	p = part_find(a, slot, g);
	if (leave) {
		if (p && !p->waiting)
			p->joined = 0;
		else if (p)
			p->joined = 0;	/* the wait in progress goes on */
		purge_parts(a);
		ctl_reply(a, slot, "ok left %s", g);
		kick_all(a);
		return;
	}
	if (!p)
		p = part_new(a, slot, g);
	if (!p) {
		ctl_reply(a, slot, "err ENOMEM out of memory");
		return;
	}
	p->joined = 1;
	ctl_reply(a, slot, "ok joined %s", g);
}

/*
 * "rendezvous GROUP TIMEOUT_MS [no]": wait until a participant on every
 * member is there (answered "ok released group=G"), or fail with the
 * reason on every node. "no" votes against the round instead.
 */
void txn_ctl_rdv(struct agent *a, int slot, char *args)
{
	char *g = db_next_word(&args), *ms = db_next_word(&args), *v = db_next_word(&args), *e = NULL;
	unsigned long tmo = ms ? strtoul(ms, &e, 10) : 0;
	struct rdv_part *p;
	struct txn *t;

	lazy_init(a);
	if (!g || !group_name_ok(g) || !ms || *e || !tmo || tmo > 3600000 ||
	    (v && strcmp(v, "no")) || db_next_word(&args)) {
		ctl_reply(a, slot, "err EINVAL usage: rendezvous GROUP TIMEOUT_MS [no]");
		return;
	}
	if (!a->memb.in_network) {
		ctl_reply(a, slot, "err EAGAIN rendezvous failed: this node is in no network");
		return;
	}
	p = part_find(a, slot, g);
	if (p && p->waiting) {
		ctl_reply(a, slot, "err EBUSY this connection already waits in %s", g);
		return;
	}
	if (!p)
		p = part_new(a, slot, g);
	if (!p) {
		ctl_reply(a, slot, "err ENOMEM out of memory");
		return;
	}
	p->waiting = 1;
	p->veto = v != NULL;
	p->bound = 0;
	p->timeout_ms = (uint32_t)tmo;
	p->deadline_ns = a->now + (uint64_t)tmo * 1000000ull;
	t = find_group(a, g, NULL);
	if (t && !t->voted)
		try_vote(a, t);
	a->txn.kick = 1;
	kick_all(a);
}
