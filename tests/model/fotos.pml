/*
 * fotos.pml - a Promela model of the FOTOS membership procedures exactly as
 * agent/memb.c implements them, over links as agent/mesh.c implements them.
 * See tests/model/README.md for the mapping and what is abstracted.
 *
 * Build-time parameters (spin -D...):
 *   N       nodes (3; 4 works with smaller bounds)
 *   MAXINC  incarnations per node (2 = one restart allowed)
 *   MAXSEQ  proposals per incarnation (the pid space is bounded)
 *   MAXF    faults per run (cut one way, cut both ways, crash)
 *   RACES   "early" timer firings / concurrent proposals per run (below)
 *   PAUSES  0: no process pauses; 1: a pause (SIGSTOP) is one of the faults
 * Start at run time: FOTOS_FORMED=0 (default): N fresh processes (network
 * start, merges); 1: a formed, stable network of all N nodes (the faults
 * can hit it at once).
 * Property selection at run time: FOTOS_PROPS (bits P_AGREE 1, P_SELF 2,
 * P_MESH 4, P_END 8; default all); the LTL claim "live" is always compiled
 * (pan -a -f checks it; -DNOCLAIM leaves it out).
 */
#ifndef N
#define N 3
#endif
#ifndef MAXINC
#define MAXINC 2
#endif
#ifndef MAXSEQ
#define MAXSEQ 4
#endif
#ifndef MAXF
#define MAXF 1
#endif
#ifndef RACES
#define RACES 1
#endif
#ifndef PAUSES
#define PAUSES 1
#endif
#define CAP 8
#define ALL ((1 << N) - 1)
#define NP (N * MAXINC * MAXSEQ + 1)
#define B(k) (1 << (k))

/* node states: shm/fotos_abi.h FOTOS_ST_* (+1: 0 is "dead" in the model) */
#define STARTING 1	/* memb.c: memb_init() */
#define JOINING  2	/* memb.c: evaluate_outsider(), leave_for_merge() */
#define STABLE   3	/* memb.c: install(), evaluate_member() */
#define UNSTABLE 4	/* memb.c: evaluate_member() (out || rumour) */
#define REMOVED  5	/* memb.c: become_removed() */
#define OPER(s) ((s) == STABLE || (s) == UNSTABLE)	/* memb.c: operational() */

/* proposal kinds: wire.h enum wire_kind */
#define K_START  1
#define K_JOIN   2
#define K_REMOVE 3
/* vote reasons: wire.h enum wire_vote_reason */
#define V_YES 0
#define V_BUSY 1
#define V_STALE 2
#define V_NOT_SEEN 3
#define V_INC 4
#define V_IN_NET 5
#define V_ABORTED 6
#define V_BAD 7
#define V_HOLD 8	/* WIRE_VOTE_HOLD_DOWN: judge(), memb_hold_ms() */
/* outcomes: wire.h enum wire_outcome_value */
#define O_PENDING 0
#define O_COMMITTED 1
#define O_ABORTED 2
/* query state per (querier, peer): abstraction of next_query_ns */
#define Q_NONE 0
#define Q_SENT 1
#define Q_PEND 2

/* pid = (proposer, incarnation, seq) as wire.h struct wire_pid, as a byte */
#define PID(n, c, s) (1 + (n) * (MAXINC * MAXSEQ) + ((c) - 1) * MAXSEQ + ((s) - 1))
#define PROP(p) (((p) - 1) / (MAXINC * MAXSEQ))
#define PINC(p) ((((p) - 1) / MAXSEQ) % MAXINC + 1)
#define PB(p) (1 << ((p) - 1))		/* pid as a bit of the aborted/committed rings */

#define POP(x) (((x) & 1) + (((x) >> 1) & 1) + (((x) >> 2) & 1) + (((x) >> 3) & 1))
#define LOW(x) (((x) & 1) -> 0 : (((x) & 2) -> 1 : (((x) & 4) -> 2 : (((x) & 8) -> 3 : 255))))
/* memb.c: better_network() */
#define BETTER(x, y) ((POP(x) != POP(y)) -> (POP(x) > POP(y)) : (LOW(x) < LOW(y)))

/*
 * Messages, one FIFO channel per ordered pair (one TCP connection per pair).
 *   STATUS  x=view pid y=state*2+busy z=seen   mesh.c: send_status(), mesh_on_data()
 *   PROPOSE x=pid                               memb.c: propose() -> on_propose()/judge()
 *   VOTE    x=pid y=reason                      memb.c: on_propose() -> on_vote()
 *   COMMIT  x=pid                               memb.c: commit_mine() -> memb_on_msg() WIRE_COMMIT
 *   ABORT   x=pid                               memb.c: abort_mine() -> memb_on_msg() WIRE_ABORT
 *   QUERY   x=pid                               memb.c: query_check() -> on_query()
 *   OUTCOME x=pid y=outcome                     memb.c: on_query() -> on_outcome()
 *   CLOSE   the TCP FIN after the data          mesh.c: conn_close() -> mesh_on_close()
 */
mtype = { STATUS, PROPOSE, VOTE, COMMIT, ABORT, QUERY, OUTCOME, CLOSE };
chan ch[N * N] = [CAP] of { mtype, byte, byte, byte };
#define CH(a, b) ch[(a) * N + (b)]

typedef brow { bit v[N] };
typedef byrow { byte v[N] };

/* The content of each proposal, by pid: written once by propose(), then
 * read-only (the PROPOSE message carries it in the C code). */
byte tkind[NP], tmem[NP], tbase[NP], tepoch[NP], tnet[NP];
byrow tinc[NP];			/* incarnations of the members */

/* per node: struct memb (memb.c) */
bit alive[N];
byte inc[N];			/* incarnation, 1.. */
byte st[N];			/* state, 0 when dead */
byte vw[N];			/* pid of the installed view, 0: not in a network */
byte seq[N];
byte mine[N];			/* proposing: pid of my proposal */
byte yes[N];			/* mine.yes */
byte lck[N];			/* locked: pid I voted yes for */
bit qing[N];			/* lock.querying */
byte answered[N];		/* lock.answered */
int aborted[N], committed[N];	/* the two rings, as pid bit sets */
bit waited[N], waited2[N];	/* since >= wait; since >= wait + 2 timeout */
bit backoff[N];			/* now < next_try_ns (retry_later) */
bit grace[N];			/* need_since grace elapsed */
bit quar[N];			/* now < quarantine_until_ns (quarantine()) */
bit paused[N];			/* process stopped (SIGSTOP): takes no step */
/* per node and peer: struct peer (mesh.c) */
brow up[N], hst[N], pbusy[N], sdirty[N];
byrow pinc[N], pst[N], pseen[N], pvw[N], qs[N];
/* struct peer, membership part (memb.c):
 *   mm    mismatch_ns: 0 unset, 1 set, 2 set and a timeout ago (to_remove())
 *   sfr   .v[m]: the peers whose STATUS came after our link to m went down
 *         (st_rx_ns > down_ns[m]: others_still_see())
 *   dexp  bit m: our link to m has been down 3 timeouts (to_remove())
 *   held  bit k: k was removed while alive (removals, removed_inc) and its
 *         hold-down has not ended (memb_hold_ms(), judge())
 *   rinc  .v[k]: removed_inc */
byrow mm[N], sfr[N], rinc[N];
byte dexp[N], held[N];
/* the network */
brow cut[N];			/* cut[a].v[b]: a -> b loses everything */
byte faults, races;
bit fstop;			/* no more faults, heals or restarts */
/* derived after every step (functions of the state above) */
bit want[N], outflag[N], settled, quiet, convd, exhausted;
byte dfr[N];			/* members whose removal i defers (to_remove()) */
byte mmcur[N];			/* members reporting another view of ours now */
byte mmt[N];			/* of those, the ones whose mismatch timer runs */
byte hup[N];			/* held-down peers whose link is up */
int lsig[N];			/* last status announced */

/* Agreement ghosts: the member set each node installed, and the first
 * member set installed under each view id (pid). Zero unless P_AGREE. */
byte gmem[N], gview[NP];
/* Mesh ghost: the nodes that installed each view (any incarnation). */
byte gins[NP];
/* Which properties this run checks, from the environment variable
 * FOTOS_PROPS (a bit set, below), so one compiled verifier serves all. */
hidden byte props;
hidden byte formed;		/* FOTOS_FORMED */
#define P_AGREE 1
#define P_SELF 2
#define P_MESH 4
#define P_END 8
#define PSEL(x) ((props & (x)) != 0)
/* Each property's assertions name it (always-0 bits), so that run.sh can
 * tell from pan's "assertion violated ..." which property failed. */
hidden byte agree_fails, self_fails, mesh_fails, end_fails;

/* scratch, not part of the state */
hidden byte h_arg, h_t, h_x, h_y, h_z, h_p, h_r, h_seen, h_mem, h_out, h_first, h_rest,
	h_worst, h_wn, h_n, h_rs1, h_rs2, h_sb1, h_sb2, h_best, h_bid, h_cl,
	h_kind, h_base, h_rem, h_need, h_miss, h_pr, h_k;
hidden byte h_removed, h_anyop, h_ok, h_cok, h_done, h_exh, h_defer, h_mmn, h_conf;
hidden byte s_k, r_i, r_j, r_k, c_j, c_k, o_k, m_k, q_k, a_k, b_k, i_k, p_k, e_k, e_j, f_k;
hidden int h_sig;

/*
 * The pure computations of memb.c (no messages, no side effects) in C,
 * transcribed from agent/memb.c: to_remove(), start_candidates(), the
 * proposing decisions of evaluate_member()/evaluate_outsider(), and the
 * derived state recomputed after every step. Arguments and results go
 * through the hidden h_* variables.
 */
c_code {
#define C_OPER(s) ((s) == 3 || (s) == 4)
static int c_pop(int x) { return __builtin_popcount((unsigned)x); }
static int c_low(int x) { return x ? __builtin_ctz((unsigned)x) : 255; }
static int c_better(int x, int y)	/* memb.c: better_network() */
{
	if (c_pop(x) != c_pop(y))
		return c_pop(x) > c_pop(y);
	return c_low(x) < c_low(y);
}
static int c_seen(int i)		/* mesh.c: mesh_seen() */
{
	int r = 1 << i, k;
	for (k = 0; k < N; k++)
		if (now.up[i].v[k])
			r |= 1 << k;
	return r;
}
static int c_seen_by(int i, int k)	/* memb.c: seen_by() */
{
	if (k == i)
		return c_seen(i);
	if (now.up[i].v[k] && now.hst[i].v[k])
		return now.pseen[i].v[k];
	return 255;
}
static int c_reported_seen(int i, int k)	/* memb.c: reported_seen() */
{
	if (k != i && now.hst[i].v[k] && now.pvw[i].v[k] != now.vw[i])
		return 255;
	return c_seen_by(i, k);
}
/* memb.c: others_still_see(): a member other than i and m whose STATUS
 * came after i's link to m went down says it still sees m. */
static int c_others_still_see(int i, int m)
{
	int k, members = now.tmem[now.vw[i]];

	for (k = 0; k < N; k++) {
		if (k == i || k == m || !(members & (1 << k)))
			continue;
		if (now.up[i].v[k] && now.hst[i].v[k] && (now.sfr[i].v[m] & (1 << k)) &&
		    (now.pseen[i].v[k] & (1 << m)))
			return 1;
	}
	return 0;
}
/* memb.c: to_remove(). Pure: the mismatch_ns side effect is mm_update().
 * Out: h_removed (1: a newer view without i, 2: no member confirms i's
 * view for a timeout: a phantom; both are to_remove() == -1), h_out,
 * h_first (firsthand), h_defer (deferred, as a set), h_mmn (members
 * reporting another view of ours), h_conf (every other member reports
 * i's view: evaluate_member()'s confirmation). */
static void c_to_remove(int i)
{
	int v = now.vw[i], members = now.tmem[now.vw[i]], out = 0, rest, k, j;
	int fresh = 0, confirm = 0, stuck = 0;

	h_removed = 0;
	h_defer = 0;
	h_mmn = 0;
	h_conf = 1;
	for (k = 0; k < N; k++) {
		int pv = now.pvw[i].v[k];
		if (!(members & (1 << k)) || k == i)
			continue;
		if (!(now.hst[i].v[k] && pv == v))
			h_conf = 0;
		/* of a broken pair the higher end goes: i waits to be removed */
		if (!now.up[i].v[k] && k < i && !(now.dexp[i] & (1 << k)) &&
		    c_others_still_see(i, k)) {
			h_defer |= 1 << k;
			continue;
		}
		if (!now.up[i].v[k] || now.pinc[i].v[k] != now.tinc[v].v[k]) {
			out |= 1 << k;
			continue;
		}
		if (!now.hst[i].v[k])
			continue;
		if (!C_OPER(now.pst[i].v[k]) || now.tnet[pv] != now.tnet[v]) {
			out |= 1 << k;
			continue;
		}
		if (now.tepoch[pv] > now.tepoch[v] && !(now.tmem[pv] & (1 << i))) {
			h_removed = 1;
			return;
		}
		fresh++;
		if (pv == v) {
			confirm++;
		} else if (now.tepoch[pv] <= now.tepoch[v]) {
			h_mmn |= 1 << k;
			if (now.mm[i].v[k] == 2) {
				stuck++;
				out |= 1 << k;
			}
		}
	}
	if (fresh && !confirm && stuck == fresh) {
		h_removed = 2;	/* "no member confirms view ...: leaving it" */
		return;
	}
	h_first = out;
	rest = members & ~out;
	for (;;) {
		int worst = -1, worst_n = 0;
		for (k = 0; k < N; k++) {
			int n = 0;
			if (!(rest & (1 << k)))
				continue;
			for (j = 0; j < N; j++)
				if (j != k && (rest & (1 << j)) &&
				    (!(c_reported_seen(i, k) & (1 << j)) ||
				     !(c_reported_seen(i, j) & (1 << k))))
					n++;
			if (n && n >= worst_n) {
				worst = k;
				worst_n = n;
			}
		}
		if (worst < 0)
			break;
		rest &= ~(1 << worst);
		out |= 1 << worst;
	}
	h_out = out;
}
/* memb.c: to_remove()'s side effect on mismatch_ns: set when a member
 * first reports another view of ours (same or older epoch), cleared when
 * it reports ours. */
void f_mm_update(void)
{
	int i = h_arg, v = now.vw[i], k;

	for (k = 0; k < N; k++) {
		int pv = now.pvw[i].v[k];
		if (!(now.tmem[v] & (1 << k)) || k == i || !now.up[i].v[k] ||
		    now.pinc[i].v[k] != now.tinc[v].v[k] || !now.hst[i].v[k] ||
		    !C_OPER(now.pst[i].v[k]) || now.tnet[pv] != now.tnet[v])
			continue;
		if (pv == v)
			now.mm[i].v[k] = 0;
		else if (now.tepoch[pv] <= now.tepoch[v] && now.mm[i].v[k] == 0)
			now.mm[i].v[k] = 1;
	}
}
void f_to_remove(void) { h_out = 0; h_first = 0; c_to_remove(h_arg); }

static int c_start_candidates(int i)	/* memb.c: start_candidates() */
{
	int clique = 1 << i, k, j;
	for (k = 0; k < N; k++) {
		int ok = 1;
		if (k == i || !now.up[i].v[k] || !now.hst[i].v[k] || C_OPER(now.pst[i].v[k]))
			continue;
		for (j = 0; j < N && ok; j++)
			if (clique & (1 << j))
				ok = (c_seen_by(i, k) & (1 << j)) && (c_seen_by(i, j) & (1 << k));
		if (ok)
			clique |= 1 << k;
	}
	return clique;
}
#define C_BUSY(i) (now.mine[i] != 0 || now.lck[i] != 0)
/* The proposing part of memb.c evaluate_member()/evaluate_outsider(). */
static void c_decide(int i)
{
	int seen, best = 0, bid = 0, any_op = 0, k, ok;

	h_kind = 0;
	h_exh = 0;
	if (!now.alive[i] || C_BUSY(i) || now.backoff[i])
		return;
	if (now.vw[i]) {
		int rem;
		h_out = 0;
		c_to_remove(i);
		if (h_removed || !h_out)
			return;
		rem = now.tmem[now.vw[i]] & ~h_out;
		if (!(rem & (1 << i)))
			return;		/* the others will remove us */
		if (c_low(rem) != i && !now.grace[i])
			return;
		if (h_out != h_first && !now.grace[i])
			return;
		h_kind = 3; h_mem = rem; h_base = now.vw[i];
	} else {
		if (now.quar[i])
			return;		/* now < quarantine_until_ns */
		seen = c_seen(i);
		for (k = 0; k < N; k++) {
			int pv = now.pvw[i].v[k];
			if (k == i || !now.up[i].v[k] || !now.hst[i].v[k] || !C_OPER(now.pst[i].v[k]))
				continue;
			any_op = 1;
			if (!best || c_better(now.tmem[pv], best)) {
				best = now.tmem[pv];
				bid = pv;
			}
		}
		if (any_op) {
			if (!best || (best & seen) != best)
				return;
			for (k = 0; k < N; k++) {
				if (!(best & (1 << k)))
					continue;
				if (k == i || !now.hst[i].v[k] || now.pvw[i].v[k] != bid ||
				    now.pbusy[i].v[k] || !(now.pseen[i].v[k] & (1 << i)))
					return;
			}
			h_kind = 2; h_mem = best | (1 << i); h_base = bid;
		} else {
			best = c_start_candidates(i);
			if (c_low(best) == i) {
				if (best != ALL && !now.waited[i])
					return;
			} else if (!now.waited2[i]) {
				return;
			}
			for (k = 0; k < N; k++)	/* st.busy is read even without have_st */
				if ((best & (1 << k)) && k != i && now.pbusy[i].v[k])
					return;
			h_kind = 1; h_mem = best; h_base = 0;
		}
	}
	if (now.seq[i] >= MAXSEQ) {
		h_kind = 0;
		h_exh = 1;
	}
}
void f_decide(void) { c_decide(h_arg); }

/* Derived state: heartbeat marks, settled/quiet, want, outflag, convd. */
void f_post(void)
{
	int k, j, clique = 1;

	now.settled = 1;
	now.quiet = 1;
	for (k = 0; k < N * N; k++)	/* (a paused node reads nothing) */
		if (q_len(now.ch[k]) && !now.paused[k % N])
			now.settled = 0;
	for (k = 0; k < N; k++) {
		int sig;
		if (!now.alive[k])
			continue;
		sig = now.vw[k] * 4096 + (now.st[k] * 2 + (C_BUSY(k) ? 1 : 0)) * 256 + c_seen(k);
		if (sig != now.lsig[k]) {	/* goes out with the next heartbeat */
			now.lsig[k] = sig;
			for (j = 0; j < N; j++)
				now.sdirty[k].v[j] = j != k;
		}
		for (j = 0; j < N; j++)
			if (now.sdirty[k].v[j] && now.up[k].v[j] && now.alive[j] &&
			    now.up[j].v[k] && !now.cut[k].v[j] && !now.paused[k])
				now.settled = 0;
		if (C_BUSY(k) && !now.paused[k])
			now.quiet = 0;
	}
	now.quiet = now.quiet && now.settled;
	now.exhausted = 0;
	for (k = 0; k < N; k++) {
		c_decide(k);
		now.want[k] = h_kind != 0;
		if (h_exh)
			now.exhausted = 1;
		now.outflag[k] = 0;
		now.dfr[k] = 0;
		now.mmcur[k] = 0;
		now.mmt[k] = 0;
		now.hup[k] = 0;
		for (j = 0; j < N; j++)
			if ((now.held[k] & (1 << j)) && now.up[k].v[j])
				now.hup[k] |= 1 << j;
		if (now.alive[k] && now.vw[k]) {
			h_out = 0;
			c_to_remove(k);
			now.outflag[k] = !h_removed && h_out;
			if (!h_removed) {
				now.dfr[k] = h_defer;
				now.mmcur[k] = h_mmn;
				for (j = 0; j < N; j++)
					if ((h_mmn & (1 << j)) && now.mm[k].v[j] == 1)
						now.mmt[k] |= 1 << j;
			}
		}
	}
	/* convergence: every live node idle; one in a network is stable in a
	 * view whose members are live, installed the same view and see each
	 * other; and if the live nodes all see each other, all are in one view
	 * (a node that cannot see every member of a network stays outside:
	 * that is the FOTOS rule, not a failure to converge). */
	now.convd = 1;
	for (k = 0; k < N; k++) {
		if (!now.alive[k])
			continue;
		if (C_BUSY(k) || (now.vw[k] && now.st[k] != 3) || now.paused[k])
			now.convd = 0;
		for (j = 0; j < N; j++) {
			if (j == k)
				continue;
			if (now.alive[j] && !(now.up[k].v[j] && now.up[j].v[k]))
				clique = 0;
			if ((now.tmem[now.vw[k]] & (1 << j)) &&
			    !(now.alive[j] && now.vw[j] == now.vw[k] && now.up[k].v[j]))
				now.convd = 0;
		}
	}
	if (clique)
		for (k = 0; k < N; k++)
			for (j = 0; j < N; j++)
				if (now.alive[k] && now.alive[j] && (!now.vw[k] || now.vw[k] != now.vw[j]))
					now.convd = 0;
}
}

/* ---------------- helpers ---------------- */

/* mesh.c: mesh_seen() */
inline calc_seen(i, r) {
	r = B(i);
	for (s_k : 0 .. N - 1) {
		if
		:: up[i].v[s_k] -> r = r | B(s_k)
		:: else
		fi
	}
}

/* memb.c: seen_by() */
inline seen_by(i, k, r) {
	if
	:: k == i -> calc_seen(i, r)
	:: k != i && up[i].v[k] && hst[i].v[k] -> r = pseen[i].v[k]
	:: else -> r = 255
	fi
}

/* memb.c: reported_seen() */
inline reported_seen(i, k, r) {
	if
	:: k != i && hst[i].v[k] && pvw[i].v[k] != vw[i] -> r = 255
	:: else -> seen_by(i, k, r)
	fi
}

/* mesh.c: mesh_send(): only on a link up at our end; lost if the other
 * end is closed or dead, or the direction is cut. */
inline send(a, b, t, x, y, z) {
	if
	:: up[a].v[b] && alive[b] && up[b].v[a] && !cut[a].v[b] ->
		assert(nfull(CH(a, b)));
		CH(a, b)!t, x, y, z
	:: else
	fi
}

#define BUSY(i) (mine[i] != 0 || lck[i] != 0)
#define STATEBYTE(i) (st[i] * 2 + (BUSY(i) -> 1 : 0))

/* mesh.c: send_status() via memb.c: memb_status() */
inline send_status(i, k) {
	calc_seen(i, h_seen);
	send(i, k, STATUS, vw[i], STATEBYTE(i), h_seen);
	sdirty[i].v[k] = 0
}

/* mesh.c: mesh_broadcast_status() */
inline bcast_status(i) {
	for (b_k : 0 .. N - 1) {
		if
		:: b_k != i && up[i].v[b_k] -> send_status(i, b_k)
		:: else
		fi
	}
	calc_seen(i, h_seen);
	lsig[i] = vw[i] * 4096 + STATEBYTE(i) * 256 + h_seen
}

inline flush(a, b) {
	do
	:: nempty(CH(a, b)) -> CH(a, b)?_, _, _, _
	:: empty(CH(a, b)) -> break
	od
}

/* ---------------- memb.c ---------------- */

/* memb.c: install() */
inline install(i, p) {
	if
	:: !(tmem[p] & B(i)) ->
		if
		:: PSEL(P_SELF) -> assert(self_fails)	/* a view without self reached install() */
		:: else
		fi		/* "refusing to install a view without self" */
	:: else ->
		if
		:: PSEL(P_AGREE) ->
		/* agreement: same view id, same member set (and epoch, network) */
		for (i_k : 0 .. N - 1) {
			if
			:: alive[i_k] && vw[i_k] == p -> assert(gmem[i_k] == tmem[p] || agree_fails)
			:: else
			fi
		}
		if
		:: gview[p] == 0 -> gview[p] = tmem[p]
		:: else -> assert(gview[p] == tmem[p] || agree_fails)
		fi;
		gmem[i] = tmem[p]
		:: else
		fi;
		printf("MSC: node %d installs pid %d members %d\n", i, p, tmem[p]);
		if
		:: PSEL(P_MESH) -> gins[p] = gins[p] | B(i)
		:: else
		fi;
		/* members removed: removals++, removed_inc (hold-down) */
		for (i_k : 0 .. N - 1) {
			if
			:: vw[i] != 0 && (tmem[vw[i]] & ~tmem[p] & B(i_k)) ->
				held[i] = held[i] | B(i_k);
				rinc[i].v[i_k] = tinc[vw[i]].v[i_k]
			:: else
			fi
		}
		vw[i] = p;
		committed[i] = committed[i] | PB(p);
		grace[i] = 0;
		for (i_k : 0 .. N - 1) {
			hst[i].v[i_k] = 0;
			mm[i].v[i_k] = 0;
			/* the peers' next heartbeat (mesh_tick) */
			sdirty[i_k].v[i] = (i_k != i -> 1 : 0)
		}
		/* unstable until every member says it holds the view too */
		st[i] = ((tmem[p] & ~B(i)) != 0 -> UNSTABLE : STABLE);
		bcast_status(i)
	fi
}

/* memb.c: abort_mine() */
inline abort_mine(i) {
	if
	:: mine[i] != 0 ->
		printf("MSC: node %d aborts its pid %d\n", i, mine[i]);
		for (a_k : 0 .. N - 1) {
			if
			:: a_k != i && (tmem[mine[i]] & B(a_k)) -> send(i, a_k, ABORT, mine[i], 0, 0)
			:: else
			fi
		}
		aborted[i] = aborted[i] | PB(mine[i]);
		mine[i] = 0;
		yes[i] = 0;
		backoff[i] = 1		/* retry_later() */
	:: else
	fi
}

/* Property mesh, at agreement: node i, voting yes on p (judge()) or
 * deciding to commit it (commit_mine()), has its link up to every other
 * member of p, with the incarnation p names, and p names i's own. */
inline check_mesh_agree(i, p) {
	if
	:: PSEL(P_MESH) ->
		assert(tinc[p].v[i] == inc[i] || mesh_fails);
		for (e_k : 0 .. N - 1) {
			if
			:: e_k != i && (tmem[p] & B(e_k)) ->
				assert(up[i].v[e_k] && pinc[i].v[e_k] == tinc[p].v[e_k] || mesh_fails)
			:: else
			fi
		}
	:: else
	fi
}

/* Property mesh, at stability: node i holds its view v STABLE only if
 * every other member installed v (ghost gins) and reported so in a STATUS
 * about v that shows a live link to every member of v, and i's own links
 * to them are up with v's incarnations: the full mesh of v, confirmed by
 * every member after it installed v (evaluate_member()). */
inline check_mesh_stable(i) {
	if
	:: PSEL(P_MESH) && st[i] == STABLE ->
		for (e_k : 0 .. N - 1) {
			if
			:: e_k != i && (tmem[vw[i]] & B(e_k)) ->
				assert((gins[vw[i]] & B(e_k)) && hst[i].v[e_k] && pvw[i].v[e_k] == vw[i] &&
				       (pseen[i].v[e_k] & tmem[vw[i]]) == tmem[vw[i]] &&
				       up[i].v[e_k] && pinc[i].v[e_k] == tinc[vw[i]].v[e_k] || mesh_fails)
			:: else
			fi
		}
	:: else
	fi
}

/* memb.c: commit_mine() */
inline commit_mine(i) {
	printf("MSC: node %d commits pid %d\n", i, mine[i]);
	check_mesh_agree(i, mine[i]);
	for (a_k : 0 .. N - 1) {
		if
		:: a_k != i && (tmem[mine[i]] & B(a_k)) -> send(i, a_k, COMMIT, mine[i], 0, 0)
		:: else
		fi
	}
	h_p = mine[i];
	mine[i] = 0;
	yes[i] = 0;
	install(i, h_p)
}

/* memb.c: unlock() */
inline unlock(i, ab) {
	if
	:: ab -> aborted[i] = aborted[i] | PB(lck[i])
	:: else
	fi;
	lck[i] = 0;
	qing[i] = 0;
	answered[i] = 0;
	for (q_k : 0 .. N - 1) { qs[i].v[q_k] = Q_NONE }
}

/* memb.c: query_needed() + query_check(); the resend pace (next_query_ns)
 * is modelled by qs: a peer that answered PENDING is asked again after
 * its next STATUS (its answer can only change with its status). */
inline query_check(i) {
	calc_seen(i, h_seen);
	h_need = tmem[lck[i]] & ~B(i) & ~B(PROP(lck[i])) & h_seen;
	if
	:: (answered[i] & h_need) == h_need -> unlock(i, 1)
	:: else ->
		for (q_k : 0 .. N - 1) {
			if
			:: (h_need & ~answered[i] & B(q_k)) && qs[i].v[q_k] == Q_NONE ->
				send(i, q_k, QUERY, lck[i], 0, 0);
				qs[i].v[q_k] = Q_SENT
			:: else
			fi
		}
	fi
}

/* memb.c: start_query() */
inline start_query(i) {
	if
	:: !qing[i] ->
		qing[i] = 1;
		answered[i] = 0;
		for (q_k : 0 .. N - 1) { qs[i].v[q_k] = Q_NONE }
		query_check(i)
	:: else
	fi
}

/* memb.c: become_removed() */
inline become_removed(i) {
	printf("MSC: node %d learns it was removed\n", i);
	abort_mine(i);
	if
	:: lck[i] -> unlock(i, 1)
	:: else
	fi;
	vw[i] = 0;
	st[i] = REMOVED;
	backoff[i] = 0;
	grace[i] = 0;
	quar[i] = 1;		/* quarantine() */
	for (q_k : 0 .. N - 1) { mm[i].v[q_k] = 0 }	/* (unused outside a view) */
	bcast_status(i)
}

/* memb.c: leave_for_merge() */
inline leave_for_merge(i) {
	printf("MSC: node %d leaves its network to merge\n", i);
	vw[i] = 0;
	st[i] = JOINING;
	grace[i] = 0;
	quar[i] = 1;		/* quarantine() */
	for (q_k : 0 .. N - 1) { mm[i].v[q_k] = 0 }
	bcast_status(i)
}

/* memb.c: to_remove(): h_out, h_first, h_removed */
inline to_remove(i) {
	h_arg = i;
	c_code { f_to_remove(); }
}

/* memb.c: evaluate_member()'s merge loop */
inline merge_check(i) {
	calc_seen(i, h_seen);
	h_done = 0;
	for (m_k : 0 .. N - 1) {
		if
		:: !h_done && m_k != i && up[i].v[m_k] && hst[i].v[m_k] && !(tmem[vw[i]] & B(m_k)) &&
		   OPER(pst[i].v[m_k]) && !(tmem[pvw[i].v[m_k]] & B(i)) &&
		   (tmem[pvw[i].v[m_k]] & h_seen) == tmem[pvw[i].v[m_k]] &&
		   BETTER(tmem[pvw[i].v[m_k]], tmem[vw[i]]) ->
			leave_for_merge(i);
			h_done = 1
		:: else
		fi
	}
}

/* memb.c: memb_evaluate() and memb_tick()'s query_check, except the
 * decision to propose, which is the separate step "propose" below. */
inline evaluate(i) {
	if
	:: !alive[i]
	:: alive[i] && vw[i] != 0 ->
		to_remove(i);
		if
		:: h_removed -> become_removed(i)
		:: else ->
			c_code { f_mm_update(); };
			/* rumour: deferred, a removal under way, or a member
			 * that has not confirmed the view (not yet stable) */
			st[i] = ((h_out != 0 || h_defer != 0 || !h_conf ||
				  (lck[i] != 0 && tkind[lck[i]] == K_REMOVE) ||
				  (mine[i] != 0 && tkind[mine[i]] == K_REMOVE)) -> UNSTABLE : STABLE);
			check_mesh_stable(i);
			if
			:: h_out == 0 -> grace[i] = 0
			:: else
			fi;
			if
			:: h_out == 0 && !BUSY(i) && !backoff[i] -> merge_check(i)
			:: else
			fi
		fi
	:: else ->
		calc_seen(i, h_seen);
		if
		:: st[i] == STARTING && (waited[i] || h_seen != B(i)) -> st[i] = JOINING
		:: else
		fi
	fi;
	if
	:: alive[i] && lck[i] != 0 && qing[i] -> query_check(i)
	:: else
	fi
}

/* memb.c: start_candidates() */


/* The proposing part of memb.c: evaluate_member() / evaluate_outsider():
 * h_kind (0: none), h_mem, h_base. h_exh: would propose but out of pids. */
inline decide(i) {
	h_arg = i;
	c_code { f_decide(); }
}

/* memb.c: propose() */
inline do_propose(i) {
	decide(i);
	assert(h_kind != 0);
	seq[i]++;
	h_p = PID(i, inc[i], seq[i]);
	tkind[h_p] = h_kind;
	tmem[h_p] = h_mem;
	tbase[h_p] = h_base;
	tepoch[h_p] = (h_kind == K_START -> 1 : tepoch[h_base] + 1);
	tnet[h_p] = (h_kind == K_START -> h_p : tnet[h_base]);
	for (p_k : 0 .. N - 1) {
		if
		:: h_mem & B(p_k) -> tinc[h_p].v[p_k] = (p_k == i -> inc[i] : pinc[i].v[p_k])
		:: else
		fi
	}
	mine[i] = h_p;
	yes[i] = 0;
	printf("MSC: node %d proposes pid %d kind %d members %d\n", i, h_p, h_kind, h_mem);
	if
	:: (h_mem & ~B(i)) == 0 -> commit_mine(i)
	:: else ->
		for (p_k : 0 .. N - 1) {
			if
			:: p_k != i && (h_mem & B(p_k)) -> send(i, p_k, PROPOSE, h_p, 0, 0)
			:: else
			fi
		}
	fi
}

/* memb.c: judge() -> h_r */
inline judge(i, p) {
	h_pr = PROP(p);
	h_mem = tmem[p];
	if
	:: aborted[i] & PB(p) -> h_r = V_ABORTED
	:: else ->
	if
	:: BUSY(i) -> h_r = V_BUSY
	:: else ->
	if
	:: !(h_mem & B(i)) || !(h_mem & B(h_pr)) -> h_r = V_BAD
	:: else ->
		h_r = V_YES;
		if
		:: tkind[p] == K_START ->
			if
			:: vw[i] != 0 -> h_r = V_IN_NET
			:: else
			fi
		:: tkind[p] == K_JOIN ->
			if
			:: vw[i] == 0 || tbase[p] != vw[i] -> h_r = V_STALE
			:: else ->
				if
				:: h_mem != (tmem[vw[i]] | B(h_pr)) || (tmem[vw[i]] & B(h_pr)) -> h_r = V_BAD
				:: else ->
					/* memb_hold_ms(): removed in this life, hold not over */
					if
					:: (held[i] & B(h_pr)) && pinc[i].v[h_pr] == rinc[i].v[h_pr] -> h_r = V_HOLD
					:: else
					fi
				fi
			fi
		:: tkind[p] == K_REMOVE ->
			if
			:: vw[i] == 0 || tbase[p] != vw[i] -> h_r = V_STALE
			:: else ->
				if
				:: (h_mem & ~tmem[vw[i]]) || !(tmem[vw[i]] & B(h_pr)) -> h_r = V_BAD
				:: else
				fi
			fi
		fi;
		if
		:: h_r == V_YES ->
			h_miss = 0;
			for (f_k : 0 .. N - 1) {
				if
				:: (h_mem & B(f_k)) && f_k == i && tinc[p].v[f_k] != inc[i] ->
					h_miss = h_miss | B(f_k)
				:: (h_mem & B(f_k)) && f_k != i &&
				   !(up[i].v[f_k] && pinc[i].v[f_k] == tinc[p].v[f_k]) ->
					h_miss = h_miss | B(f_k)
				:: else
				fi
			}
			if
			:: h_miss & B(i) -> h_r = V_INC
			:: h_miss != 0 && !(h_miss & B(i)) -> h_r = V_NOT_SEEN
			:: else
			fi
		:: else
		fi
	fi
	fi
	fi
}

/* memb.c: on_propose() */
inline on_propose(i, from, p) {
	if
	:: PROP(p) != from -> h_r = V_BAD
	:: lck[i] == p -> h_r = 255	/* a repeat: already voted yes */
	:: else -> judge(i, p)
	fi;
	if
	:: h_r == V_YES ->
		check_mesh_agree(i, p);
		lck[i] = p;
		qing[i] = 0;
		answered[i] = 0;
		for (q_k : 0 .. N - 1) { qs[i].v[q_k] = Q_NONE }
	:: else
	fi;
	if
	:: h_r != 255 -> send(i, from, VOTE, p, h_r, 0)
	:: else
	fi
}

/* memb.c: on_vote() */
inline on_vote(i, from, p, r) {
	if
	:: mine[i] != 0 && mine[i] == p && (tmem[mine[i]] & ~B(i) & B(from)) ->
		if
		:: r != V_YES -> abort_mine(i)
		:: else ->
			yes[i] = yes[i] | B(from);
			if
			:: yes[i] == (tmem[mine[i]] & ~B(i)) -> commit_mine(i)
			:: else
			fi
		fi
	:: else
	fi
}

/* memb.c: on_query() */
inline on_query(i, from, p) {
	if
	:: committed[i] & PB(p) -> h_r = O_COMMITTED
	:: !(committed[i] & PB(p)) && lck[i] == p && PROP(p) != i &&
	   up[i].v[PROP(p)] && pinc[i].v[PROP(p)] == PINC(p) -> h_r = O_PENDING
	:: else ->
		h_r = O_ABORTED;
		if
		:: lck[i] != p && !(aborted[i] & PB(p)) -> aborted[i] = aborted[i] | PB(p)
		:: else
		fi
	fi;
	send(i, from, OUTCOME, p, h_r, 0)
}

/* memb.c: on_outcome() */
inline on_outcome(i, from, p, o) {
	if
	:: lck[i] != 0 && qing[i] && lck[i] == p ->
		qs[i].v[from] = (o == O_PENDING -> Q_PEND : Q_NONE);
		if
		:: o == O_COMMITTED ->
			h_p = lck[i];
			lck[i] = 0;
			qing[i] = 0;
			answered[i] = 0;
			install(i, h_p)
		:: else ->
			if
			:: o == O_ABORTED -> answered[i] = answered[i] | B(from)
			:: else
			fi;
			query_check(i)
		fi
	:: else
	fi
}

/* memb.c: memb_link_down() */
inline memb_link_down(i, k) {
	if
	:: mine[i] != 0 && (tmem[mine[i]] & ~B(i) & B(k)) -> abort_mine(i)
	:: else
	fi;
	if
	:: lck[i] != 0 && PROP(lck[i]) == k -> start_query(i)
	:: lck[i] != 0 && PROP(lck[i]) != k && qing[i] -> query_check(i)
	:: else
	fi
}

/* mesh.c: mesh_on_close() for the data link of i to k (i's end). The
 * close is a FIN in the stream to k, after the data (conn_close()). */
inline end_down(i, k) {
	printf("MSC: node %d link to %d down\n", i, k);
	up[i].v[k] = 0;
	hst[i].v[k] = 0;
	qs[i].v[k] = Q_NONE;
	sfr[i].v[k] = 0;	/* down_ns = now */
	dexp[i] = dexp[i] & ~B(k);
	flush(k, i);
	if
	:: alive[k] && up[k].v[i] && !cut[i].v[k] ->
		assert(nfull(CH(i, k)));
		CH(i, k)!CLOSE, 0, 0, 0
	:: else
	fi;
	memb_link_down(i, k);
	bcast_status(i);	/* mesh_on_close(): tell the others at once */
	evaluate(i)
}

/* mesh.c: link_up() at i for k */
inline end_up(i, k) {
	up[i].v[k] = 1;
	pinc[i].v[k] = inc[k];
	hst[i].v[k] = 0;
	/* (state canonical: these matter only while the link is down, and
	 * a hold-down only for the life that was removed) */
	sfr[i].v[k] = 0;
	dexp[i] = dexp[i] & ~B(k);
	if
	:: (held[i] & B(k)) && rinc[i].v[k] != inc[k] -> held[i] = held[i] & ~B(k); rinc[i].v[k] = 0
	:: else
	fi
}

/* mesh.c: mesh_on_data(): one message from k at i */
inline receive(i, k) {
	printf("MSC: node %d <- %d ", i, k); printm(h_t); printf(" pid %d arg %d\n", h_x, h_y);
	if
	:: h_t == STATUS ->
		pvw[i].v[k] = h_x;
		pst[i].v[k] = h_y / 2;
		pbusy[i].v[k] = h_y % 2;
		pseen[i].v[k] = h_z;
		hst[i].v[k] = 1;
		/* st_rx_ns: after the down_ns of every link that is down */
		for (r_k : 0 .. N - 1) {
			if
			:: r_k != i && !up[i].v[r_k] -> sfr[i].v[r_k] = sfr[i].v[r_k] | B(k)
			:: else
			fi
		}
		if
		:: qs[i].v[k] == Q_PEND -> qs[i].v[k] = Q_NONE
		:: else
		fi
	:: h_t == PROPOSE -> on_propose(i, k, h_x)
	:: h_t == VOTE -> on_vote(i, k, h_x, h_y)
	:: h_t == COMMIT ->
		if
		:: lck[i] != 0 && lck[i] == h_x && PROP(h_x) == k ->
			h_p = lck[i];
			lck[i] = 0;
			qing[i] = 0;
			answered[i] = 0;
			install(i, h_p)
		:: else
		fi
	:: h_t == ABORT ->
		if
		:: lck[i] != 0 && lck[i] == h_x -> unlock(i, 1)
		:: else ->
			if
			:: !(aborted[i] & PB(h_x)) -> aborted[i] = aborted[i] | PB(h_x)
			:: else
			fi
		fi
	:: h_t == QUERY -> on_query(i, k, h_x)
	:: h_t == OUTCOME -> on_outcome(i, k, h_x, h_y)
	:: h_t == CLOSE -> skip
	fi;
	if
	:: h_t == CLOSE -> end_down(i, k)
	:: else -> evaluate(i)
	fi
}

/* memb.c: memb_init() (and the restarted process's fresh mesh) */
inline node_init(i) {
	st[i] = STARTING;
	vw[i] = 0;
	seq[i] = 0;
	mine[i] = 0;
	yes[i] = 0;
	lck[i] = 0;
	qing[i] = 0;
	answered[i] = 0;
	aborted[i] = 0;
	committed[i] = 0;
	waited[i] = 0;
	waited2[i] = 0;
	backoff[i] = 0;
	grace[i] = 0;
	quar[i] = 0;
	paused[i] = 0;
	dexp[i] = 0;
	held[i] = 0;
	for (e_k : 0 .. N - 1) {
		mm[i].v[e_k] = 0;
		sfr[i].v[e_k] = 0;
		rinc[i].v[e_k] = 0;
		up[i].v[e_k] = 0;
		hst[i].v[e_k] = 0;
		pbusy[i].v[e_k] = 0;
		sdirty[i].v[e_k] = 0;
		pinc[i].v[e_k] = 0;
		pst[i].v[e_k] = 0;
		pseen[i].v[e_k] = 0;
		pvw[i].v[e_k] = 0;
		qs[i].v[e_k] = Q_NONE
	}
}

/* ---------------- derived state, after every step ---------------- */

inline post() {
	c_code { f_post(); }
}

/* ---------------- the nodes ---------------- */

/* A timed event that is "early" (the network is not settled yet) spends
 * one of the RACES tokens: it models the timer racing the messages. */
#define TIMELY_OR_RACE (settled || races > 0)
#define SPEND if :: !settled -> races-- :: else fi

#define RECV(k) \
	:: atomic { k < N && k != i && !paused[i] && nempty(ch[(k) * N + i]) -> \
		ch[(k) * N + i]?h_t, h_x, h_y, h_z; receive(i, k); post() }
#define HEARTBEAT(k) \
	:: atomic { k < N && k != i && alive[i] && !paused[i] && sdirty[i].v[k] && up[i].v[k] -> \
		send_status(i, k); post() }
/* mesh.c: mesh_tick(): a link silent for timeout_ms is closed. Silent
 * only if the other side cannot reach us: direction cut, other process
 * gone (crashed, or restarted) or paused, or its end closed with the FIN
 * lost. A node never judges a link silent while what the peer sent is
 * unread (empty(...)) or while it is paused itself: loop.c tick()'s pause
 * detection (a late tick refreshes last_rx_ns: read first, judge later). */
#define SILENT(k) \
	:: atomic { k < N && k != i && alive[i] && !paused[i] && up[i].v[k] && empty(ch[(k) * N + i]) && \
		(cut[k].v[i] || !alive[k] || pinc[i].v[k] != inc[k] || !up[k].v[i] || paused[k]) -> \
		end_down(i, k); post() }

proctype node(byte i)
{
end:	do
	RECV(0) RECV(1) RECV(2) RECV(3)
	HEARTBEAT(0) HEARTBEAT(1) HEARTBEAT(2) HEARTBEAT(3)
	SILENT(0) SILENT(1) SILENT(2) SILENT(3)
	/* memb.c: evaluate_member()/evaluate_outsider() -> propose() */
	:: atomic { want[i] && !paused[i] && (quiet || races > 0) ->
		if :: !quiet -> races-- :: else fi;
		do_propose(i); evaluate(i); post() }
	/* memb.c: evaluate_outsider(): since >= wait, since >= wait + 2 timeout */
	:: atomic { alive[i] && !paused[i] && !waited[i] -> waited[i] = 1; evaluate(i); post() }
	:: atomic { alive[i] && !paused[i] && waited[i] && !waited2[i] -> waited2[i] = 1; evaluate(i); post() }
	/* memb.c: evaluate_member(): need_since + grace */
	:: atomic { alive[i] && !paused[i] && outflag[i] && !grace[i] -> grace[i] = 1; evaluate(i); post() }
	/* memb.c: retry_later() expires */
	:: atomic { alive[i] && !paused[i] && backoff[i] && TIMELY_OR_RACE -> SPEND; backoff[i] = 0; evaluate(i); post() }
	/* memb.c: memb_tick(): proposer gives up after 2 timeouts */
	:: atomic { alive[i] && !paused[i] && mine[i] != 0 && TIMELY_OR_RACE -> SPEND;
		abort_mine(i); evaluate(i); post() }
	/* memb.c: memb_tick(): participant asks the others after 4 timeouts */
	:: atomic { alive[i] && !paused[i] && lck[i] != 0 && !qing[i] && TIMELY_OR_RACE -> SPEND;
		start_query(i); evaluate(i); post() }
	/* memb.c: to_remove(): a member reports another view of ours for a
	 * timeout (mismatch_ns): stuck, or our view is a phantom */
	:: atomic { alive[i] && !paused[i] && vw[i] != 0 && mmt[i] != 0 && TIMELY_OR_RACE -> SPEND;
		for (o_k : 0 .. N - 1) {
			if
			:: (mmcur[i] & B(o_k)) && mm[i].v[o_k] == 1 -> mm[i].v[o_k] = 2
			:: else
			fi
		}
		evaluate(i); post() }
	/* memb.c: to_remove(): the deferral of a broken pair's higher end ends
	 * 3 timeouts after the link went down (down_ns) */
	:: atomic { alive[i] && !paused[i] && dfr[i] != 0 && TIMELY_OR_RACE -> SPEND;
		dexp[i] = dexp[i] | dfr[i]; evaluate(i); post() }
	/* memb.c: judge()/memb_hold_ms(), memb_tick(): the hold-down of a node
	 * removed while alive ends once its link has been up long enough */
	:: atomic { alive[i] && !paused[i] && hup[i] != 0 && TIMELY_OR_RACE -> SPEND;
		for (o_k : 0 .. N - 1) {
			if
			:: (held[i] & B(o_k)) && up[i].v[o_k] -> held[i] = held[i] & ~B(o_k); rinc[i].v[o_k] = 0
			:: else
			fi
		}
		evaluate(i); post() }
	/* memb.c: quarantine(): quarantine_until_ns passes */
	:: atomic { alive[i] && !paused[i] && quar[i] && TIMELY_OR_RACE -> SPEND;
		quar[i] = 0; evaluate(i); post() }
	od
}

/* ---------------- the environment: links and faults ---------------- */

/* mesh.c: dial()/on_hello()/link_up(): the lower index dials once its end
 * is down; a new link from the lower node closes the higher's old one. */
#define CONNECT(l, h) \
	:: atomic { h < N && alive[l] && alive[h] && !paused[l] && !paused[h] && \
		!up[l].v[h] && !cut[l].v[h] && !cut[h].v[l] -> \
		if \
		:: up[h].v[l] -> end_down(h, l) \
		:: else \
		fi; \
		printf("MSC: link %d-%d up\n", l, h); \
		flush(l, h); flush(h, l); \
		end_up(h, l); end_up(l, h); \
		send_status(h, l); send_status(l, h); \
		evaluate(l); evaluate(h); post() }
/* a cut of one direction (both: two steps of budget, or CUT2) */
#define CUT1(a, b) \
	:: atomic { a < N && b < N && !fstop && faults < MAXF && !cut[a].v[b] -> \
		faults++; cut[a].v[b] = 1; printf("MSC: cut %d->%d (in flight kept)\n", a, b); post() } \
	:: atomic { a < N && b < N && !fstop && faults < MAXF && !cut[a].v[b] -> \
		faults++; cut[a].v[b] = 1; flush(a, b); printf("MSC: cut %d->%d (in flight lost)\n", a, b); post() }
#define CUT2(a, b) \
	:: atomic { b < N && !fstop && faults < MAXF && !cut[a].v[b] && !cut[b].v[a] -> \
		faults++; cut[a].v[b] = 1; cut[b].v[a] = 1; flush(a, b); flush(b, a); \
		printf("MSC: cut %d<->%d\n", a, b); post() }
#define HEAL(a, b) \
	:: atomic { a < N && b < N && !fstop && cut[a].v[b] -> cut[a].v[b] = 0; post() }
/* kill -9: the kernel sends FIN on every link; a vanished host does not */
#define CRASH(k) \
	:: atomic { k < N && !fstop && faults < MAXF && alive[k] -> \
		faults++; printf("MSC: node %d killed (FIN sent)\n", k); \
		for (e_j : 0 .. N - 1) { \
			if \
			:: e_j != k && up[k].v[e_j] && alive[e_j] && up[e_j].v[k] && !cut[k].v[e_j] -> \
				assert(nfull(CH(k, e_j))); CH(k, e_j)!CLOSE, 0, 0, 0 \
			:: else \
			fi; \
			flush(e_j, k) \
		} \
		alive[k] = 0; node_init(k); st[k] = 0; post() } \
	:: atomic { k < N && !fstop && faults < MAXF && alive[k] -> \
		faults++; printf("MSC: host of node %d vanished\n", k); \
		for (e_j : 0 .. N - 1) { flush(e_j, k) } \
		alive[k] = 0; node_init(k); st[k] = 0; post() }
/* SIGSTOP/SIGCONT (or a VM stall): the process takes no step; its peers
 * time its links out; what they sent waits in the socket buffers */
#define PAUSE(k) \
	:: atomic { PAUSES && k < N && !fstop && faults < MAXF && alive[k] && !paused[k] -> \
		faults++; paused[k] = 1; printf("MSC: node %d paused\n", k); post() } \
	:: atomic { k < N && paused[k] -> paused[k] = 0; printf("MSC: node %d resumes\n", k); post() }
#define RESTART(k) \
	:: atomic { k < N && !fstop && !alive[k] && inc[k] < MAXINC -> \
		inc[k]++; printf("MSC: node %d restarts\n", k); alive[k] = 1; node_init(k); evaluate(k); post() }

active proctype env()
{
	byte k;

	c_code { { char *e = getenv("FOTOS_PROPS"); props = e ? atoi(e) : 15;
		   e = getenv("FOTOS_FORMED"); formed = e ? atoi(e) : 0; } };
	atomic {
		for (k : 0 .. N - 1) { alive[k] = 1; inc[k] = 1; node_init(k) }
		races = RACES;
		if
		:: formed ->
		/* Start from a formed network: all N nodes in the view node 0's
		 * START made, stable, links up, every status delivered. */
		h_p = PID(0, 1, 1);
		seq[0] = 1;
		tkind[h_p] = K_START; tmem[h_p] = ALL; tepoch[h_p] = 1; tnet[h_p] = h_p;
		for (k : 0 .. N - 1) { tinc[h_p].v[k] = 1 }
		gview[h_p] = ALL;
		for (k : 0 .. N - 1) {
			vw[k] = h_p; st[k] = STABLE; waited[k] = 1; waited2[k] = 1;
			committed[k] = PB(h_p);
			gmem[k] = ALL; gins[h_p] = gins[h_p] | B(k);
			for (e_j : 0 .. N - 1) {
				if
				:: e_j != k ->
					up[k].v[e_j] = 1; pinc[k].v[e_j] = 1; hst[k].v[e_j] = 1;
					pvw[k].v[e_j] = h_p; pst[k].v[e_j] = STABLE; pseen[k].v[e_j] = ALL
				:: else
				fi
			}
			lsig[k] = h_p * 4096 + STABLE * 2 * 256 + ALL
		}
		:: else
		fi;
		post()
	}
	atomic { for (k : 0 .. N - 1) { run node(k) } }
end:	do
	CONNECT(0, 1) CONNECT(0, 2) CONNECT(1, 2) CONNECT(0, 3) CONNECT(1, 3) CONNECT(2, 3)
	CUT1(0, 1) CUT1(1, 0) CUT1(0, 2) CUT1(2, 0) CUT1(1, 2) CUT1(2, 1)
	CUT2(0, 1) CUT2(0, 2) CUT2(1, 2)
#if N > 3
	CUT2(0, 3) CUT2(1, 3) CUT2(2, 3)
#endif
	HEAL(0, 1) HEAL(1, 0) HEAL(0, 2) HEAL(2, 0) HEAL(1, 2) HEAL(2, 1)
	CRASH(0) CRASH(1) CRASH(2) CRASH(3)
	RESTART(0) RESTART(1) RESTART(2) RESTART(3)
	PAUSE(0) PAUSE(1) PAUSE(2) PAUSE(3)
	:: atomic { !fstop -> fstop = 1; post() }
	od
}

/* ---------------- properties ---------------- */


/* No invalid end state: when nothing can move any more, every procedure
 * has ended (committed or aborted) on every live node, and the nodes have
 * converged (the safety twin of the LTL property). */
active proctype monitor()
{
	byte k;

	timeout ->
	atomic {
		if
		:: PSEL(P_END) ->
			for (k : 0 .. N - 1) {
				assert(!alive[k] || (mine[k] == 0 && lck[k] == 0) || end_fails)
			}
			assert(convd || exhausted || end_fails)
		:: else
		fi
	}
}

/* Progress: once faults stop, the nodes end converged (see convd). */
ltl live { <> [] (convd || exhausted) }
