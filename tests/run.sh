#!/bin/sh
# Description: the test runner behind `make test`:
#   B=build/<variant> SAN=<asan|tsan|> sh tests/run.sh [name-pattern...]
# Runs, one at a time, each with a timeout and its output in
# $B/test-logs/<name>.log (printed when it fails):
#   every unit test          $B/tests/test_*
#   the torn-read stress     $B/tests/stress/torn (and --threads under TSan)
#   every fuzz replay        $B/tests/replay_fuzz_X over tests/fuzz/corpus/fuzz_X/
#   every integration test   $B/tests/integ/* (with FOTOSD and FOTOSCTL set)
# A test passes on exit 0, is skipped on 77, fails otherwise. Prints one line
# per test and ends with "N passed, N failed, N skipped"; exits 1 if any
# failed. Optional arguments are shell patterns: run only matching names.
# TEST_TIMEOUT (seconds, default 300) bounds each test.

B=${B:-build/release}
SAN=${SAN:-}
TEST_TIMEOUT=${TEST_TIMEOUT:-300}

case $B in
/*) ;;
*) B=$(pwd)/$B ;;
esac
if [ ! -d "$B" ]; then
	echo "run.sh: no build directory $B (run make first)" >&2
	exit 1
fi

LOGS=$B/test-logs
mkdir -p "$LOGS"

# Sanitizers: stop at the first report, and make it readable. Caller's
# settings win.
: "${ASAN_OPTIONS:=abort_on_error=0:halt_on_error=1:detect_leaks=1:strict_string_checks=1}"
: "${UBSAN_OPTIONS:=print_stacktrace=1:halt_on_error=1}"
: "${TSAN_OPTIONS:=halt_on_error=1:second_deadlock_stack=1}"
export ASAN_OPTIONS UBSAN_OPTIONS TSAN_OPTIONS

# What the multi-node tests start.
FOTOSD=${FOTOSD:-$B/fotosd}
# The agent is one thread: TSan has nothing to check in it, and its 5-15x
# slowdown makes the multi-node tests time out for the wrong reasons. Under
# TSan the test programs (the client library's threads) are instrumented and
# they drive the release agent.
if [ "$SAN" = tsan ] && [ -x build/release/fotosd ]; then
	FOTOSD=$(pwd)/build/release/fotosd
fi
FOTOSCTL=${FOTOSCTL:-$B/fotosctl}
export FOTOSD FOTOSCTL B SAN

if command -v timeout >/dev/null 2>&1; then
	TIMEOUT="timeout -k 10 $TEST_TIMEOUT"
else
	TIMEOUT=
fi

npass=0
nfail=0
nskip=0
failed_names=

now() {
	date +%s.%N 2>/dev/null || date +%s
}

elapsed() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fs", b - a }'
}

# Does the test name match the command-line patterns (all if none)?
wanted() {
	[ -z "$PATTERNS" ] && return 0
	for p in $PATTERNS; do
		# shellcheck disable=SC2254
		case $1 in
		$p) return 0 ;;
		esac
	done
	return 1
}

skip_test() {
	wanted "$1" || return 0
	nskip=$((nskip + 1))
	echo "SKIP $1 ($2)"
}

# run_test NAME COMMAND [ARGS...]
run_test() {
	name=$1
	shift
	wanted "$name" || return 0
	log=$LOGS/$(echo "$name" | tr '/ ' '__').log
	t0=$(now)
	# shellcheck disable=SC2086
	$TIMEOUT "$@" >"$log" 2>&1 </dev/null
	rc=$?
	dt=$(elapsed "$t0" "$(now)")
	case $rc in
	0)
		npass=$((npass + 1))
		echo "PASS $name ($dt)"
		;;
	77)
		nskip=$((nskip + 1))
		why=$(grep -m1 -i 'skip' "$log" | cut -c1-100)
		echo "SKIP $name ($dt${why:+: $why})"
		;;
	*)
		nfail=$((nfail + 1))
		failed_names="$failed_names $name"
		if [ -n "$TIMEOUT" ] && { [ $rc -eq 124 ] || [ $rc -eq 137 ]; }; then
			why="timed out after ${TEST_TIMEOUT}s"
		elif [ $rc -gt 128 ]; then
			why="killed by signal $((rc - 128))"
		else
			why="exit $rc"
		fi
		echo "FAIL $name ($why, $dt)"
		echo "---- $log (last 200 lines) ----"
		tail -n 200 "$log"
		echo "---- end of $name ----"
		;;
	esac
}

PATTERNS="$*"

# Unit tests.
for t in "$B"/tests/test_*; do
	if [ ! -f "$t" ] || [ ! -x "$t" ]; then continue; fi
	case $t in *.d|*.o) continue ;; esac
	run_test "$(basename "$t")" "$t"
done

# Torn-read stress: processes always; threads under TSan (TSan sees only
# threads), where it is the point of the run.
for s in torn torn_db; do
	if [ -x "$B/tests/stress/$s" ]; then
		run_test "$s" "$B/tests/stress/$s"
		if [ "$SAN" = tsan ]; then
			run_test "$s--threads" "$B/tests/stress/$s" --threads
		fi
	else
		skip_test "$s" "not built"
	fi
done

# Fuzz corpus replays: replay_fuzz_X reads tests/fuzz/corpus/fuzz_X/.
for t in "$B"/tests/replay_fuzz_*; do
	if [ ! -f "$t" ] || [ ! -x "$t" ]; then continue; fi
	case $t in *.d|*.o) continue ;; esac
	name=$(basename "$t")
	corpus=tests/fuzz/corpus/${name#replay_}
	if [ -d "$corpus" ] && [ -n "$(ls -A "$corpus" 2>/dev/null)" ]; then
		run_test "$name" "$t" "$corpus"
	else
		skip_test "$name" "no corpus in $corpus"
	fi
done

# The spin model, bounded (once: in the plain build).
if [ -z "$SAN" ] && [ -f tests/model/run.sh ]; then
	if command -v spin >/dev/null 2>&1; then
		run_test model sh tests/model/run.sh quick
	else
		skip_test model "spin is not installed (make deps installs it)"
	fi
fi

# Multi-node integration tests.
for t in "$B"/tests/integ/*; do
	if [ ! -f "$t" ] || [ ! -x "$t" ]; then continue; fi
	case $t in *.d|*.o) continue ;; esac
	run_test "integ/$(basename "$t")" "$t"
done

if [ $nfail -gt 0 ]; then
	echo "failed:$failed_names (logs in $LOGS)"
fi
echo "$npass passed, $nfail failed, $nskip skipped"
[ $nfail -eq 0 ]
