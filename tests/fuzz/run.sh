#!/bin/sh
# Description: builds every libFuzzer target (clang, ASan + UBSan) into
# build/fuzz/ and runs each for $1 seconds (default 60) on a copy of its seed
# corpus, so the checked-in corpus/ only changes by hand. Exits nonzero if
# any target crashed, leaving the crasher in build/fuzz/ and naming it; add
# it to tests/fuzz/corpus/<target>/ once fixed, so `make test` replays it.
# Exits 77 if no clang with libFuzzer is found.
#
#   sh tests/fuzz/run.sh [SECONDS]       CC=clang-15 to choose the compiler
#   FUZZ_TARGETS="fuzz_wire fuzz_ctl"    only these targets (default: all)
set -u

SECS=${1:-60}
OUT=build/fuzz
cd "$(dirname "$0")/../.." || exit 1

if [ -z "${CC:-}" ] || ! "$CC" -fsanitize=fuzzer -x c -o /dev/null - 2>/dev/null <<'X'
#include <stdint.h>
#include <stddef.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }
X
then
	CC=
	for c in clang clang-18 clang-17 clang-16 clang-15 clang-14; do
		command -v "$c" >/dev/null 2>&1 || continue
		if "$c" -fsanitize=fuzzer -x c -o /dev/null - 2>/dev/null <<'X'
#include <stdint.h>
#include <stddef.h>
int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }
X
		then
			CC=$c
			break
		fi
	done
fi
if [ -z "$CC" ]; then
	echo "fuzz: no clang with libFuzzer found (apt-get install clang)" >&2
	exit 77
fi

CFLAGS="-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-Wall -Wextra -Wshadow -Wstrict-prototypes -Ishm -Iagent -Iclientlib"

# The agent's libraries, for targets that run the agent itself.
AGENT_LIBS="$(pkg-config --libs liburing 2>/dev/null || echo -luring) \
	$(pkg-config --libs libsodium 2>/dev/null) -lm"
AGENT_LIBS=$(echo $AGENT_LIBS | tr ' ' ,)

# Each target as NAME:SOURCES[:LIBS], the sources and link flags separated
# by commas. Sources may be globs; any */main.c is left out (the target is
# the program). fuzz_ctl runs the whole agent but its main().
TARGETS="fuzz_wire:agent/wire.c,clientlib/vclock.c fuzz_conf:agent/conf.c fuzz_shm:shm/validate.c
	fuzz_ctl:agent/*.c,clientlib/*.c,shm/*.c:$AGENT_LIBS"

if [ -n "${FUZZ_TARGETS:-}" ]; then
	sel=
	for want in $FUZZ_TARGETS; do
		found=
		for t in $TARGETS; do
			if [ "${t%%:*}" = "$want" ]; then
				sel="$sel $t"
				found=1
			fi
		done
		if [ -z "$found" ]; then
			echo "fuzz: unknown target '$want' in FUZZ_TARGETS (known:$(for t in $TARGETS; do
				printf ' %s' "${t%%:*}"; done))" >&2
			exit 2
		fi
	done
	TARGETS=$sel
fi

mkdir -p "$OUT"
fail=0
for t in $TARGETS; do
	name=${t%%:*}
	rest=${t#*:}
	libs=
	case $rest in *:*) libs=$(echo "${rest#*:}" | tr , ' '); rest=${rest%%:*} ;; esac
	srcs=
	# shellcheck disable=SC2086
	for f in $(echo "$rest" | tr , ' '); do
		case $f in */main.c) ;; *) srcs="$srcs $f" ;; esac
	done
	echo "fuzz: building $name with $CC"
	# shellcheck disable=SC2086
	if ! $CC $CFLAGS -o "$OUT/$name" "tests/fuzz/$name.c" $srcs $libs; then
		echo "fuzz: $name: build failed" >&2
		fail=1
		continue
	fi

	work="$OUT/corpus_$name"
	mkdir -p "$work"
	cp -f tests/fuzz/corpus/"$name"/* "$work"/ 2>/dev/null
	rm -f "$OUT/$name".crash-* "$OUT/$name".leak-* "$OUT/$name".timeout-* \
		"$OUT/$name".oom-* "$OUT/$name".slow-unit-*

	dict=
	if [ -f "tests/fuzz/$name.dict" ]; then
		dict=-dict=tests/fuzz/$name.dict
	fi
	echo "fuzz: running $name for ${SECS}s"
	# shellcheck disable=SC2086
	"$OUT/$name" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$OUT/$name." -print_final_stats=1 $dict \
		"$work" >"$OUT/$name.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$OUT/$name.log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$OUT/$name.log" | tail -n 1)
	if [ $rc -ne 0 ]; then
		found=$(ls "$OUT/$name".crash-* "$OUT/$name".leak-* "$OUT/$name".timeout-* \
			"$OUT/$name".oom-* 2>/dev/null | head -n 1)
		echo "fuzz: $name FAILED (exit $rc) after ${execs:-?} runs: ${found:-see $OUT/$name.log}" >&2
		grep -m 5 -E 'ERROR|SUMMARY|runtime error' "$OUT/$name.log" >&2
		fail=1
	else
		echo "fuzz: $name ok: ${execs:-?} runs, ${cov:-cov ?}, corpus $(ls "$work" | wc -l) files"
	fi
done
exit $fail
