/*
 * Description: replays fuzz inputs without libFuzzer, so `make test` runs
 * every corpus file and past crasher through a fuzz target built with the
 * normal compiler (and under ASan with SAN=asan).
 *
 *   replay_fuzz_X DIR|FILE...
 *
 * Directories are walked recursively. Each file is read into a buffer of
 * exactly its size and passed to LLVMFuzzerTestOneInput(). Prints
 * "replay: N inputs" and exits 0; exits 1 if a path cannot be read or no
 * input was found (an empty corpus is a broken test). A failing input
 * aborts in the target; a signal handler names it on stderr first (and
 * REPLAY_VERBOSE=1 names every input as it runs, for sanitizer reports,
 * which exit without a signal).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long ninputs;
static const char *current;	/* the input being run, for on_fatal() */

/* Name the input that crashed, then die of the same signal. */
static void on_fatal(int sig)
{
	static const char msg[] = "replay: crashed on ";

	if (current) {
		/* write(2) only: this runs in a signal handler. */
		if (write(2, msg, sizeof(msg) - 1) < 0 || write(2, current, strlen(current)) < 0 ||
		    write(2, "\n", 1) < 0)
			_exit(128 + sig);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Read path whole. 0 and *buf (caller frees), or -errno. */
static int read_all(const char *path, uint8_t **buf, size_t *len)
{
	size_t cap = 4096, n = 0;
	uint8_t *b = NULL, *nb;
	FILE *f;
	int ret = 0;

	f = fopen(path, "rb");
	if (!f)
		return -errno;
	for (;;) {
		size_t r;

		nb = realloc(b, cap);
		if (!nb) {
			ret = -ENOMEM;
			goto out;
		}
		b = nb;
		r = fread(b + n, 1, cap - n, f);
		n += r;
		if (n < cap) {
			if (ferror(f)) {
				ret = -EIO;
				goto out;
			}
			break;
		}
		cap *= 2;
	}
	/* Shrink to the exact size so ASan sees reads past the input. */
	nb = malloc(n ? n : 1);
	if (!nb) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(nb, b, n);
	*buf = nb;
	*len = n;
out:
	free(b);
	fclose(f);
	return ret;
}

/* Replay a file, or every file under a directory. 0 or -errno. */
static int replay(const char *path)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret;

	if (stat(path, &st) < 0) {
		ret = -errno;
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return ret;
	}
	if (S_ISDIR(st.st_mode)) {
		struct dirent **ents;
		int i, n;

		/* Sorted, so a run is reproducible. */
		n = scandir(path, &ents, NULL, alphasort);
		if (n < 0) {
			ret = -errno;
			fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
			return ret;
		}
		ret = 0;
		for (i = 0; i < n; i++) {
			char sub[4096];

			if (!ret && ents[i]->d_name[0] != '.') {
				snprintf(sub, sizeof(sub), "%s/%s", path, ents[i]->d_name);
				ret = replay(sub);
			}
			free(ents[i]);
		}
		free(ents);
		return ret;
	}
	if (!S_ISREG(st.st_mode))
		return 0;
	ret = read_all(path, &buf, &len);
	if (ret < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(-ret));
		return ret;
	}
	if (getenv("REPLAY_VERBOSE"))
		fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	current = path;
	LLVMFuzzerTestOneInput(buf, len);
	current = NULL;
	free(buf);
	ninputs++;
	return 0;
}

int main(int argc, char **argv)
{
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
		return 1;
	}
	signal(SIGABRT, on_fatal);
	signal(SIGSEGV, on_fatal);
	signal(SIGBUS, on_fatal);
	signal(SIGFPE, on_fatal);
	for (i = 1; i < argc; i++)
		if (replay(argv[i]) < 0)
			return 1;
	printf("replay: %lu inputs\n", ninputs);
	return ninputs ? 0 : 1;
}
