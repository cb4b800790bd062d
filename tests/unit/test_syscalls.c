/* Description: the read path makes zero system calls. A child opens the
 * segment, then installs a seccomp filter that allows only exit_group and
 * kills the process on any other system call, then runs 100000 iterations
 * of fotos_stable, fotos_primary, fotos_epoch, fotos_state,
 * fotos_read_status, fotos_read_view, fotos_check, fotos_get_info and
 * fotos_cursor_init, and leaves with a raw exit_group. Death by SIGSYS
 * fails the test; the child is then run again with a filter that traps
 * (SIGSYS handler, allows rt_sigreturn) to name the offending calls.
 * Two control children first prove that the filter catches a getpid() and
 * that clock_gettime(CLOCK_MONOTONIC) is served by the vDSO here (else the
 * test is skipped: fotos_check() cannot be syscall-free on this clock).
 * Kill, not trap, is the verdict because sanitizer runtimes wrap signal
 * handlers with system calls of their own.
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "harness.h"
#include "fotos.h"
#include "fotos_abi.h"
#include "segment.h"

#if defined(__x86_64__)
#define TH_AUDIT_ARCH	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define TH_AUDIT_ARCH	AUDIT_ARCH_AARCH64
#endif

#define ITERS		100000
#define MAX_NRS		16

/* Written by the child (and its signal handler), read by the parent. */
struct report {
	volatile int traps;
	volatile int nrs[MAX_NRS];	/* the distinct trapped syscall numbers */
	volatile int nnrs;
	volatile int filter_ret;	/* -errno if the filter could not be installed */
	volatile long iters;
	volatile long bad;		/* read-path results that were wrong */
	volatile int stage;
};

static struct report *rep;

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	int i;

	(void)sig;
	(void)uc;
	rep->traps++;
	for (i = 0; i < rep->nnrs; i++)
		if (rep->nrs[i] == si->si_syscall)
			return;
	if (rep->nnrs < MAX_NRS)
		rep->nrs[rep->nnrs++] = si->si_syscall;
}

static int trap_mode;	/* 0: kill on any syscall; 1: trap and record */

/*
 * Kill on every system call but exit_group (trap mode: trap them, and allow
 * rt_sigreturn to return from the handler). Uses system calls to install
 * itself, so call it last before the code under test. 0 or -errno.
 */
static int install_filter(void)
{
#ifdef TH_AUDIT_ARCH
	/* Kill mode lets only exit_group through (its second jump just
	 * repeats the first); trap mode also lets the handler return. */
	unsigned int deny = trap_mode ? SECCOMP_RET_TRAP : SECCOMP_RET_KILL_PROCESS;
	unsigned int also = trap_mode ? SYS_rt_sigreturn : SYS_exit_group;
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TH_AUDIT_ARCH, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit_group, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, also, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, deny),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	struct sigaction sa;

	if (trap_mode) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_sigsys;
		sa.sa_flags = SA_SIGINFO | SA_NODEFER;
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGSYS, &sa, NULL) < 0)
			return -errno;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return -errno;
	return 0;
#else
	return -ENOSYS;
#endif
}

/*
 * Leave without running anything else: _exit() is noreturn, so sanitizers
 * put their own bookkeeping (with system calls) in front of it.
 */
static void raw_exit(int code)
{
	syscall(SYS_exit_group, code);
}

/* Control: a plain getpid() must be caught. */
static int child_getpid(void *arg)
{
	int ret = install_filter();

	(void)arg;
	if (ret < 0) {
		rep->filter_ret = ret;
		_exit(3);
	}
	syscall(SYS_getpid);
	raw_exit(0);
	return 0;
}

/* Control: is CLOCK_MONOTONIC served by the vDSO on this machine? */
static int child_clock(void *arg)
{
	struct timespec ts;
	int i, ret = install_filter();

	(void)arg;
	if (ret < 0) {
		rep->filter_ret = ret;
		_exit(3);
	}
	for (i = 0; i < 1000; i++)
		clock_gettime(CLOCK_MONOTONIC, &ts);
	raw_exit(0);
	return 0;
}

static int child_read_path(void *arg)
{
	const char *name = arg;
	struct fotos_view *v = malloc(sizeof(*v));
	struct fotos_status st;
	struct fotos_cursor c;
	struct fotos_info info;
	struct fotos *h;
	long i;
	int ret;

	/* Everything that may make system calls happens before the filter. */
	if (!v || fotos_open(name, &h) < 0)
		_exit(4);
	if (fotos_read_view(h, v) < 0 || fotos_read_status(h, &st) < 0 || fotos_check(h) < 0)
		_exit(5);
	rep->stage = 1;
	ret = install_filter();
	if (ret < 0) {
		rep->filter_ret = ret;
		_exit(3);
	}

	for (i = 0; i < ITERS; i++) {
		if (fotos_stable(h) != 1 || fotos_primary(h) != 1 || fotos_epoch(h) != 17 ||
		    fotos_state(h) != FOTOS_STABLE)
			rep->bad++;
		if (fotos_read_status(h, &st) != 0 || st.view_id != 170)
			rep->bad++;
		if (fotos_read_view(h, v) != 0 || v->epoch != 17 || v->count != 64 ||
		    v->members[63].incarnation != 63)
			rep->bad++;
		if (fotos_check(h) != 0)
			rep->bad++;
		fotos_get_info(h, &info);
		fotos_cursor_init(h, &c);
		rep->iters = i + 1;
	}
	rep->stage = 2;
	/* No fotos_close()/free(): munmap would be a system call. */
	raw_exit(0);
	return 0;
}

static void print_nrs(void)
{
	int i;

	for (i = 0; i < rep->nnrs; i++)
		fprintf(stderr, "  trapped system call number %d\n", rep->nrs[i]);
}

int main(void)
{
	struct shm_params p = {
		.name = th_shm_name(),
		.node_name = "node-s",
		.cluster_name = "unit",
		.stale_after_ns = 600ull * 1000000000ull,	/* no heartbeat needed */
		.mode = 0600,
	};
	struct fotos_shm_view *v = calloc(1, sizeof(*v));
	uint64_t w[FOTOS_SW_NWORDS] = { 0 };
	struct shm_segment seg;
	int rc, i;
	double t0;

#ifndef TH_AUDIT_ARCH
	skip("no seccomp arch constant for this machine");
#endif
	CHECK(v);
	rep = th_shared_alloc(sizeof(*rep));

	/* Control 1: the filter is installable and catches a system call. */
	rc = th_wait_pid(th_fork(child_getpid, NULL, 10), 10000);
	if (rc == 3)
		skip("cannot install a seccomp filter: %s", strerror(-rep->filter_ret));
	CHECK_EQ(rc, 128 + SIGSYS);

	/* Control 2: the clock the liveness check reads is vDSO-served. */
	memset(rep, 0, sizeof(*rep));
	rc = th_wait_pid(th_fork(child_clock, NULL, 10), 10000);
	if (rc == 128 + SIGSYS)
		skip("clock_gettime(CLOCK_MONOTONIC) is a system call here "
		     "(clocksource without vDSO support)");
	CHECK_EQ(rc, 0);

	CHECK_OK(shm_segment_create(&p, &seg));
	w[FOTOS_SW_STATE] = FOTOS_ST_STABLE;
	w[FOTOS_SW_STABLE] = 1;
	w[FOTOS_SW_PRIMARY] = 1;
	w[FOTOS_SW_EPOCH] = 17;
	w[FOTOS_SW_VIEW_ID] = 170;
	shm_publish_state(&seg, w);
	v->epoch = 17;
	v->view_id = 170;
	v->count = 64;
	for (i = 0; i < 64; i++) {
		snprintf(v->members[i].name, sizeof(v->members[i].name), "n%d", i);
		v->members[i].incarnation = (uint64_t)i;
		v->members[i].index = (uint32_t)i;
	}
	shm_publish_view(&seg, v);

	memset(rep, 0, sizeof(*rep));
	t0 = th_now_s();
	rc = th_wait_pid(th_fork(child_read_path, (void *)p.name, 60), 60000);
	printf("read path: %ld iterations in %.2fs, %s, %ld bad results\n", rep->iters,
	       th_now_s() - t0, rc == 128 + SIGSYS ? "killed by a system call" : "no system call",
	       rep->bad);
	if (rc == 128 + SIGSYS) {
		long at = rep->iters;

		/* Run it again, trapping instead of killing, to name the calls. */
		memset(rep, 0, sizeof(*rep));
		trap_mode = 1;
		rc = th_wait_pid(th_fork(child_read_path, (void *)p.name, 60), 60000);
		fprintf(stderr, "read path made system calls (first at iteration %ld); "
			"rerun with traps: exit %d, %d trapped\n", at, rc, rep->traps);
		print_nrs();
		shm_segment_close(&seg);
		FAIL("the read path made system calls");
	}
	shm_segment_close(&seg);
	free(v);
	if (rc == 3)
		skip("cannot install a seccomp filter: %s", strerror(-rep->filter_ret));
	if (rc != 0)
		FAIL("read-path child exited %d at stage %d", rc, rep->stage);
	CHECK_EQ(rep->stage, 2);
	CHECK_EQ(rep->iters, ITERS);
	CHECK_EQ(rep->bad, 0);
	return T_PASS;
}
