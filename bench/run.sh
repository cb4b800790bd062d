#!/bin/sh
# bench/run.sh - run every benchmark and write bench/REPORT.md.
#
# What `make bench` runs (B=build/<variant>); QUICK=1 (`make bench-quick`)
# passes --quick to every benchmark for a CI smoke run well under a minute.
# Every $B/bench/bench_* program is run (the ones that need an agent find it
# as $FOTOSD); each prints markdown table rows on stdout
#   | name | median ns | p99 ns | baseline | ratio |
# and its progress on stderr; exit 77 means "skipped" (liburing convention).
# Latency distributions go to bench/out/*.dat and are plotted with gnuplot
# (installed with apt-get when missing and root, except in quick mode).
set -u

B=${B:-build/release}
QUICK=${QUICK:-0}
HERE=$(dirname "$0")
OUT=$HERE/out
REPORT=$HERE/REPORT.md
IMGDIR=out/		# plots, relative to the report
export B
FOTOSD=$B/fotosd
export FOTOSD

if [ "$QUICK" = 1 ]; then
	# a smoke run must not overwrite the report or plots of a real run
	OUT=$HERE/out/quick
	mkdir -p "$OUT"
	REPORT=$OUT/REPORT.md
	IMGDIR=
	ARGS=--quick
	MODE="quick (--quick: fewer repetitions; a smoke test, not for comparison)"
	LIMIT=120
else
	ARGS=
	MODE=full
	LIMIT=900
fi

mkdir -p "$OUT" || { echo "bench: cannot create $OUT" >&2; exit 1; }
rm -f "$OUT"/*.dat "$OUT"/*.png "$OUT"/*.svg "$OUT"/*.md "$OUT"/*.err "$OUT"/*.gp
BENCH_OUT=$OUT
export BENCH_OUT

# The programs only (the build leaves bench_*.d dependency files beside them).
list=
for b in "$B"/bench/bench_*; do
	case $b in *.d | *.o) continue ;; esac
	[ -f "$b" ] && [ -x "$b" ] && list="$list $b"
done
set -- $list
if [ $# = 0 ]; then
	echo "bench: no benchmarks in $B/bench: run 'make bench' (it builds them)" >&2
	exit 1
fi
TOTAL=$#

cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
[ -n "$cpu" ] || cpu=$(uname -m)
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)
BODY=$OUT/body.tmp
: >"$BODY"

i=0
fails=0
for b in "$@"; do
	i=$((i + 1))
	name=${b##*/}
	printf '[%d/%d] %s %s... ' "$i" "$TOTAL" "$name" "$ARGS" >&2
	t0=$(date +%s)
	if command -v timeout >/dev/null 2>&1; then
		timeout "$LIMIT" "$b" $ARGS >"$OUT/$name.md" 2>"$OUT/$name.err"
	else
		"$b" $ARGS >"$OUT/$name.md" 2>"$OUT/$name.err"
	fi
	rc=$?
	dt=$(($(date +%s) - t0))
	{
		printf '## %s\n\n' "$name"
		cat "$OUT/$name.md"
	} >>"$BODY"
	case $rc in
	0)
		echo "done in ${dt}s" >&2
		;;
	77)
		echo "skipped ($(tail -n 1 "$OUT/$name.err"))" >&2
		printf '\n*Skipped:* %s\n\n' "$(tail -n 1 "$OUT/$name.err")" >>"$BODY"
		;;
	*)
		fails=$((fails + 1))
		[ $rc = 124 ] && why="timed out after ${LIMIT}s" || why="exit status $rc"
		echo "FAILED ($why) after ${dt}s; its stderr:" >&2
		tail -n 5 "$OUT/$name.err" | sed 's/^/    /' >&2
		{
			printf '\n**FAILED** (%s). Last lines of its stderr:\n\n```\n' "$why"
			tail -n 10 "$OUT/$name.err"
			printf '```\n\n'
		} >>"$BODY"
		;;
	esac
done

# ---- plots ------------------------------------------------------------------
PLOTS=
plot_note=
have_dat=0
for f in "$OUT"/*.dat; do
	[ -f "$f" ] && have_dat=1
	break
done
if [ $have_dat = 0 ]; then
	plot_note="no distributions were written, so no plots"
elif ! command -v gnuplot >/dev/null 2>&1; then
	if [ "$QUICK" = 1 ]; then
		plot_note="plots skipped in quick mode: gnuplot is not installed (make bench installs it)"
	elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "bench: installing gnuplot-nox for the plots" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null 2>&1 &&
			  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox >/dev/null 2>&1; }
		command -v gnuplot >/dev/null 2>&1 ||
			plot_note="plots skipped: installing gnuplot-nox with apt-get failed"
	else
		plot_note="plots skipped: gnuplot is not installed (as root: apt-get install gnuplot-nox)"
	fi
fi

if [ -z "$plot_note" ]; then
	terms=$(gnuplot -e 'set terminal' 2>&1)
	case $terms in
	*pngcairo*) term="pngcairo size 1100,650 noenhanced font ',10'"; ext=png ;;
	*" png "*) term="png size 1100,650 noenhanced"; ext=png ;;
	*) term="svg size 1100,650 noenhanced"; ext=svg ;;
	esac
	groups=$(for f in "$OUT"/*.dat; do b=${f##*/}; echo "${b%%_*}"; done | sort -u)
	for g in $groups; do
		gp=$OUT/$g.gp
		{
			echo "set terminal $term"
			echo "set output '$OUT/$g.$ext'"
			echo "set title 'fotos bench: $g (CDF of per-sample latency)'"
			echo "set xlabel 'ns (log scale)'"
			echo "set ylabel 'fraction of samples <= x'"
			echo "set logscale x"
			echo "set grid"
			echo "set key bottom right"
			printf 'plot '
			sep=
			for f in "$OUT/$g"_*.dat; do
				t=$(sed -n '1s/^# //p' "$f" | sed "s/'/ /g")
				printf "%s'%s' using 1:2 with lines lw 2 title '%s'" "$sep" "$f" "$t"
				sep=", \\
     "
			done
			echo
		} >"$gp"
		if gnuplot "$gp" 2>"$OUT/$g.plot.err"; then
			PLOTS="$PLOTS $g.$ext"
			rm -f "$OUT/$g.plot.err"
		else
			echo "bench: gnuplot failed on $gp: $(head -n 3 "$OUT/$g.plot.err")" >&2
		fi
	done
	[ -n "$PLOTS" ] || plot_note="gnuplot failed on every plot; see bench/out/*.plot.err"
fi

# ---- the report ---------------------------------------------------------------
{
	echo "# fotos benchmark report"
	echo
	echo "Generated by \`bench/run.sh\` (\`make bench\`). Compare numbers only from the same"
	echo "machine and build."
	echo
	echo "| | |"
	echo "|---|---|"
	echo "| date | $(date -u '+%Y-%m-%d %H:%M:%S UTC') |"
	echo "| CPUs (nproc) | $(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN) |"
	echo "| CPU model | $cpu |"
	echo "| kernel | $(uname -sr) |"
	echo "| load average at start | $LOAD0 (other work on the machine inflates every figure) |"
	echo "| compiler | $(${CC:-cc} --version 2>/dev/null | head -n 1) |"
	echo "| build | $B |"
	echo "| mode | $MODE |"
	echo
	cat "$BODY"
	echo "## Plots"
	echo
	if [ -n "$plot_note" ]; then
		echo "$plot_note."
	else
		for p in $PLOTS; do
			echo "![${p%.*}]($IMGDIR$p)"
			echo
		done
	fi
	echo
	echo "Raw sorted samples: \`bench/out/*.dat\` (ns, cumulative fraction)."
} >"$REPORT"
rm -f "$BODY"

echo "bench: wrote $REPORT$( [ -n "$PLOTS" ] && echo " and plots in $OUT:$PLOTS")" >&2
[ -n "$plot_note" ] && echo "bench: $plot_note" >&2
if [ $fails -gt 0 ]; then
	echo "bench: $fails benchmark(s) failed (see $REPORT)" >&2
	exit 1
fi
exit 0
