#!/bin/sh
# demo.sh - a local 3-node fotos cluster on loopback, with live status.
#
# What `make demo` runs (B=build/release). Starts three agents, watches
# node n1's view change live while it kills one node with kill -9 and
# restarts it, prints every node's status, checks that the cluster ended in
# one stable 3-member view, and stops the agents it started (by PID).
# Exit 0 on success, 1 with the agents' log tails if the demo went wrong.
set -u

B=${B:-build/release}
FOTOSD=$B/fotosd
FOTOSCTL=$B/fotosctl
NODES="n1 n2 n3"

say() { printf '\n==> %s\n' "$*"; }
die_setup() { printf 'demo: %s\n' "$*" >&2; exit 1; }

[ -x "$FOTOSD" ] || die_setup "no agent binary at $FOTOSD: run 'make' first (or set B=)"
[ -x "$FOTOSCTL" ] || die_setup "no fotosctl at $FOTOSCTL: run 'make' first (or set B=)"

DIR=$(mktemp -d "${TMPDIR:-/tmp}/fotos-demo.XXXXXX") || die_setup "cannot make a temp dir"
CONF=$DIR/fotos.ini
FAILED=0
WATCH_PID=
PRINT_PID=
P_n1=
P_n2=
P_n3=

say "a cluster key for the links: $FOTOSCTL keygen $DIR/cluster.key"
"$FOTOSCTL" keygen "$DIR/cluster.key" || die_setup "cannot write a cluster key"

cat >"$CONF" <<EOF
; written by tools/demo.sh
[cluster]
name = demo
heartbeat_ms = 100
timeout_ms = 500
key_file = $DIR/cluster.key   ; links prove both ends hold it

[node n1]
address = 127.0.0.1:7101

[node n2]
address = 127.0.0.1:7102

[node n3]
address = 127.0.0.1:7103
EOF

pid_of() { eval "printf '%s' \"\${P_$1}\""; }

# Stop a process we started: TERM, then KILL after 2 s.
stop_pid() {
	p=$1
	[ -n "$p" ] || return 0
	kill -TERM "$p" 2>/dev/null || return 0
	i=0
	while kill -0 "$p" 2>/dev/null && [ $i -lt 20 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	return 0
}

show_logs() {
	for n in $NODES; do
		printf '\n--- last lines of %s ---\n' "$DIR/$n.log"
		tail -n 20 "$DIR/$n.log" 2>/dev/null || echo "(no log)"
	done
}

cleanup() {
	trap - EXIT INT TERM
	stop_pid "$WATCH_PID"
	for n in $NODES; do
		stop_pid "$(pid_of $n)"
	done
	stop_pid "$PRINT_PID"
	if [ "$FAILED" = 0 ] && [ "${KEEP:-0}" = 0 ]; then
		rm -rf "$DIR"
	else
		echo "demo: logs and config kept in $DIR"
	fi
}
trap cleanup EXIT
trap 'FAILED=1; echo; echo "demo: interrupted"; exit 1' INT TERM

fail() {
	FAILED=1
	printf '\ndemo FAILED: %s\n' "$*" >&2
	show_logs >&2
	exit 1
}

start() {
	n=$1
	"$FOTOSD" --config "$CONF" --node "$n" --shm "/fotos-demo-$n" \
		--control "$DIR/$n.sock" >>"$DIR/$n.log" 2>&1 &
	eval "P_$n=$!"
	echo "    started $n (pid $!, log $DIR/$n.log)"
}

# "members stable view_id" of node $1 as its agent publishes them, or fails.
view_of() {
	json=$("$FOTOSCTL" --shm "/fotos-demo-$1" status --json 2>/dev/null) || return 1
	members=$(printf '%s' "$json" | grep -o '"name":' | wc -l)
	stable=$(printf '%s' "$json" | sed -n 's/.*"stable":\([a-z]*\).*/\1/p')
	vid=$(printf '%s' "$json" | sed -n 's/.*"view_id":\([0-9]*\).*/\1/p')
	printf '%s %s %s\n' "$members" "$stable" "$vid"
}

# Wait up to $2 tenths of a second until every node in $1 publishes the
# same stable view of exactly the nodes in $1.
converge() {
	nodes=$1
	tries=$2
	want=$(echo $nodes | wc -w)
	i=0
	while [ $i -lt "$tries" ]; do
		ok=1
		first=
		for n in $nodes; do
			v=$(view_of "$n") || { ok=0; break; }
			m=${v%% *}
			rest=${v#* }
			st=${rest%% *}
			id=${rest#* }
			if [ "$m" != "$want" ] || [ "$st" != true ]; then
				ok=0
				break
			fi
			[ -z "$first" ] && first=$id
			[ "$id" = "$first" ] || ok=0
		done
		[ $ok = 1 ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# Wait until node $1 has created its segment (up to 5 s).
await_segment() {
	i=0
	until "$FOTOSCTL" --shm "/fotos-demo-$1" status >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -ge 50 ] && return 1
		# the agent may have died at once (bad config, port in use)
		kill -0 "$(pid_of $1)" 2>/dev/null || return 1
		sleep 0.1
	done
}

say "starting 3 agents (config $CONF: 127.0.0.1:7101-7103, heartbeat 100 ms, timeout 500 ms)"
for n in $NODES; do
	start "$n"
done
await_segment n1 || fail "agent n1 did not come up (no segment /fotos-demo-n1)"

say "watching node n1's view live (fotosctl --shm /fotos-demo-n1 watch; futex wake-ups, no polling)"
mkfifo "$DIR/watch.fifo" || fail "cannot make a fifo in $DIR"
while IFS= read -r line; do
	printf '    [n1 watch] %s\n' "$line"
done <"$DIR/watch.fifo" &
PRINT_PID=$!
"$FOTOSCTL" --shm /fotos-demo-n1 watch >"$DIR/watch.fifo" 2>&1 &
WATCH_PID=$!

say "waiting for n1, n2, n3 to agree on one stable 3-member view"
converge "$NODES" 80 || fail "no stable 3-member view agreed by n1, n2, n3 within 8 s"
echo "    agreed: $(view_of n1 | awk '{printf "%s members, view id %s", $1, $3}')"

say "asking each agent over its control socket (fotosctl ping)"
for n in $NODES; do
	r=$("$FOTOSCTL" --shm "/fotos-demo-$n" ping 2>&1) || r="(no answer: $r)"
	echo "    $n: $r"
done

sleep 0.5
say "killing n3 with kill -9 (pid $P_n3): n1 and n2 must notice within the 500 ms timeout and agree to remove it"
kill -KILL "$P_n3"
wait "$P_n3" 2>/dev/null
P_n3=
converge "n1 n2" 60 || fail "n1 and n2 did not agree on a stable 2-member view within 6 s of n3's death"
echo "    n1 and n2 agree: $(view_of n1 | awk '{printf "%s members, view id %s", $1, $3}')"

sleep 0.5
say "restarting n3: it must join the existing network"
start n3
converge "$NODES" 80 || fail "n3 did not rejoin: no stable 3-member view within 8 s of its restart"
echo "    agreed again: $(view_of n1 | awk '{printf "%s members, view id %s", $1, $3}')"

sleep 0.3
stop_pid "$WATCH_PID"
WATCH_PID=
stop_pid "$PRINT_PID"
PRINT_PID=

for n in $NODES; do
	say "fotosctl --shm /fotos-demo-$n status"
	"$FOTOSCTL" --shm "/fotos-demo-$n" status || FAILED=1
done
[ "$FAILED" = 0 ] || fail "a node's status could not be read"

say "demo OK: 3 agents, one kill -9, one rejoin, every node in the same stable view. Stopping the agents."
exit 0
