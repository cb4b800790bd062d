/*
 * arbiter.c - who is the primary network after a partition (the FOTOS
 * "holy grail": something outside the mesh decides).
 *
 *   none            every network is primary (a split-brain risk, said so)
 *   majority        a stable view of more than half of the configured nodes,
 *                   or exactly half holding the tie-break node
 *   static-quorum N a stable view of at least N nodes
 *   command PATH    PATH is asked for each new stable view; exit status 0
 *                   means primary. It runs beside the loop (posix_spawn; its
 *                   exit is watched through a pidfd in the ring); a program
 *                   that does not answer within 4 timeouts (at least 1 s) is
 *                   killed and counts as "no". Until it answers: not primary.
 *
 * The first two are functions of the member set alone, so every node (and
 * a node outside the network, choosing which one to join) computes the
 * same answer; two views on disjoint sides cannot both have a majority.
 */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"

extern char **environ;

int arbiter_primary_of(const struct agent *a, uint64_t members)
{
	int n = __builtin_popcountll(members), total = (int)a->conf.nnodes, tie;

	switch (a->conf.arbiter) {
	case ARBITER_NONE:
		return 1;
	case ARBITER_MAJORITY:
		tie = a->conf.arbiter_tie[0] ? conf_find_node(&a->conf, a->conf.arbiter_tie) : 0;
		return 2 * n > total || (2 * n == total && (members & mask_of(tie)));
	case ARBITER_QUORUM:
		return n >= (int)a->conf.arbiter_quorum;
	default:
		return -1;	/* only the command knows */
	}
}

int arbiter_primary(const struct agent *a)
{
	const struct memb *mb = &a->memb;

	if (!mb->in_network || (mb->state != FOTOS_ST_STABLE && mb->state != FOTOS_ST_UNSTABLE))
		return 0;
	if (a->conf.arbiter == ARBITER_NONE)
		return 1;
	if (mb->state != FOTOS_ST_STABLE)
		return 0;	/* a change is pending: the answer is not known */
	if (a->conf.arbiter == ARBITER_COMMAND)
		return a->arb.answer_view == mb->view.view_id && a->arb.answer;
	return arbiter_primary_of(a, mb->view.members);
}

static uint64_t limit_ns(const struct agent *a)
{
	uint64_t ms = 4ull * a->conf.timeout_ms;

	return (ms < 1000 ? 1000 : ms) * 1000000ull;
}

/* Ask the command about the current view. */
static void ask(struct agent *a)
{
	const struct memb *mb = &a->memb;
	char epoch[24], vid[24], members[FOTOS_MAX_NODES * FOTOS_NAME_MAX], *o = members;
	char e_cl[64], e_node[64], e_ep[48], e_vid[48], e_mem[sizeof(members) + 16];
	char *argv[12], **envp;
	size_t nenv = 0, k;
	pid_t pid;
	int i, ret;

	members[0] = 0;
	for (i = 0; i < FOTOS_MAX_NODES; i++)
		if (mb->view.members & mask_of(i))
			o += snprintf(o, (size_t)(members + sizeof(members) - o), "%s%s",
				      o == members ? "" : ",", a->conf.nodes[i].name);
	snprintf(epoch, sizeof(epoch), "%llu", (unsigned long long)mb->view.epoch);
	snprintf(vid, sizeof(vid), "%016llx", (unsigned long long)mb->view.view_id);
	argv[0] = a->conf.arbiter_cmd;
	argv[1] = "--cluster";
	argv[2] = a->conf.cluster;
	argv[3] = "--node";
	argv[4] = a->conf.nodes[a->self].name;
	argv[5] = "--epoch";
	argv[6] = epoch;
	argv[7] = "--view-id";
	argv[8] = vid;
	argv[9] = "--members";
	argv[10] = members;
	argv[11] = NULL;
	while (environ && environ[nenv])
		nenv++;
	envp = calloc(nenv + 6, sizeof(*envp));
	if (!envp)
		return;
	for (k = 0; k < nenv; k++)
		envp[k] = environ[k];
	snprintf(e_cl, sizeof(e_cl), "FOTOS_CLUSTER=%s", a->conf.cluster);
	snprintf(e_node, sizeof(e_node), "FOTOS_NODE=%s", a->conf.nodes[a->self].name);
	snprintf(e_ep, sizeof(e_ep), "FOTOS_EPOCH=%s", epoch);
	snprintf(e_vid, sizeof(e_vid), "FOTOS_VIEW_ID=%s", vid);
	snprintf(e_mem, sizeof(e_mem), "FOTOS_MEMBERS=%s", members);
	envp[k++] = e_cl;
	envp[k++] = e_node;
	envp[k++] = e_ep;
	envp[k++] = e_vid;
	envp[k++] = e_mem;
	envp[k] = NULL;
	ret = posix_spawn(&pid, a->conf.arbiter_cmd, NULL, NULL, argv, envp);
	free(envp);
	a->arb.asking_view = mb->view.view_id;
	if (ret) {
		log_err("arbiter command %s: cannot run it: %s: not primary", a->conf.arbiter_cmd,
			strerror(ret));
		a->arb.answer_view = mb->view.view_id;
		a->arb.answer = 0;
		return;
	}
	a->arb.pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (a->arb.pidfd < 0) {
		log_err("pidfd_open: %s: the arbiter's answer is read at the next tick", strerror(errno));
	} else {
		loop_watch_child(a, a->arb.pidfd);
	}
	a->arb.pid = pid;
	a->arb.started_ns = a->now;
	log_info("asking the arbiter %s about view %s (%s)", a->conf.arbiter_cmd, vid, members);
}

/* The command ended (or may have: called on its pidfd and on ticks). */
void arbiter_on_exit(struct agent *a)
{
	int st;
	pid_t r;

	if (a->arb.pid <= 0)
		return;
	r = waitpid(a->arb.pid, &st, WNOHANG);
	if (r == 0)
		return;		/* still running */
	if (a->arb.pidfd >= 0)
		close(a->arb.pidfd);
	a->arb.pidfd = -1;
	a->arb.pid = 0;
	a->arb.answer_view = a->arb.asking_view;
	a->arb.answer = r > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	if (r > 0 && WIFEXITED(st))
		log_info("arbiter: view %016llx is %s (exit %d)", (unsigned long long)a->arb.asking_view,
			 a->arb.answer ? "primary" : "not primary", WEXITSTATUS(st));
	else
		log_warn("arbiter command %s ended without an exit status (killed or failed): "
			 "not primary", a->conf.arbiter_cmd);
	a->dirty = 1;
	pub_all(a);
}

void arbiter_tick(struct agent *a)
{
	const struct memb *mb = &a->memb;

	if (a->conf.arbiter != ARBITER_COMMAND)
		return;
	if (a->arb.pid > 0) {
		arbiter_on_exit(a);
		if (a->arb.pid > 0 && a->now - a->arb.started_ns > limit_ns(a)) {
			log_warn("arbiter command %s gave no answer in %llu ms: killed, not primary",
				 a->conf.arbiter_cmd, (unsigned long long)(limit_ns(a) / 1000000ull));
			kill(a->arb.pid, SIGKILL);
		}
		return;
	}
	if (mb->in_network && mb->state == FOTOS_ST_STABLE && a->arb.answer_view != mb->view.view_id)
		ask(a);
}

void arbiter_fini(struct agent *a)
{
	if (a->arb.pid > 0) {
		kill(a->arb.pid, SIGKILL);
		waitpid(a->arb.pid, NULL, 0);
	}
	if (a->arb.pidfd >= 0)
		close(a->arb.pidfd);
}
