/*
 * log.c - one line per event on stderr: time since start, node, level.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

static char log_node[64] = "fotosd";
static int log_lvl = LOG_INFO;
static struct timespec log_t0;

void log_init(const char *node, int level)
{
	snprintf(log_node, sizeof(log_node), "%s", node);
	log_lvl = level;
	clock_gettime(CLOCK_MONOTONIC, &log_t0);
}

int log_level_parse(const char *s)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	int i;

	for (i = 0; i < 4; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

void log_msg(int level, const char *fmt, ...)
{
	static const char *const tags[] = { "ERROR", "WARN", "info", "debug" };
	struct timespec t;
	va_list ap;
	double s;

	if (level > log_lvl)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t);
	s = (double)(t.tv_sec - log_t0.tv_sec) + (double)(t.tv_nsec - log_t0.tv_nsec) / 1e9;
	fprintf(stderr, "%10.6f %s %s: ", s, log_node, tags[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void log_set_level(int level)
{
	log_lvl = level;
}
