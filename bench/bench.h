/*
 * bench.h - the small harness every bench/bench_*.c program includes.
 *
 * Time comes from clock_gettime(CLOCK_MONOTONIC) (vDSO, ~20 ns, no rdtsc
 * calibration to get wrong); fast operations are timed in batches and the
 * batch divided. A sample collector sorts and reports the median and the
 * 99th percentile and prints one markdown table row:
 *
 *   | name | median ns | p99 ns | baseline | ratio |
 *
 * where ratio = median / the baseline's median. If $BENCH_OUT names a
 * directory, each series is also written there as <slug>.dat (sorted
 * values and their cumulative fraction) for bench/run.sh to plot.
 *
 * Header-only: each benchmark is one standalone program with its own main().
 */
#ifndef FOTOS_BENCH_H
#define FOTOS_BENCH_H

#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Keeps results alive so the compiler cannot drop the measured calls. */
static volatile uint64_t bench_sink;

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Sleep for ns nanoseconds (blocks: gives the CPU away). */
static inline void bench_sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static inline int bench_ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

/*
 * Pin the calling thread (and so a process that has one) to cpu, modulo
 * the CPUs online. 0 or -errno; a failure is reported and the benchmark
 * goes on unpinned.
 */
static inline int bench_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu % bench_ncpus(), &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0) {
		int err = errno;

		fprintf(stderr, "bench: cannot pin to CPU %d: %s\n", cpu, strerror(err));
		return -err;
	}
	return 0;
}

/* Read exactly len bytes (a blocking fd). 0, or -1 at EOF or on error. */
static inline int bench_read_full(int fd, void *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = read(fd, (char *)buf + off, len - off);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

/* 1 if --quick is among the arguments (fewer repetitions, for CI). */
static inline int bench_quick(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--quick"))
			return 1;
	return 0;
}

struct bench_samples {
	char name[96];
	double *v;
	size_t n, cap;
	int sorted;
};

static inline void samples_init(struct bench_samples *s, const char *name)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
}

static inline void samples_add(struct bench_samples *s, double v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		double *nv = realloc(s->v, cap * sizeof(*nv));

		if (!nv) {
			fprintf(stderr, "bench: out of memory for samples\n");
			exit(1);
		}
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = v;
	s->sorted = 0;
}

static inline void samples_free(struct bench_samples *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The p-quantile (0..1) by nearest rank; 0 when empty. */
static inline double samples_pct(struct bench_samples *s, double p)
{
	size_t i;

	if (!s->n)
		return 0;
	if (!s->sorted) {
		qsort(s->v, s->n, sizeof(*s->v), bench_cmp_double);
		s->sorted = 1;
	}
	i = (size_t)(p * (double)s->n);
	if (i >= s->n)
		i = s->n - 1;
	return s->v[i];
}

static inline double samples_median(struct bench_samples *s)
{
	return samples_pct(s, 0.5);
}

/* Write the sorted series to $BENCH_OUT/<prefix>_<slug>.dat for plotting. */
static inline void samples_dump(struct bench_samples *s, const char *prefix)
{
	const char *dir = getenv("BENCH_OUT");
	char path[512], slug[96];
	size_t i, j = 0;
	FILE *f;

	if (!dir || !*dir || !s->n)
		return;
	samples_pct(s, 0.5);	/* sorts */
	for (i = 0; s->name[i] && j < sizeof(slug) - 1; i++) {
		unsigned char c = (unsigned char)s->name[i];

		if (isalnum(c))
			slug[j++] = (char)c;
		else if (j && slug[j - 1] != '_')
			slug[j++] = '_';
	}
	while (j && slug[j - 1] == '_')
		j--;
	slug[j] = 0;
	snprintf(path, sizeof(path), "%s/%s_%s.dat", dir, prefix, slug);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "bench: cannot write %s: %s\n", path, strerror(errno));
		return;
	}
	fprintf(f, "# %s\n# ns cumulative_fraction\n", s->name);
	for (i = 0; i < s->n; i++)
		fprintf(f, "%.2f %.6f\n", s->v[i], (double)(i + 1) / (double)s->n);
	fclose(f);
}

static inline void bench_header(void)
{
	printf("| benchmark | median ns | p99 ns | baseline | ratio |\n");
	printf("|---|---:|---:|---|---:|\n");
	fflush(stdout);
}

/*
 * Print the row of s against baseline (NULL: s is itself a baseline).
 * Values under 100 ns get two decimals, the rest are rounded.
 */
static inline void bench_row(struct bench_samples *s, struct bench_samples *base)
{
	double med = samples_median(s), p99 = samples_pct(s, 0.99);
	const char *fmt = med < 100 ? "| %s | %.2f | %.2f | " : "| %s | %.0f | %.0f | ";

	printf(fmt, s->name, med, p99);
	if (base && samples_median(base) > 0)
		printf("%s | %.2f |\n", base->name, med / samples_median(base));
	else
		printf("— | — |\n");
	fflush(stdout);
}

#endif
