#!/bin/sh
# Description: writes the seed corpus of fuzz_ctl (the control-socket
# decoder) into tests/fuzz/corpus/fuzz_ctl/: valid and near-valid requests
# of every command. Run from anywhere after a change of the control
# protocol; files are rewritten, none removed (regression inputs stay).
#
# Each file's first byte is fuzz_ctl's mode (see tests/fuzz/fuzz_ctl.c):
# '0' one writing client, whole reads, in a network; '1' read-only; '2' in
# no network; '4' two clients; '@' one-byte reads, 'H' two, 'P' three,
# 'x' 4096; '$' two clients taking turns at 16-byte reads; '\260' is '0'
# with the clients hanging up before the deadlines pass.
set -eu

cd "$(dirname "$0")/../.."
D=tests/fuzz/corpus/fuzz_ctl
mkdir -p "$D"

# seed NAME MODE TEXT: TEXT through printf %b (\n, \r, \0NNN escapes).
seed() {
	printf '%s%b' "$2" "$3" >"$D/$1"
}

# rep N TEXT: TEXT N times.
rep() {
	awk -v n="$1" -v s="$2" 'BEGIN { for (i = 0; i < n; i++) printf "%s", s }'
}

# hexn N: N bytes as hex digits.
hexn() {
	rep "$1" 61
}

# pad16 LINE: LINE with leading spaces to 16 bytes, '#' for its newline
# (written as a \n escape for seed: $(...) would drop a real one).
pad16() {
	printf '%16s' "$1" | sed 's/#/\\n/'
}

C1=0:1700000000000000001	# the first write's clock on the fuzzed node

seed ping 0 'ping\n'
seed status 0 'status\n'
seed peers 0 'peers\n'
seed help 0 'help\n'
seed log-level 0 'log-level warn\nlog-level\nlog-level loud\nlog-level error extra\nlog-level error\n'
seed put-get 0 'put 6b6579 76616c7565\nget 6b6579\n'
seed put-empty-value 0 'put 6b -\nget 6b\n'
seed put-ack-all 0 'put 6b31 7631 ack=all\nget 6b31\n'
seed put-ack-local 0 'put 6b31 7631 ack=local\n'
seed put-if-absent 0 'put 6b31 7631 if=absent\nput 6b31 7632 if=absent\n'
seed put-if-clock 0 "put 6b31 7631\\nput 6b31 7632 if=$C1\\nput 6b31 7633 if=$C1\\nget 6b31\\n"
seed put-if-bad-clock 0 'put 6b31 7631 if=0:01\nput 6b31 7631 if=x\nput 6b31 7631 if=\nput 6b31 7631 if=-\nput 6b31 76 if=1:5,0:4\n'
seed put-bad-option 0 'put 6b31 7631 ack=some\nput 6b31 7631 ack=all ack=all if=absent\n'
seed put-usage 0 'put\nput 6b\nput 6b31 7g\nput 6 00\nput  6b31   7631  \n'
seed put-uppercase-hex 0 'put 6B7E 00FF\nget 6b7e\n'
seed del 0 'put 6b31 7631\ndel 6b31\nget 6b31\ndel 6b31\n'
seed del-ack-all 0 'put 6b31 7631\ndel 6b31 ack=all\n'
seed del-if 0 "put 6b31 7631\\ndel 6b31 if=absent\\ndel 6b31 if=$C1\\n"
seed del-usage 0 'del\ndel zz\ndel 6b 00\n'
seed get-usage 0 'get\nget 6\nget 6b6b extra\nget zz\n'
seed key-too-long 0 "put $(hexn 33) 00\\nput $(hexn 1025) 00\\nget $(hexn 33)\\n"
seed key-max 0 "put $(hexn 32) 00\\nget $(hexn 32)\\n"
seed value-too-long 0 "put 6b $(hexn 257)\\nput 6b $(hexn 61441)\\n"
seed value-max 0 "put 6b $(hexn 256)\\nget 6b\\n"
seed db-full 0 "$(i=0; while [ $i -lt 40 ]; do printf 'put %02x 00\\n' $i; i=$((i + 1)); done)dbstat\\n"
seed batch 0 'batch put 6b31 7631;del 6b32;put 6b33 -\nget 6b31\ndbstat\n'
seed batch-errors 0 'batch put 6b31 7631 ack=all\nbatch put 6b 00;frob 6b\nbatch ;; ;\nbatch put 6b 00;put zz 00\nbatch\n'
seed dbstat 0 'dbstat\ndbstat extra\n'
seed txn 0 'txn put 6b31 7631;del 6b32\nget 6b31\n'
seed txn-options 0 'txn group=g timeout=100 put 6b31 76 if=absent;put 6b32 - \n'
seed txn-if-clock 0 "put 6b31 7631\\ntxn put 6b31 7632 if=$C1\\ntxn del 6b31 if=$C1\\n"
seed txn-errors 0 'txn\ntxn timeout=0 put 6b 00\ntxn timeout=x put 6b 00\ntxn put 6b 00;put 6b 01\ntxn group= put 6b 00\ntxn put 6b 00 if=absent if=0:5\ntxn frob 6b\ntxn put 6b\n'
seed txn-group-only 0 'rdv-join g\ntxn group=g\nrendezvous g 1000\n'
seed txn-group-wait 0 'rdv-join g\ntxn group=g timeout=50 put 6b31 00\nrendezvous g 1000\nget 6b31\n'
seed txn-many-ops 0 "txn $(i=0; while [ $i -lt 40 ]; do printf 'put %02x 00;' $i; i=$((i + 1)); done)\\n"
seed rendezvous 0 'rendezvous g 100\n'
seed rendezvous-no 0 'rendezvous g 100 no\n'
seed rendezvous-usage 0 'rendezvous\nrendezvous g\nrendezvous g 0\nrendezvous g 99999999\nrendezvous g 10 yes\nrendezvous g 10 no more\n'
seed rendezvous-twice 0 'rendezvous g 100\nrendezvous g 100\n'
seed rdv-join-leave 0 'rdv-join g\nrdv-leave g\nrdv-join\nrdv-join a b\nrdv-leave nothere\n'
seed rdv-join-wait-leave 0 'rdv-join g\nrendezvous g 5000\nrdv-leave g\n'
seed no-network 2 'txn put 6b 00\nrendezvous g 100\nput 6b 00\nget 6b\nstatus\n'
seed read-only 1 'put 6b 00\ndel 6b\nbatch put 6b 00\ntxn put 6b 00\nrdv-join g\nrendezvous g 10\nget 6b\nping\n'
seed crlf 0 'ping\r\nput 6b31 7631\r\nget 6b31\r\n\r\n'
seed nul 0 'pi\0000ng\nput 6b\0000 00\nping\n'
seed unknown 0 'frobnicate\n\377\376\n\n   \nPING\nping extra\n\033[31m\n'
seed leading-spaces 0 '   ping\n  put 6b 00\n'
seed no-newline 0 'ping'
seed empty 0 ''
seed over-long 0 "$(rep 131080 a)\\nping\\n"
seed line-max-plus-1 0 "$(rep 131073 a)\\nping\\n"
seed line-max-crlf 0 "$(rep 131072 a)\\r\\nping\\n"
seed over-long-pieces x "$(rep 131080 a)\\nping\\n"
seed long-line-ok 0 "put 6b $(hexn 256) $(rep 30000 ' ')\\n"
seed many-replies 0 "$(rep 200 'help\n')"
seed partial-1 @ 'put 6b31 7631\nget 6b31\nrdv-join g\n'
seed partial-2 H 'txn put 6b31 7631\r\nping\n'
seed partial-3 P 'batch put 6b31 7631;del 6b31\nstatus\n'
seed two-clients 4 'rdv-join g\nrendezvous g 50\n'
seed two-clients-rdv '$' "$(pad16 'rdv-join g1#')$(pad16 'rdv-join g1#')$(pad16 'rendezvous g 9#')$(pad16 'rendezvous g 9#')$(pad16 'rendezvous g1 5#')$(pad16 'rdv-leave g1#')"
seed two-clients-txn '$' "$(pad16 'rdv-join g#')$(pad16 'rdv-join g#')$(pad16 'txn group=g put')$(pad16 'ping#')$(pad16 ' 6b 00#')$(pad16 'rendezvous g 99#')$(pad16 'rendezvous g 99#')$(pad16 'get 6b#')"
HANGUP=$(printf '\260')	# '0' with bit 7: the clients hang up before the deadlines
seed hangup-rendezvous "$HANGUP" 'rdv-join g\nrendezvous g 5000\n'
seed hangup-txn-group "$HANGUP" 'rdv-join g\ntxn group=g put 6b 00\n'
seed hangup-del-ack-all "$HANGUP" 'put 6b 00\ndel 6b ack=all\n'
seed hangup-two-clients "$(printf '\244')" "$(pad16 'rdv-join g#')$(pad16 'rdv-join g#')$(pad16 'rendezvous g 99#')"
echo "fuzz_ctl corpus: $(ls "$D" | wc -l) files in $D"
