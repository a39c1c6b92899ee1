#!/usr/bin/env bash
# bench/run.sh - the project's benchmark: what netsnap and netanalyze cost on
# big tables, side by side with what the kernel and the usual tools cost.
#
# Usage (as root, from anywhere in the repository; by hand, not in CI):
#
#   bench/run.sh [OPTIONS] [SIZE...]   sockets per table (default: 10000 100000
#                                      300000 1000000); RUNS runs of each tool
#   bench/run.sh --smoke               every measurement once at tiny scale
#                                      (a 1000-socket table, 1000 conntrack
#                                      entries, a 4-snapshot fleet; CI, ~30 s)
#
# Options:
#   --smoke            as above; exits non-zero if any step fails, never for
#                      a missed target
#   --skip-1m          leave out sizes of 1,000,000 sockets and more (they are
#                      also skipped, with a note, when MemAvailable is too low)
#   --compress LIST    gzip, zstd or gzip,zstd (default): the archive formats
#                      netsnap is measured with; the first is the primary one
#   --parts LIST       any of sockets,conntrack,analyzer,fleet (default: all);
#                      the analyzer needs the sockets part (it reads the
#                      snapshot taken at the largest size)
#   -h, --help         this text
#
# Environment:
#   RUNS=N             runs of each measurement (default 5; 1 with --smoke)
#   NETSNAP_BIN=PATH   measure this netsnap instead of building ./cmd/netsnap
#   NETANALYZE_BIN=PATH  likewise for netanalyze
#   CONNTRACK=N        conntrack entries for the conntrack row (default 150000;
#                      nf_conntrack_max is global, so keep N within 100k-200k)
#   FLEET=N            snapshots in the fleet (default 50)
#   ADDRS=K            loopback addresses sockgen uses (default 8): each of
#                      its processes listens on 4 ports of each, so K x 4
#                      listening sockets per process (see bench/README.md)
#   KEEP=1             keep the work directory (snapshots, raw copies, runs)
#
# What it measures, each in a network namespace of its own (netsnap-bench-PID-*),
# with wall and CPU time (user+sys) from bench/rusage and peak RSS from GNU
# /usr/bin/time (else bench/rusage, whose floor is ~3 MiB):
#
# 1. sockets: for each SIZE, lab/sockgen fills the namespace's TCP table with
#    ESTABLISHED pairs and TIME_WAIT sockets over 127.0.0.1-ADDRS (40% / 60%
#    below 500,000 sockets; 80% / 20% from 500,000, where TIME_WAIT could not
#    be made fast enough to stay inside its 60 s lifetime), then runs, in
#    rounds (the order rotating each round):
#      cat      cat of the /proc files netsnap samples (socket tables,
#               counters, slabinfo, the conntrack table) > /dev/null
#      netsnap  netsnap --samples 1 -q --compress C -o FILE, one row per
#               format C (and with --sockets proc too, once netsnap has it)
#      ss       ss -tan > /dev/null
#    The oldest TIME_WAIT socket expires 60 s after sockgen began closing
#    (its ready line says when): rounds run only while one more fits before
#    then; the remaining rounds get a fresh namespace and table. A table that
#    shrank by more than 1% during a batch is flagged. Before the first
#    round, the same /proc files are copied aside (tar cannot read /proc)
#    for the archive baseline: tar c of those files | gzip -6 (or zstd -3).
# 2. conntrack: an nftables rule with a `ct state` match in the namespace
#    makes the kernel track its loopback connections; sockgen makes CONNTRACK
#    connections (3/4 held, 1/4 closed: TIME_WAIT entries); rows: cat
#    /proc/net/nf_conntrack against netsnap --only conntrack-table, and the
#    time netsnap's manifest records for that source.
# 3. analyzer: netanalyze report --format json on the largest size's
#    snapshot (each format), against merely decompressing it (gzip -dc /
#    zstd -dc > /dev/null) and against the seed's pipeline
#      awk '{print $(NF)" "$(NF-1)}' | sed 's/:[^ ]*//g' | sort | uniq -c
#    over `ss -tan` text saved from the same table (LC_ALL=C).
# 4. fleet: FLEET snapshots of 10 tables of 6,000-14,000 sockets (5 each,
#    taken as the tables are made; distinct hostnames through UTS namespaces;
#    two of the tables with another tcp_max_tw_buckets), then netanalyze
#    fleet (one job per CPU) against netanalyze fleet -j 1 and against one
#    netanalyze report per snapshot, one after the other.
#
# It prints a table of medians and ratios, then each target with PASS/MISS:
#   netsnap wall <= 0.8x cat at 300,000 sockets; netsnap peak RSS <= 64 MiB at
#   every size; archive <= tar|gzip -6 (tar|zstd -3 for zstd) at every size;
#   netanalyze wall <= 1.5x decompression and <= 0.5x the seed pipeline, peak
#   RSS <= 512 MiB, at the largest size (the targets are set at 1,000,000);
#   fleet CPU/wall >= 1.5 (both cores used).
# A missed target does not change the exit status; a failed step does.
#
# Safety: sysctls (ip_local_port_range, tcp_max_tw_buckets, tcp_rfc1337) and
# the nftables table are set only inside the namespaces it creates; only
# loopback addresses are used; every wait is bounded; on exit, also on
# failure or Ctrl-C, it stops the sockgen it started (by PID) and deletes its
# namespaces. It never touches the main namespace's sysctls or firewall.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
die() {
	echo "run.sh: $*" >&2
	exit 1
}
note() { echo "run.sh: $*" >&2; }

# ---- options

smoke=0
skip1m=0
compress_arg=gzip,zstd
parts_arg=sockets,conntrack,analyzer,fleet
sizes=()
while (($#)); do
	case $1 in
	--smoke) smoke=1 ;;
	--skip-1m) skip1m=1 ;;
	--compress)
		(($# > 1)) || die "--compress needs a value"
		compress_arg=$2
		shift
		;;
	--compress=*) compress_arg=${1#*=} ;;
	--parts)
		(($# > 1)) || die "--parts needs a value"
		parts_arg=$2
		shift
		;;
	--parts=*) parts_arg=${1#*=} ;;
	-h | --help)
		usage
		exit 0
		;;
	-*) die "unknown option $1 (see --help)" ;;
	*[!0-9]* | '') die "bad size '$1' (a number of sockets)" ;;
	*) sizes+=("$1") ;;
	esac
	shift
done

IFS=, read -r -a compress <<<"$compress_arg"
for c in "${compress[@]}"; do
	[[ $c == gzip || $c == zstd ]] || die "--compress: '$c' is neither gzip nor zstd"
done
((${#compress[@]})) || die "--compress: empty"
primary=${compress[0]}
IFS=, read -r -a parts <<<"$parts_arg"
for p in "${parts[@]}"; do
	case $p in sockets | conntrack | analyzer | fleet) ;; *) die "--parts: unknown part '$p'" ;; esac
done
part() { [[ ,$parts_arg, == *,$1,* ]]; }

if ((smoke)); then
	((${#sizes[@]})) || sizes=(1000)
	sizes=("${sizes[0]}")
	RUNS=${RUNS:-1}
	CONNTRACK=${CONNTRACK:-1000}
	FLEET=${FLEET:-4}
fi
((${#sizes[@]})) || sizes=(10000 100000 300000 1000000)
RUNS=${RUNS:-5}
CONNTRACK=${CONNTRACK:-150000}
FLEET=${FLEET:-50}
ADDRS=${ADDRS:-8}
for v in RUNS CONNTRACK FLEET ADDRS; do
	[[ ${!v} =~ ^[0-9]+$ ]] && ((${!v} > 0)) || die "$v must be a positive number"
done
((RUNS <= 50)) || die "RUNS must be at most 50"
((CONNTRACK <= 200000)) || die "CONNTRACK must be at most 200000 (nf_conntrack_max is global)"
((FLEET <= 500)) || die "FLEET must be at most 500"
((ADDRS <= 64)) || die "ADDRS must be at most 64"
if ((skip1m)); then
	kept=()
	for s in "${sizes[@]}"; do ((s < 1000000)) && kept+=("$s"); done
	sizes=("${kept[@]}")
fi
for s in "${sizes[@]}"; do
	((s >= 100 && s <= 2000000)) || die "size $s out of range (100 .. 2000000)"
done

# ---- setup and cleanup

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d /tmp/netsnap-bench.XXXXXX)
mkdir -p "$tmp/runs" "$tmp/keep" "$tmp/raw"
ns=""
sg_pid=""
printed=0

now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}
started_ms=$(now_ms)
build_ms=0

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [[ -n ${cur_pgid:-} ]]; then
		kill -KILL -- -"$cur_pgid" 2>/dev/null || true
	fi
	sg_stop || true
	ns_delete || true
	if ((!printed)) && [[ -s $tmp/results ]]; then
		echo "(incomplete: the run stopped early)"
		print_all || true
	fi
	if [[ ${KEEP:-} == 1 ]]; then
		note "work directory kept: $tmp"
	else
		rm -rf "$tmp"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ $(id -u) == 0 ]] || die "needs root (network namespaces)"
for t in ip ss tar gzip timeout unshare; do
	command -v "$t" >/dev/null || die "$t not found"
done
if [[ ,$compress_arg, == *,zstd,* ]] || part analyzer; then
	command -v zstd >/dev/null || die "zstd not found (apt-get install zstd), or use --compress gzip"
fi
if part conntrack; then
	command -v nft >/dev/null || die "nft not found (apt-get install nftables), or leave conntrack out of --parts"
fi
probe=netsnap-bench-$$-probe
ip netns add "$probe" 2>"$tmp/probe.err" || die "network namespaces unavailable: $(cat "$tmp/probe.err")"
ip netns del "$probe"

note "building tools in $tmp ..."
build_ms=$(now_ms)
(
	cd "$repo"
	CGO_ENABLED=0 go build -o "$tmp/sockgen" ./lab/sockgen
	CGO_ENABLED=0 go build -o "$tmp/rusage" ./bench/rusage
	if [[ -z ${NETSNAP_BIN:-} ]]; then
		CGO_ENABLED=0 go build -trimpath -o "$tmp/netsnap" ./cmd/netsnap
	fi
	if [[ -z ${NETANALYZE_BIN:-} ]]; then
		CGO_ENABLED=0 go build -trimpath -o "$tmp/netanalyze" ./cmd/netanalyze
	fi
) || die "build failed"
build_ms=$(($(now_ms) - build_ms))
netsnap=${NETSNAP_BIN:-$tmp/netsnap}
netanalyze=${NETANALYZE_BIN:-$tmp/netanalyze}
[[ -x $netsnap ]] || die "no netsnap binary at $netsnap"
[[ -x $netanalyze ]] || die "no netanalyze binary at $netanalyze"
has_sockets_flag=0
if "$netsnap" --help 2>&1 | grep -q -- --sockets; then
	has_sockets_flag=1
fi

gnutime=""
if [[ -x /usr/bin/time ]] && /usr/bin/time -f %M -o /dev/null true 2>/dev/null; then
	gnutime=/usr/bin/time
fi

# The /proc files netsnap samples (and the conntrack table, read once):
# what `cat` reads and what the archive baseline is made of.
procfiles=(/proc/uptime /proc/net/netstat /proc/net/snmp /proc/net/sockstat /proc/net/sockstat6
	/proc/sys/net/netfilter/nf_conntrack_count /proc/net/stat/nf_conntrack /proc/sys/fs/file-nr
	/proc/net/softnet_stat /proc/slabinfo /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6
	/proc/net/nf_conntrack)
catfiles=()
for f in "${procfiles[@]}"; do
	[[ -r $f ]] && catfiles+=("$f")
done

ext_of() { if [[ $1 == zstd ]]; then echo tar.zst; else echo tgz; fi; }
decomp_of() { if [[ $1 == zstd ]]; then echo "zstd -dc"; else echo "gzip -dc"; fi; }

# ---- namespaces and sockgen

# ns_create LABEL: a fresh namespace with lo up and the bench's sysctls
# (inside it only).
ns_create() {
	ns=netsnap-bench-$$-$1
	ip netns add "$ns" || die "ip netns add $ns failed"
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sh -c 'echo "1024 65535" > /proc/sys/net/ipv4/ip_local_port_range &&
		echo "$0" > /proc/sys/net/ipv4/tcp_max_tw_buckets &&
		echo 1 > /proc/sys/net/ipv4/tcp_rfc1337' "${2:-2000000}" || die "sysctls in $ns failed"
}

ns_delete() {
	[[ -n $ns ]] || return 0
	ip netns del "$ns" 2>/dev/null || note "warning: could not delete namespace $ns"
	ns=""
}

# nsx CMD...: CMD inside the bench namespace.
nsx() { ip netns exec "$ns" "$@"; }

# sg_start EST TW: sockgen in the namespace, until ready (bounded). Sets
# sg_ready_ms and sg_deadline_ms (when the oldest TIME_WAIT socket is due to
# expire, less a margin; far away without TIME_WAIT).
sg_start() {
	local est=$1 tw=$2 setup=$((60 + ($1 + $2) / 10000))
	: >"$tmp/sg.out"
	: >"$tmp/sg.err"
	# Not through nsx: ip netns exec execs sockgen in place, so $! is its PID.
	ip netns exec "$ns" "$tmp/sockgen" -established "$est" -timewait "$tw" -addrs "$ADDRS" \
		-hold 20m -setup-timeout "${setup}s" >"$tmp/sg.out" 2>"$tmp/sg.err" &
	sg_pid=$!
	local i
	for ((i = 0; i < (setup + 15) * 10; i++)); do
		grep -q '^ready' "$tmp/sg.out" && break
		kill -0 "$sg_pid" 2>/dev/null || {
			sg_pid=""
			die "sockgen exited before ready: $(tail -n5 "$tmp/sg.err")"
		}
		sleep 0.1
	done
	grep -q '^ready' "$tmp/sg.out" || die "sockgen not ready after $((setup + 15)) s: $(tail -n5 "$tmp/sg.err")"
	sg_ready_ms=$(now_ms)
	local age
	age=$(sed -n 's/^ready.* tw_age=\([0-9.]*\).*/\1/p' "$tmp/sg.out")
	if ((tw == 0)); then
		sg_deadline_ms=$((sg_ready_ms + 3600000))
	else
		# No tw_age (an older sockgen): count from... the worst case, 30 s.
		age=${age:-30}
		sg_deadline_ms=$((sg_ready_ms + 57000 - ${age%.*} * 1000 - 1000))
	fi
}

# sg_stop: stop our sockgen by PID (its workers die with it), bounded.
sg_stop() {
	[[ -n $sg_pid ]] || return 0
	kill -TERM "$sg_pid" 2>/dev/null || true
	local i
	for ((i = 0; i < 300; i++)); do
		kill -0 "$sg_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$sg_pid" 2>/dev/null || true
	wait "$sg_pid" 2>/dev/null || true
	sg_pid=""
}

# table_now: ESTABLISHED-ish and TIME_WAIT sockets of the namespace, cheaply
# (sockstat's inuse + tw, v4 and v6).
table_now() {
	nsx awk '$1 == "TCP:" { for (i = 2; i < NF; i += 2) if ($i == "inuse" || $i == "tw") n += $(i + 1) }
		$1 == "TCP6:" { n += $3 } END { print n + 0 }' /proc/net/sockstat /proc/net/sockstat6
}

# kernel_tcp: TCP sockets in the whole kernel, every namespace (slabinfo).
kernel_tcp() {
	awk '$1 == "TCP" || $1 == "TCPv6" || $1 == "tw_sock_TCP" || $1 == "tw_sock_TCPv6" { n += $2 } END { print n + 0 }' /proc/slabinfo
}

# settle BASE: after a namespace is deleted its sockets are freed by a
# kernel worker; wait (at most 60 s) until the kernel holds no more TCP
# sockets than BASE (+1%, +2000): /proc/net/tcp walks every namespace's.
settle() {
	local base=$1 i cur
	for ((i = 0; i < 120; i++)); do
		cur=$(kernel_tcp)
		((cur <= base + base / 100 + 2000)) && return 0
		sleep 0.5
	done
	note "warning: the kernel still holds $cur TCP sockets (was $base before): other namespaces' sockets slow every /proc/net/tcp walk"
}

# host_busy: % of CPU time used by anything in the next 0.5 s (we are idle).
host_busy() {
	local a b
	a=$(awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $5 + $6 }' /proc/stat)
	sleep 0.5
	b=$(awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $5 + $6 }' /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); dt = y[1] - x[1]; di = y[2] - x[2]
		printf "%d\n", (dt > 0 ? 100 * (dt - di) / dt + 0.5 : 0) }'
}

# load_start / load_end: the share of the CPUs used, between the two, by
# anything but the commands measured (other users of the machine, mostly;
# also this script's own few processes), in %.
cpu_busy_ms() { awk -v hz="$(getconf CLK_TCK)" '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; printf "%d\n", (t - $5 - $6) * 1000 / hz }' /proc/stat; }
load_start() {
	load_t0=$(now_ms)
	load_busy0=$(cpu_busy_ms)
	meas_cpu_ms=0
}
load_end() {
	local dt=$(($(now_ms) - load_t0)) db=$(($(cpu_busy_ms) - load_busy0))
	awk -v dt="$dt" -v db="$db" -v m="$meas_cpu_ms" -v n="$(nproc)" 'BEGIN { x = dt > 0 ? 100 * (db - m) / (dt * n) : 0; printf "%d\n", (x < 0 ? 0 : x + 0.5) }'
}
meas_cpu_ms=0

# ---- measuring

# bounded SECONDS CMD...: CMD under timeout(1), which puts itself and all
# that CMD starts in a process group of their own (its PID). Once CMD is
# done, or if this script stops meanwhile (cleanup), whatever is left in
# that group is killed: a measured command whose wrapper died (say, killed
# from outside) cannot outlive the run.
bounded() {
	local limit=$1 rc=0
	shift
	timeout -k 5 "$limit" "$@" &
	cur_pgid=$!
	wait "$cur_pgid" || rc=$?
	kill -KILL -- -"$cur_pgid" 2>/dev/null || true
	cur_pgid=""
	return "$rc"
}
cur_pgid=""

# measure WHERE KEY CMD...: one run of CMD (WHERE: ns = in the bench
# namespace, host = here), stdout discarded; appends "wall_ms cpu_ms
# maxrss_kib" to runs/KEY. Bounded by timeout(1); a failure ends the bench.
measure() {
	local where=$1 key=$2
	shift 2
	local pre=() wrap=()
	[[ $where == ns ]] && pre=(ip netns exec "$ns")
	[[ -n $gnutime ]] && wrap=("$gnutime" -f %M -o "$tmp/time.out")
	rm -f "$tmp/rusage.out" "$tmp/time.out"
	local rc=0
	bounded 600 "${pre[@]}" "$tmp/rusage" -o "$tmp/rusage.out" -- "${wrap[@]}" "$@" >/dev/null 2>"$tmp/cmd.err" || rc=$?
	if ((rc != 0)); then
		cat "$tmp/cmd.err" "$tmp/time.out" >&2 2>/dev/null || true
		die "$key failed (exit status $rc${where:+, in $where}): $*"
	fi
	local rss
	if [[ -n $gnutime ]]; then
		rss=$(tail -n1 "$tmp/time.out")
	else
		rss=$(sed -n 's/.*maxrss_kib=\([0-9]*\).*/\1/p' "$tmp/rusage.out")
	fi
	awk -v rss="$rss" '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		printf "%.3f %.3f %d\n", v["wall_s"] * 1000, v["cpu_s"] * 1000, rss
	}' "$tmp/rusage.out" >>"$tmp/runs/$key"
	meas_cpu_ms=$((meas_cpu_ms + $(tail -n1 "$tmp/runs/$key" | awk '{ printf "%d", $2 }')))
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# med KEY COL: median of column COL of runs/KEY; maxof: its largest.
med() { awk -v c="$2" '{ print $c }' "$tmp/runs/$1" | median; }
maxof() { awk -v c="$2" 'NR == 1 || $c > m { m = $c } END { print m + 0 }' "$tmp/runs/$1"; }
nruns() { wc -l <"$tmp/runs/$1" | tr -d ' '; }

# result SECTION LABEL ROWS TOOL KEY [VS_KEY] [NOTE]: a table row from runs/KEY;
# the ratio column is its wall over VS_KEY's.
result() {
	local sec=$1 label=$2 rows=$3 tool=$4 key=$5 vs=${6:-} extra=${7:-}
	local w c m ratio=-
	w=$(med "$key" 1)
	c=$(med "$key" 2)
	m=$(med "$key" 3)
	if [[ -n $vs ]]; then
		ratio=$(awk -v a="$w" -v b="$(med "$vs" 1)" 'BEGIN { printf(b > 0 ? "%.2fx" : "-", a / b) }')
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$sec" "$label" "$rows" "$tool" "$(nruns "$key")" \
		"$w" "$c" "$m" "$ratio" "$extra" >>"$tmp/results"
}

# target NAME FIGURE LIMIT OK: a target line (OK: 1 pass, 0 miss).
target() {
	local v=MISS
	[[ $4 == 1 ]] && v=PASS
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$v" >>"$tmp/targets"
}

# le A B: 1 if A <= B (floats).
le() { awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b) ? 1 : 0 }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b) ? 1 : 0 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }
# ratio3: for targets, one more digit (0.503x is a MISS of <= 0.5x).
ratio3() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3fx", a / b; else print "-" }'; }
fmt_bytes() { awk -v b="$1" 'BEGIN { if (b >= 1048576) printf "%.1f MiB", b / 1048576; else printf "%.1f KiB", b / 1024 }'; }
sec_note() { printf '%s\t%s\n' "$1" "$2" >>"$tmp/notes"; }

# ---- 1. sockets: collector vs cat vs ss

# mix SIZE: sets est (ESTABLISHED rows, even) and tw for a size.
mix() {
	local size=$1
	if ((size >= 500000)); then
		est=$((size * 8 / 10 / 2 * 2))
	else
		est=$((size * 4 / 10 / 2 * 2))
	fi
	tw=$((size - est))
}

# mem_ok SIZE: 0 if the machine has memory and file handles for the table.
mem_ok() {
	mix "$1"
	local need_kib=$((est * 9 / 2 + tw / 2 + 512 * 1024)) avail
	avail=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
	if ((avail < need_kib * 3 / 2)); then
		skip_reason="needs ~$((need_kib / 1024 / 1024 + 1)) GiB x1.5, MemAvailable $((avail / 1024 / 1024)) GiB"
		return 1
	fi
	local fmax fused
	read -r fused _ fmax </proc/sys/fs/file-nr
	if ((fmax - fused < est + est / 10 + 10000)); then
		skip_reason="needs ~$est file handles, fs.file-max leaves $((fmax - fused))"
		return 1
	fi
}

# tools: what each round of the sockets part runs, by name.
sock_tools=(cat)
for c in "${compress[@]}"; do sock_tools+=("netsnap:$c"); done
((has_sockets_flag)) && sock_tools+=("netsnap-proc:$primary")
sock_tools+=(ss)

tool_label() {
	case $1 in
	cat) echo "cat /proc files" ;;
	ss) echo "ss -tan" ;;
	netsnap:*) echo "netsnap ${1#*:}" ;;
	netsnap-proc:*) echo "netsnap --sockets proc ${1#*:}" ;;
	esac
}

# run_tool SIZE TOOL OUT: one measured run of TOOL (netsnap writes OUT).
run_tool() {
	local size=$1 tool=$2 out=$3 key=s$1-${2/:/-}
	case $tool in
	cat) measure ns "$key" cat "${catfiles[@]}" ;;
	ss) measure ns "$key" ss -tan ;;
	netsnap:*)
		measure ns "$key" "$netsnap" --samples 1 -q --compress "${tool#*:}" -o "$out"
		stat -c %s "$out" >>"$tmp/runs/$key.bytes"
		;;
	netsnap-proc:*)
		measure ns "$key" "$netsnap" --samples 1 -q --sockets proc --compress "${tool#*:}" -o "$out"
		stat -c %s "$out" >>"$tmp/runs/$key.bytes"
		;;
	esac
}

# extras SIZE: before the first round, copy the /proc files aside (the
# archive baseline) and, at the analyzer's size, save `ss -tan` text.
extras() {
	local size=$1 raw=$tmp/raw/$1
	mkdir -p "$raw"
	nsx sh -c 'dir=$0; for f; do d=$dir$f; mkdir -p "${d%/*}" && cat "$f" > "$d" || exit 1; done' "$raw" "${catfiles[@]}" ||
		die "copying the /proc files failed"
	rows=$(cat "$raw/proc/net/tcp" "$raw/proc/net/tcp6" 2>/dev/null | grep -vc '^ *sl ' || true)
	if [[ $size == "$analyzer_size" ]]; then
		nsx sh -c 'ss -tan > "$0"' "$tmp/keep/ss-$size.txt" || die "ss -tan > file failed"
	fi
}

bench_size() {
	local size=$1
	mix "$size"
	local base batch=0 pos=0 total n t0 before after shrunk="" nfor busy load busys="" loads="" nfors=""
	local ntools=${#sock_tools[@]} r i tool out
	local -A dur=()
	total=$((RUNS * ntools))
	base=$(kernel_tcp)
	rows=0
	# pos walks RUNS rounds of the tools, each round in an order rotated by
	# one; a batch (a fresh table) runs them while the next one is expected
	# to end before the oldest TIME_WAIT socket expires.
	while ((pos < total && batch < total)); do
		batch=$((batch + 1))
		ns_create "$size-$batch" $((tw * 2 > 262144 ? tw * 2 : 262144))
		note "size $size: batch $batch: making $est ESTABLISHED rows ($((est / 2)) pairs) and $tw TIME_WAIT ..."
		t0=$(now_ms)
		sg_start "$est" "$tw"
		note "size $size: table ready in $((($(now_ms) - t0) / 1000)) s ($(tail -n1 "$tmp/sg.out"))"
		busy=$(host_busy)
		nfor=$(($(kernel_tcp) - $(table_now)))
		before=$(table_now)
		if ((batch == 1)); then
			extras "$size"
		fi
		load_start
		n=0
		while ((pos < total)); do
			r=$((pos / ntools))
			i=$((pos % ntools))
			tool=${sock_tools[(i + r) % ntools]}
			if ((n > 0 && $(now_ms) + ${dur[$tool]:-0} > sg_deadline_ms)); then
				break
			fi
			out=$tmp/scratch.$(ext_of "${tool#*:}")
			if ((r == 0)) && [[ $tool == netsnap:* ]]; then
				out=$tmp/keep/snap-$size.$(ext_of "${tool#*:}")
			fi
			run_tool "$size" "$tool" "$out"
			dur[$tool]=$(tail -n1 "$tmp/runs/s$size-${tool/:/-}" | awk '{ printf "%d", $1 }')
			n=$((n + 1))
			pos=$((pos + 1))
		done
		load=$(load_end)
		after=$(table_now)
		if ((after < before - before / 100)); then
			shrunk+=" batch $batch: $before -> $after sockets;"
			note "warning: size $size, batch $batch: the table shrank from $before to $after sockets during the runs"
		fi
		busys+="${busys:+/}$busy%"
		loads+="${loads:+/}$load%"
		nfors+="${nfors:+/}$nfor"
		note "size $size: batch $batch: $n run(s), $pos of $total done; CPU busy just before: $busy%, other load during the runs: $load%; sockets of other namespaces: ~$nfor"
		sg_stop
		ns_delete
		settle "$base"
	done
	rm -f "$tmp"/scratch.*

	# The archive baseline, from the copied files (no kernel cost left).
	local c key tarb label
	for c in "${compress[@]}"; do
		if [[ $c == zstd ]]; then
			tarb=$(tar c -C "$tmp/raw/$size" . | zstd -3 -q -c | wc -c)
		else
			tarb=$(tar c -C "$tmp/raw/$size" . | gzip -6 -c | wc -c)
		fi
		echo "$tarb" >"$tmp/runs/s$size-tar-$c"
	done
	rm -rf "${tmp:?}/raw/$size"

	local mixs
	mixs="$((est * 100 / size))% ESTABLISHED ($((est / 2)) pairs), $((tw * 100 / size))% TIME_WAIT"
	for tool in "${sock_tools[@]}"; do
		key=s$size-${tool/:/-}
		label=$(tool_label "$tool")
		local extra=""
		if [[ -s $tmp/runs/$key.bytes ]]; then
			c=${tool#*:}
			local ab tb
			ab=$(median <"$tmp/runs/$key.bytes")
			tb=$(cat "$tmp/runs/s$size-tar-$c")
			extra="archive $(fmt_bytes "$ab"), tar|$([[ $c == zstd ]] && echo "zstd -3" || echo "gzip -6") $(fmt_bytes "$tb"): $(ratio "$ab" "$tb")"
			target "archive <= tar|$([[ $c == zstd ]] && echo "zstd -3" || echo "gzip -6") at $size sockets ($label)" \
				"$(fmt_bytes "$ab")" "$(fmt_bytes "$tb")" "$(le "$ab" "$tb")"
			local mx
			mx=$(maxof "$key" 3)
			target "$label peak RSS at $size sockets (largest of $(nruns "$key"))" "$(mib "$mx")" "64 MiB" "$(le "$mx" 65536)"
		fi
		result sockets "$size" "$rows" "$label" "$key" "s$size-cat" "$extra"
	done
	sec_note sockets "$size: $mixs, over 127.0.0.1-$ADDRS ($((ADDRS * 4)) listeners per sockgen process); $RUNS rounds in $batch batch(es) of a fresh table; CPU busy just before the runs $busys, other load during them $loads; sockets of other namespaces in the kernel ~$nfors${shrunk:+; SHRANK >1%:$shrunk}"
	if ((size == 300000)) || [[ $size == "$wall_target_size" ]]; then
		local w cw lim=0.8
		for tool in "${sock_tools[@]}"; do
			[[ $tool == netsnap:"$primary" || $tool == netsnap-proc:* ]] || continue
			key=s$size-${tool/:/-}
			w=$(med "$key" 1)
			cw=$(med "s$size-cat" 1)
			target "$(tool_label "$tool") wall / cat wall at $size sockets$([[ $size != 300000 ]] && echo " (the target is at 300000)")" \
				"$(ratio3 "$w" "$cw")" "<= ${lim}x" "$(awk -v w="$w" -v c="$cw" -v l="$lim" 'BEGIN { print (w <= l * c) ? 1 : 0 }')"
		done
	fi
}

# ---- 2. conntrack

bench_conntrack() {
	local want=$1 maxc maincount
	maxc=$(cat /proc/sys/net/netfilter/nf_conntrack_max 2>/dev/null || echo 0)
	maincount=$(cat /proc/sys/net/netfilter/nf_conntrack_count 2>/dev/null || echo 0)
	if ((maxc > 0 && want + maincount > maxc * 8 / 10)); then
		want=$((maxc * 8 / 10 - maincount))
		note "conntrack: nf_conntrack_max is $maxc (global), $maincount in use here: making $want entries"
		((want >= 100)) || die "conntrack: no room under nf_conntrack_max"
	fi
	local pairs=$((want * 3 / 4)) closed
	closed=$((want - pairs))
	ns_create ct
	nsx nft -f - <<'EOF' || die "nft in $ns failed"
table inet netsnap_bench {
	chain input {
		type filter hook input priority filter; policy accept;
		ct state established,related accept
	}
}
EOF
	note "conntrack: making $pairs held and $closed closed connections with the namespace's connections tracked ..."
	sg_start $((pairs * 2)) "$closed"
	local i count=0
	for ((i = 0; i < 300; i++)); do
		count=$(nsx cat /proc/sys/net/netfilter/nf_conntrack_count)
		((count >= want - want / 100)) && break
		sleep 0.1
	done
	((count >= want - want / 100)) || die "conntrack: $count entries, wanted $want (is the nft rule tracking?)"
	local r ext dec
	ext=$(ext_of "$primary")
	dec=$(decomp_of "$primary")
	load_start
	for ((r = 0; r < RUNS; r++)); do
		measure ns ct-cat cat /proc/net/nf_conntrack
		measure ns ct-netsnap "$netsnap" --samples 1 -q --compress "$primary" --only conntrack-table -o "$tmp/ct.$ext"
		local d
		d=$($dec "$tmp/ct.$ext" | tar xO manifest.json | tr -d ' \n' |
			grep -o '"name":"conntrack-table"[^}]*' | sed -n 's/.*"duration_ms":\([0-9.]*\).*/\1/p' | head -n1 || true)
		[[ -n $d ]] || die "conntrack: no conntrack-table duration in netsnap's manifest"
		echo "$d" >>"$tmp/runs/ct-manifest"
	done
	local after rows load
	load=$(load_end)
	after=$(nsx cat /proc/sys/net/netfilter/nf_conntrack_count)
	rows=$(nsx sh -c 'wc -l < /proc/net/nf_conntrack')
	local tb
	tb=$($dec "$tmp/ct.$ext" | tar xO proc/net/nf_conntrack | wc -c)
	sg_stop
	ns_delete
	result conntrack "$count entries" "$rows" "cat /proc/net/nf_conntrack" ct-cat ct-cat
	result conntrack "$count entries" "$rows" "netsnap --only conntrack-table" ct-netsnap ct-cat "table stored: $(fmt_bytes "$tb")"
	local md cw
	md=$(median <"$tmp/runs/ct-manifest")
	cw=$(med ct-cat 1)
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' conntrack "$count entries" "$rows" "  netsnap's manifest: conntrack-table" \
		"$(wc -l <"$tmp/runs/ct-manifest" | tr -d ' ')" "$md" - - "$(ratio "$md" "$cw")" "time netsnap spent on that source" >>"$tmp/results"
	sec_note conntrack "$pairs ESTABLISHED + $closed TIME_WAIT entries (nft 'ct state' rule in the namespace); $after entries after the runs; other load during the runs $load%; no target (the table is copied verbatim: ~1x cat is the floor)"
}

# ---- 3. analyzer

bench_analyzer() {
	local size=$1 sstxt=$tmp/keep/ss-$1.txt c snap dec r
	[[ -s $sstxt ]] || die "analyzer: no ss -tan text for size $size"
	local ssrows seed
	ssrows=$(($(wc -l <"$sstxt") - 1))
	# The seed's question (connections by peer and local address) as the
	# seed wrote it, over the saved text ($0).
	# shellcheck disable=SC2016 # expanded by sh -c and awk, not here
	seed='awk '\''{print $(NF)" "$(NF-1)}'\'' "$0" | sed '\''s/:[^ ]*//g'\'' | sort | uniq -c'
	load_start
	for ((r = 0; r < RUNS; r++)); do
		for c in "${compress[@]}"; do
			snap=$tmp/keep/snap-$size.$(ext_of "$c")
			[[ -s $snap ]] || die "analyzer: no $c snapshot for size $size"
			dec=$(decomp_of "$c")
			# shellcheck disable=SC2086 # $dec is a command and its flag
			measure host "an-dec-$c" $dec "$snap"
			measure host "an-report-$c" "$netanalyze" report "$snap" --format json
			# The analyzer's own floor: open the archive (Go decompression,
			# tar, the spool) and parse nothing.
			measure host "an-inspect-$c" "$netanalyze" inspect "$snap"
		done
		measure host an-seed env LC_ALL=C sh -c "$seed" "$sstxt"
	done
	local load
	load=$(load_end)
	# The report must be a report.
	snap=$tmp/keep/snap-$size.$(ext_of "$primary")
	"$netanalyze" report "$snap" --format json >"$tmp/report.json" || die "analyzer: netanalyze report failed"
	grep -q '"findings"' "$tmp/report.json" || die "analyzer: the JSON report has no findings array"
	# Its socket count against the ss -tan text's rows (taken seconds apart).
	local counted check
	counted=$(awk '/"tcp": \{/ { f = 1; next } f && /"total":/ { gsub(/[^0-9]/, ""); print; exit }' "$tmp/report.json")
	check="netanalyze counted ${counted:-?} TCP sockets in the $primary snapshot, the ss -tan text has $ssrows rows"
	if [[ -z $counted ]] || ((counted < ssrows - ssrows / 100 || counted > ssrows + ssrows / 100)); then
		check+=" (MORE THAN 1% APART)"
		note "warning: $check"
	fi
	local label="$size sockets"
	result analyzer "$label" "$ssrows" "seed: awk|sed|sort|uniq -c on ss -tan text" an-seed an-seed "$(fmt_bytes "$(stat -c %s "$sstxt")") of text"
	for c in "${compress[@]}"; do
		snap=$tmp/keep/snap-$size.$(ext_of "$c")
		result analyzer "$label" "$ssrows" "$(decomp_of "$c") snapshot > /dev/null" "an-dec-$c" an-seed "$(fmt_bytes "$(stat -c %s "$snap")") archive"
		result analyzer "$label" "$ssrows" "netanalyze inspect ($c: read only, no parsing)" "an-inspect-$c" an-seed "$(ratio "$(med "an-inspect-$c" 1)" "$(med "an-dec-$c" 1)") of decompression"
		result analyzer "$label" "$ssrows" "netanalyze report -f json ($c)" "an-report-$c" an-seed "$(ratio "$(med "an-report-$c" 1)" "$(med "an-dec-$c" 1)") of decompression"
		local w d s mx
		w=$(med "an-report-$c" 1)
		d=$(med "an-dec-$c" 1)
		s=$(med an-seed 1)
		mx=$(maxof "an-report-$c" 3)
		target "netanalyze wall / $(decomp_of "$c") wall at $size sockets ($c)" "$(ratio3 "$w" "$d")" "<= 1.5x" \
			"$(awk -v w="$w" -v d="$d" 'BEGIN { print (w <= 1.5 * d) ? 1 : 0 }')"
		target "netanalyze wall / seed pipeline wall at $size sockets ($c)" "$(ratio3 "$w" "$s")" "<= 0.5x" \
			"$(awk -v w="$w" -v s="$s" 'BEGIN { print (w <= 0.5 * s) ? 1 : 0 }')"
		target "netanalyze peak RSS at $size sockets ($c, largest of $(nruns "an-report-$c"))" "$(mib "$mx")" "512 MiB" "$(le "$mx" 524288)"
	done
	sec_note analyzer "$check"
	sec_note analyzer "snapshot and ss -tan text of the same table (the first round at $size sockets); ratio column: wall over the seed pipeline's; seed under LC_ALL=C; other load during the runs $load%$([[ $size != 1000000 ]] && echo "; the targets are set at 1000000 sockets")"
}

# ---- 4. fleet

bench_fleet() {
	local total=$1 tables=10 dir=$tmp/fleet i k idx=0
	((smoke)) && tables=2
	((tables > total)) && tables=$total
	mkdir -p "$dir"
	local per=$(((total + tables - 1) / tables)) size e t buckets
	note "fleet: $total snapshots of $tables tables ..."
	for ((i = 0; i < tables && idx < total; i++)); do
		if ((smoke)); then
			size=$((500 + i * 500))
		else
			size=$((6000 + i * 8000 / (tables > 1 ? tables - 1 : 1)))
		fi
		e=$((size * 4 / 10 / 2 * 2))
		t=$((size - e))
		buckets=262144
		((i % 5 == 3)) && buckets=131072 # two hosts differ from the majority
		ns_create "fleet-$i" "$buckets"
		sg_start "$e" "$t"
		for ((k = 0; k < per && idx < total; k++)); do
			idx=$((idx + 1))
			local host
			host=$(printf 'bench-host-%03d' "$idx")
			# A UTS namespace of its own: the hostname changes only there.
			bounded 120 ip netns exec "$ns" unshare --uts sh -c 'hostname "$0" && exec "$1" --samples 1 -q --compress "$2" -o "$3"' \
				"$host" "$netsnap" "$primary" "$dir/$host.$(ext_of "$primary")" || die "fleet: netsnap for $host failed"
		done
		sg_stop
		ns_delete
	done
	local r load
	load_start
	for ((r = 0; r < RUNS; r++)); do
		measure host fleet-jn "$netanalyze" fleet "$dir" --format json
		measure host fleet-j1 "$netanalyze" fleet "$dir" --format json -j 1
		measure host fleet-serial sh -c 'for f in "$1"/*; do "$0" report "$f" --format json > /dev/null || exit 1; done' "$netanalyze" "$dir"
	done
	load=$(load_end)
	"$netanalyze" fleet "$dir" --format json >"$tmp/fleet.json" || die "fleet: netanalyze fleet failed"
	local hosts
	hosts=$(grep -o '"hostname": *"bench-host-[0-9]*"' "$tmp/fleet.json" | sort -u | wc -l)
	((hosts == total)) || die "fleet: $hosts distinct hostnames in the fleet report, want $total"
	local label="$total snapshots"
	result fleet "$label" - "netanalyze report x$total, one after the other" fleet-serial fleet-serial
	result fleet "$label" - "netanalyze fleet -j 1" fleet-j1 fleet-serial
	result fleet "$label" - "netanalyze fleet (-j $(nproc))" fleet-jn fleet-serial \
		"CPU/wall $(awk -v c="$(med fleet-jn 2)" -v w="$(med fleet-jn 1)" 'BEGIN { printf "%.2f", c / w }'), vs -j 1: $(ratio "$(med fleet-jn 1)" "$(med fleet-j1 1)")"
	local cw
	cw=$(awk -v c="$(med fleet-jn 2)" -v w="$(med fleet-jn 1)" 'BEGIN { printf "%.3f", c / w }')
	target "fleet uses both cores: CPU time / wall time of netanalyze fleet on $total snapshots" "$cw" ">= 1.5" "$(ge "$cw" 1.5)"
	sec_note fleet "$tables tables of $([[ $smoke == 1 ]] && echo "500-$((500 * tables))" || echo "6000-14000") sockets, $per snapshots each, $total distinct hostnames; other load during the runs $load%; ratio column: wall over the one-after-the-other reports"
}

# ---- printing

print_all() {
	local sec title
	echo
	echo "netsnap bench $(date -u +%FT%TZ): $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)"
	echo "$("$netsnap" --version 2>/dev/null | head -n1) (--sockets flag: $([[ $has_sockets_flag == 1 ]] && echo yes || echo "not yet")), RUNS=$RUNS, formats ${compress[*]}; peak RSS from ${gnutime:-bench/rusage}"
	for sec in sockets conntrack analyzer fleet; do
		grep -q "^$sec	" "$tmp/results" 2>/dev/null || continue
		case $sec in
		sockets) title="Collector vs the kernel floor (ratio: wall over cat's)" ;;
		conntrack) title="Conntrack table (ratio: wall over cat's)" ;;
		analyzer) title="Analyzer vs decompression and the seed's pipeline (ratio: wall over the seed's)" ;;
		fleet) title="Fleet (ratio: wall over one report per snapshot, one after the other)" ;;
		esac
		echo
		echo "$title; medians of n runs, wall and CPU in ms, peak RSS in MiB"
		awk -F'\t' -v s="$sec" 'BEGIN { printf "%-16s %9s  %-45s %3s %10s %10s %8s %8s  %s\n", "size", "rows", "tool", "n", "wall_ms", "cpu_ms", "rss_MiB", "ratio", "" }
			$1 == s { printf "%-16s %9s  %-45s %3s %10.1f %10s %8s %8s  %s\n", ($2 == last ? "" : $2), ($2 == last ? "" : $3), $4, $5, $6,
				($7 == "-" ? "-" : sprintf("%.1f", $7)), ($8 == "-" ? "-" : sprintf("%.1f", $8 / 1024)), $9, $10; last = $2 }' "$tmp/results"
		awk -F'\t' -v s="$sec" '$1 == s { print "  " $2 }' "$tmp/notes" 2>/dev/null
	done
	if [[ -s $tmp/targets ]]; then
		echo
		echo "Targets"
		awk -F'\t' '{ printf "%-92s %12s  %-9s %s\n", $1, $2, $3, $4 }' "$tmp/targets"
		echo "($(grep -c 'PASS$' "$tmp/targets") PASS, $(grep -c 'MISS$' "$tmp/targets") MISS$(((smoke)) && echo "; smoke run: tiny sizes, the targets are for the full run"))"
	fi
	echo "(run time $((($(now_ms) - started_ms) / 1000)) s, of which building $((build_ms / 1000)) s)"
	printed=1
}

# ---- main

: >"$tmp/results"
: >"$tmp/targets"
: >"$tmp/notes"
measured=()
skipped=()
if part sockets; then
	for s in "${sizes[@]}"; do
		if mem_ok "$s"; then
			measured+=("$s")
		else
			skipped+=("$s")
			sec_note sockets "$s: SKIPPED, $skip_reason"
			note "skipping size $s: $skip_reason"
		fi
	done
fi
analyzer_size=""
wall_target_size=""
if ((${#measured[@]})); then
	analyzer_size=$(printf '%s\n' "${measured[@]}" | sort -n | tail -n1)
	# The wall target is set at 300,000; a run without that size shows it at
	# its largest size below 500,000 (the smoke size, say).
	if ! printf '%s\n' "${measured[@]}" | grep -qx 300000; then
		wall_target_size=$(printf '%s\n' "${measured[@]}" | awk '$1 < 500000' | sort -n | tail -n1)
	fi
fi
part analyzer || analyzer_size=""

for s in "${measured[@]}"; do
	bench_size "$s"
done
if part conntrack; then
	if [[ -r /proc/sys/net/netfilter/nf_conntrack_max ]]; then
		bench_conntrack "$CONNTRACK"
	else
		sec_note conntrack "SKIPPED: nf_conntrack is not loaded (this bench does not load it)"
	fi
fi
if part analyzer; then
	if [[ -n $analyzer_size ]]; then
		bench_analyzer "$analyzer_size"
	else
		sec_note analyzer "SKIPPED: needs the sockets part (the snapshot of its largest size)"
		printf 'analyzer\t-\t-\t-\t0\t0\t0\t0\t-\tskipped\n' >>"$tmp/results"
	fi
fi
if part fleet; then
	bench_fleet "$FLEET"
fi
print_all
