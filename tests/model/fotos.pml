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
 * Property selection (one per verification run, see run.sh):
 *   P_AGREE P_SELF P_MESH P_END ; the LTL claim "live" is always compiled.
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
/* per node and peer: struct peer (mesh.c) */
brow up[N], hst[N], pbusy[N], sdirty[N];
byrow pinc[N], pst[N], pseen[N], pvw[N], qs[N];
/* the network */
brow cut[N];			/* cut[a].v[b]: a -> b loses everything */
byte faults, races;
bit fstop;			/* no more faults, heals or restarts */
/* derived after every step (functions of the state above) */
bit want[N], outflag[N], settled, quiet, convd, exhausted;
int lsig[N];			/* last status announced */

#ifdef P_AGREE
/* Agreement ghosts: the member set each node installed, and the first
 * member set installed under each view id (pid). */
byte gmem[N], gview[NP];
#endif

/* scratch, not part of the state */
hidden byte h_t, h_x, h_y, h_z, h_p, h_r, h_seen, h_mem, h_out, h_first, h_rest,
	h_worst, h_wn, h_n, h_rs1, h_rs2, h_sb1, h_sb2, h_best, h_bid, h_cl,
	h_kind, h_base, h_rem, h_need, h_miss, h_pr, h_k;
hidden byte h_removed, h_anyop, h_ok, h_cok, h_done, h_exh;
hidden byte s_k, r_i, r_j, r_k, c_j, c_k, o_k, m_k, q_k, a_k, b_k, i_k, p_k, e_k, e_j, f_k;
hidden int h_sig;

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
#ifdef P_SELF
		assert(false);	/* self: about to install a view without self */
#endif
		skip		/* "refusing to install a view without self" */
	:: else ->
#ifdef P_AGREE
		/* agreement: same view id, same member set (and epoch, network) */
		for (i_k : 0 .. N - 1) {
			if
			:: alive[i_k] && vw[i_k] == p -> assert(gmem[i_k] == tmem[p])
			:: else
			fi
		}
		if
		:: gview[p] == 0 -> gview[p] = tmem[p]
		:: else -> assert(gview[p] == tmem[p])
		fi;
		gmem[i] = tmem[p];
#endif
		vw[i] = p;
		committed[i] = committed[i] | PB(p);
		grace[i] = 0;
		for (i_k : 0 .. N - 1) {
			hst[i].v[i_k] = 0;
			/* the peers' next heartbeat (mesh_tick) */
			sdirty[i_k].v[i] = (i_k != i -> 1 : 0)
		}
		st[i] = STABLE;
		bcast_status(i)
	fi
}

/* memb.c: abort_mine() */
inline abort_mine(i) {
	if
	:: mine[i] != 0 ->
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

/* The property "full mesh at the commit decision". */
inline check_mesh(p) {
#ifdef P_MESH
	for (e_k : 0 .. N - 1) {
		for (e_j : 0 .. N - 1) {
			if
			:: e_k != e_j && (tmem[p] & B(e_k)) && (tmem[p] & B(e_j)) ->
				assert(alive[e_k] && up[e_k].v[e_j] && pinc[e_k].v[e_j] == tinc[p].v[e_j])
			:: else
			fi
		}
	}
#endif
	skip
}

/* memb.c: commit_mine() */
inline commit_mine(i) {
	check_mesh(mine[i]);
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
	abort_mine(i);
	if
	:: lck[i] -> unlock(i, 1)
	:: else
	fi;
	vw[i] = 0;
	st[i] = REMOVED;
	backoff[i] = 0;
	grace[i] = 0;
	bcast_status(i)
}

/* memb.c: leave_for_merge() */
inline leave_for_merge(i) {
	vw[i] = 0;
	st[i] = JOINING;
	grace[i] = 0;
	bcast_status(i)
}

/* memb.c: to_remove(): h_out, h_first, h_removed */
inline to_remove(i) {
	h_removed = 0;
	h_out = 0;
	h_mem = tmem[vw[i]];
	for (r_k : 0 .. N - 1) {
		if
		:: !h_removed && (h_mem & B(r_k)) && r_k != i ->
			if
			:: !up[i].v[r_k] || pinc[i].v[r_k] != tinc[vw[i]].v[r_k] ->
				h_out = h_out | B(r_k)
			:: else ->
				if
				:: !hst[i].v[r_k]
				:: else ->
					if
					:: !OPER(pst[i].v[r_k]) || tnet[pvw[i].v[r_k]] != tnet[vw[i]] ->
						h_out = h_out | B(r_k)
					:: else ->
						if
						:: tepoch[pvw[i].v[r_k]] > tepoch[vw[i]] &&
						   !(tmem[pvw[i].v[r_k]] & B(i)) -> h_removed = 1
						:: else
						fi
					fi
				fi
			fi
		:: else
		fi
	}
	h_first = h_out;
	h_rest = h_mem & ~h_out;
	do
	:: h_removed -> break
	:: else ->
		h_worst = 255;
		h_wn = 0;
		for (r_i : 0 .. N - 1) {
			if
			:: h_rest & B(r_i) ->
				h_n = 0;
				for (r_j : 0 .. N - 1) {
					if
					:: r_j != r_i && (h_rest & B(r_j)) ->
						reported_seen(i, r_i, h_rs1);
						reported_seen(i, r_j, h_rs2);
						if
						:: !(h_rs1 & B(r_j)) || !(h_rs2 & B(r_i)) -> h_n++
						:: else
						fi
					:: else
					fi
				}
				if
				:: h_n && h_n >= h_wn -> h_worst = r_i; h_wn = h_n
				:: else
				fi
			:: else
			fi
		}
		if
		:: h_worst == 255 -> break
		:: else -> h_rest = h_rest & ~B(h_worst); h_out = h_out | B(h_worst)
		fi
	od
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
			st[i] = ((h_out != 0 || (lck[i] != 0 && tkind[lck[i]] == K_REMOVE) ||
				  (mine[i] != 0 && tkind[mine[i]] == K_REMOVE)) -> UNSTABLE : STABLE);
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
inline start_candidates(i) {
	h_cl = B(i);
	for (c_k : 0 .. N - 1) {
		if
		:: c_k != i && up[i].v[c_k] && hst[i].v[c_k] && !OPER(pst[i].v[c_k]) ->
			h_cok = 1;
			for (c_j : 0 .. N - 1) {
				if
				:: h_cok && (h_cl & B(c_j)) ->
					seen_by(i, c_k, h_sb1);
					seen_by(i, c_j, h_sb2);
					h_cok = ((h_sb1 & B(c_j)) != 0 && (h_sb2 & B(c_k)) != 0)
				:: else
				fi
			}
			if
			:: h_cok -> h_cl = h_cl | B(c_k)
			:: else
			fi
		:: else
		fi
	}
}

/* The proposing part of memb.c: evaluate_member() / evaluate_outsider():
 * h_kind (0: none), h_mem, h_base. h_exh: would propose but out of pids. */
inline decide(i) {
	h_kind = 0;
	h_exh = 0;
	if
	:: !alive[i] || BUSY(i) || backoff[i]
	:: else ->
		if
		:: vw[i] != 0 ->
			to_remove(i);
			if
			:: !h_removed && h_out != 0 ->
				h_rem = tmem[vw[i]] & ~h_out;
				if
				:: (h_rem & B(i)) && (LOW(h_rem) == i || grace[i]) &&
				   (h_out == h_first || grace[i]) ->
					h_kind = K_REMOVE; h_mem = h_rem; h_base = vw[i]
				:: else
				fi
			:: else
			fi
		:: else ->
			calc_seen(i, h_seen);
			h_best = 0;
			h_bid = 0;
			h_anyop = 0;
			for (o_k : 0 .. N - 1) {
				if
				:: o_k != i && up[i].v[o_k] && hst[i].v[o_k] && OPER(pst[i].v[o_k]) ->
					h_anyop = 1;
					if
					:: h_best == 0 || BETTER(tmem[pvw[i].v[o_k]], h_best) ->
						h_best = tmem[pvw[i].v[o_k]];
						h_bid = pvw[i].v[o_k]
					:: else
					fi
				:: else
				fi
			}
			if
			:: h_anyop ->
				if
				:: h_best != 0 && (h_best & h_seen) == h_best ->
					h_ok = 1;
					for (o_k : 0 .. N - 1) {
						if
						:: (h_best & B(o_k)) && (o_k == i || !hst[i].v[o_k] ||
						   pvw[i].v[o_k] != h_bid || pbusy[i].v[o_k] ||
						   !(pseen[i].v[o_k] & B(i))) -> h_ok = 0
						:: else
						fi
					}
					if
					:: h_ok -> h_kind = K_JOIN; h_mem = h_best | B(i); h_base = h_bid
					:: else
					fi
				:: else
				fi
			:: else ->
				start_candidates(i);
				if
				:: LOW(h_cl) == i -> h_ok = (h_cl == ALL || waited[i])
				:: else -> h_ok = waited2[i]
				fi;
				for (o_k : 0 .. N - 1) {
					/* note: st.busy is read even without have_st */
					if
					:: o_k != i && (h_cl & B(o_k)) && pbusy[i].v[o_k] -> h_ok = 0
					:: else
					fi
				}
				if
				:: h_ok -> h_kind = K_START; h_mem = h_cl; h_base = 0
				:: else
				fi
			fi
		fi
	fi;
	if
	:: h_kind != 0 && seq[i] >= MAXSEQ -> h_kind = 0; h_exh = 1
	:: else
	fi
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
				:: else
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
	up[i].v[k] = 0;
	hst[i].v[k] = 0;
	qs[i].v[k] = Q_NONE;
	flush(k, i);
	if
	:: alive[k] && up[k].v[i] && !cut[i].v[k] ->
		assert(nfull(CH(i, k)));
		CH(i, k)!CLOSE, 0, 0, 0
	:: else
	fi;
	memb_link_down(i, k);
	evaluate(i)
}

/* mesh.c: link_up() at i for k */
inline end_up(i, k) {
	up[i].v[k] = 1;
	pinc[i].v[k] = inc[k];
	hst[i].v[k] = 0
}

/* mesh.c: mesh_on_data(): one message from k at i */
inline receive(i, k) {
	if
	:: h_t == STATUS ->
		pvw[i].v[k] = h_x;
		pst[i].v[k] = h_y / 2;
		pbusy[i].v[k] = h_y % 2;
		pseen[i].v[k] = h_z;
		hst[i].v[k] = 1;
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
	for (e_k : 0 .. N - 1) {
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
	settled = 1;
	quiet = 1;
	for (e_k : 0 .. N - 1) {
		for (e_j : 0 .. N - 1) {
			if
			:: len(ch[e_k * N + e_j]) > 0 -> settled = 0
			:: else
			fi
		}
	}
	for (e_k : 0 .. N - 1) {
		if
		:: alive[e_k] ->
			/* a changed status goes out with the next heartbeat */
			calc_seen(e_k, h_seen);
			h_sig = vw[e_k] * 4096 + STATEBYTE(e_k) * 256 + h_seen;
			if
			:: h_sig != lsig[e_k] ->
				lsig[e_k] = h_sig;
				for (e_j : 0 .. N - 1) { sdirty[e_k].v[e_j] = (e_j != e_k -> 1 : 0) }
			:: else
			fi;
			for (e_j : 0 .. N - 1) {
				if
				:: sdirty[e_k].v[e_j] && up[e_k].v[e_j] && alive[e_j] && up[e_j].v[e_k] &&
				   !cut[e_k].v[e_j] -> settled = 0
				:: else
				fi
			}
			if
			:: BUSY(e_k) -> quiet = 0
			:: else
			fi
		:: else
		fi
	}
	quiet = quiet && settled;
	exhausted = 0;
	for (e_k : 0 .. N - 1) {
		decide(e_k);
		want[e_k] = (h_kind != 0);
		if
		:: h_exh -> exhausted = 1
		:: else
		fi;
		if
		:: alive[e_k] && vw[e_k] != 0 ->
			to_remove(e_k);
			outflag[e_k] = (!h_removed && h_out != 0)
		:: else -> outflag[e_k] = 0
		fi
	}
	/* convergence: every live node stable and idle in a view whose members
	 * are live, agree, and see each other; one view if the live nodes are
	 * fully connected. */
	convd = 1;
	h_ok = 1;	/* live nodes form a clique */
	for (e_k : 0 .. N - 1) {
		if
		:: alive[e_k] ->
			if
			:: vw[e_k] == 0 || st[e_k] != STABLE || BUSY(e_k) -> convd = 0
			:: else
			fi;
			for (e_j : 0 .. N - 1) {
				if
				:: e_j != e_k && alive[e_j] && !(up[e_k].v[e_j] && up[e_j].v[e_k]) -> h_ok = 0
				:: else
				fi;
				if
				:: e_j != e_k && (tmem[vw[e_k]] & B(e_j)) &&
				   !(alive[e_j] && vw[e_j] == vw[e_k] && up[e_k].v[e_j]) -> convd = 0
				:: else
				fi
			}
		:: else
		fi
	}
	if
	:: h_ok ->
		for (e_k : 0 .. N - 1) {
			for (e_j : 0 .. N - 1) {
				if
				:: alive[e_k] && alive[e_j] && vw[e_k] != vw[e_j] -> convd = 0
				:: else
				fi
			}
		}
	:: else
	fi
}

/* ---------------- the nodes ---------------- */

/* A timed event that is "early" (the network is not settled yet) spends
 * one of the RACES tokens: it models the timer racing the messages. */
#define TIMELY_OR_RACE (settled || races > 0)
#define SPEND if :: !settled -> races-- :: else fi

#define RECV(k) \
	:: atomic { k < N && k != i && nempty(ch[(k) * N + i]) -> \
		ch[(k) * N + i]?h_t, h_x, h_y, h_z; receive(i, k); post() }
#define HEARTBEAT(k) \
	:: atomic { k < N && k != i && alive[i] && sdirty[i].v[k] && up[i].v[k] -> \
		send_status(i, k); post() }
/* mesh.c: mesh_tick(): a link silent for timeout_ms is closed. Silent
 * only if the other side cannot reach us: direction cut, other process
 * gone (crashed, or restarted), or its end closed with the FIN lost. */
#define SILENT(k) \
	:: atomic { k < N && k != i && alive[i] && up[i].v[k] && empty(ch[(k) * N + i]) && \
		(cut[k].v[i] || !alive[k] || pinc[i].v[k] != inc[k] || !up[k].v[i]) -> \
		end_down(i, k); post() }

proctype node(byte i)
{
end:	do
	RECV(0) RECV(1) RECV(2) RECV(3)
	HEARTBEAT(0) HEARTBEAT(1) HEARTBEAT(2) HEARTBEAT(3)
	SILENT(0) SILENT(1) SILENT(2) SILENT(3)
	/* memb.c: evaluate_member()/evaluate_outsider() -> propose() */
	:: atomic { want[i] && (quiet || races > 0) ->
		if :: !quiet -> races-- :: else fi;
		do_propose(i); evaluate(i); post() }
	/* memb.c: evaluate_outsider(): since >= wait, since >= wait + 2 timeout */
	:: atomic { alive[i] && !waited[i] -> waited[i] = 1; evaluate(i); post() }
	:: atomic { alive[i] && waited[i] && !waited2[i] -> waited2[i] = 1; evaluate(i); post() }
	/* memb.c: evaluate_member(): need_since + grace */
	:: atomic { alive[i] && outflag[i] && !grace[i] -> grace[i] = 1; evaluate(i); post() }
	/* memb.c: retry_later() expires */
	:: atomic { alive[i] && backoff[i] && TIMELY_OR_RACE -> SPEND; backoff[i] = 0; evaluate(i); post() }
	/* memb.c: memb_tick(): proposer gives up after 2 timeouts */
	:: atomic { alive[i] && mine[i] != 0 && TIMELY_OR_RACE -> SPEND;
		abort_mine(i); evaluate(i); post() }
	/* memb.c: memb_tick(): participant asks the others after 4 timeouts */
	:: atomic { alive[i] && lck[i] != 0 && !qing[i] && TIMELY_OR_RACE -> SPEND;
		start_query(i); evaluate(i); post() }
	od
}

/* ---------------- the environment: links and faults ---------------- */

/* mesh.c: dial()/on_hello()/link_up(): the lower index dials once its end
 * is down; a new link from the lower node closes the higher's old one. */
#define CONNECT(l, h) \
	:: atomic { h < N && alive[l] && alive[h] && !up[l].v[h] && !cut[l].v[h] && !cut[h].v[l] -> \
		if \
		:: up[h].v[l] -> end_down(h, l) \
		:: else \
		fi; \
		flush(l, h); flush(h, l); \
		end_up(h, l); end_up(l, h); \
		send_status(h, l); send_status(l, h); \
		evaluate(l); evaluate(h); post() }
/* a cut of one direction (both: two steps of budget, or CUT2) */
#define CUT1(a, b) \
	:: atomic { a < N && b < N && !fstop && faults < MAXF && !cut[a].v[b] -> \
		faults++; cut[a].v[b] = 1; post() } \
	:: atomic { a < N && b < N && !fstop && faults < MAXF && !cut[a].v[b] -> \
		faults++; cut[a].v[b] = 1; flush(a, b); post() }
#define CUT2(a, b) \
	:: atomic { b < N && !fstop && faults < MAXF && !cut[a].v[b] && !cut[b].v[a] -> \
		faults++; cut[a].v[b] = 1; cut[b].v[a] = 1; flush(a, b); flush(b, a); post() }
#define HEAL(a, b) \
	:: atomic { a < N && b < N && !fstop && cut[a].v[b] -> cut[a].v[b] = 0; post() }
/* kill -9: the kernel sends FIN on every link; a vanished host does not */
#define CRASH(k) \
	:: atomic { k < N && !fstop && faults < MAXF && alive[k] -> \
		faults++; \
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
		faults++; \
		for (e_j : 0 .. N - 1) { flush(e_j, k) } \
		alive[k] = 0; node_init(k); st[k] = 0; post() }
#define RESTART(k) \
	:: atomic { k < N && !fstop && !alive[k] && inc[k] < MAXINC -> \
		inc[k]++; alive[k] = 1; node_init(k); evaluate(k); post() }

active proctype env()
{
	byte k;

	atomic {
		for (k : 0 .. N - 1) { alive[k] = 1; inc[k] = 1; node_init(k) }
		races = RACES;
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
	:: atomic { !fstop -> fstop = 1; post() }
	od
}

/* ---------------- properties ---------------- */


#ifdef P_END
/* No invalid end state: when nothing can move any more, every procedure
 * has ended (committed or aborted) on every live node, and the nodes have
 * converged (the safety twin of the LTL property). */
active proctype monitor()
{
	byte k;

	timeout ->
	atomic {
		for (k : 0 .. N - 1) {
			assert(!alive[k] || (mine[k] == 0 && lck[k] == 0))
		}
		assert(convd || exhausted)
	}
}
#endif

/* Progress: once faults stop, the nodes end converged (see convd). */
ltl live { <> [] (convd || exhausted) }
