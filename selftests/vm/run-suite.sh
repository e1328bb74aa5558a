#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-suite.sh [options]
#
# Run every test of selftests/TESTS on every kernel, several VMs at a time,
# and report one KTAP-style stream. A VM runs a batch of tests one after the
# other, each with its own insmod, rmmod and kernel-log check: on the debug
# kernel as many batches as VMs run at a time (or batches of CKA_DEBUG_BATCH
# tests), on the Debian kernels batches of CKA_BATCH tests (default 4):
#
#   ok 3 [6.12.117+deb12-amd64] ctx_test: ctx.new_defaults
#   not ok 4 [6.1.0-56-amd64] ctx_cli.sh: dmesg: kernel WARNING: ...
#   ...
#   12 passed, 1 failed, 2 skipped          <- always the last line
#
# Options:
#   --kernels "6.12 6.1"   kernel names (see scripts/kernels.sh), or "debug"
#   --tests "A B"          only TESTS lines whose command, first word or its
#                          basename equals one of these; an unknown entry that
#                          names an existing file runs with the default timeout
#   --tests-file FILE      default selftests/TESTS
#   --host FILE            prepend host-side results (lines "ok DESC" /
#                          "not ok DESC" / "# diag"), counted in the totals
#   --counts FILE          write "PASSED FAILED SKIPPED" there at the end
#   --jobs N               VMs in parallel (default: CKA_JOBS, else nproc,
#                          as a TCG guest runs on one host thread)
#   --keep                 keep every VM's results directory, not only failures
#
# A (kernel, test) fails when: a result line is "not ok"; the plan (1..N) is
# missing or fewer than N results were printed (each missing one counts);
# the test exits non-zero (other than 4 = skip) without a "not ok" line; the
# test times out in the guest or the whole VM times out; insmod or rmmod of
# the module fails; the guest kernel log shows a warning, BUG, oops, KASAN,
# KFENCE, UBSAN, slab corruption, hung task, lockdep or kmemleak report
# (selftests/vm/scan-dmesg.sh); the debug kernel's kmemleak lists objects
# (scanned once per batch, after its last test's rmmod: a report fails the
# batch as a whole). A test that kills its VM fails; the tests after it in
# its batch run again, each in a fresh VM.
# Results: build/results/<run>/<release>/<NN>-<test>/, or
# .../<release>/batch-<NN>/<NN>-<test>/ for a batch (kept on failure).
# Exit status 0 iff nothing failed and at least one test passed.
set -uo pipefail
# shellcheck source=selftests/vm/common.sh
. "$(dirname "$0")/common.sh"

kernels="6.12 6.1"
filter=
tests_file=$CKA_SRC/selftests/TESTS
host_file=
counts_file=
ncpu=$(nproc)
jobs=${CKA_JOBS:-$ncpu}
keep=${CKA_KEEP:-0}
while [ $# -gt 0 ]; do
	case $1 in
	--kernels) kernels=$2; shift 2 ;;
	--tests) filter=$2; shift 2 ;;
	--tests-file) tests_file=$2; shift 2 ;;
	--host) host_file=$2; shift 2 ;;
	--counts) counts_file=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	*) cka_die "unknown argument $1 (see the header of $0)" ;;
	esac
done
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1

n=0 passed=0 failed=0 skipped=0

# emit STATUS TEXT  (STATUS: ok, fail, skip) - numbered result line
emit() {
	n=$((n + 1))
	case $1 in
	ok) passed=$((passed + 1)); echo "ok $n $2" ;;
	skip) skipped=$((skipped + 1)); echo "ok $n $2" ;;
	*) failed=$((failed + 1)); echo "not ok $n $2" ;;
	esac
}

# diag FILE LINES TITLE  - tail of a file as "# " lines
diag() {
	[ -s "$1" ] || return 0
	echo "# ---- $3: last $2 lines of $1 ----"
	tail -n "$2" "$1" | tr -d '\r' | sed 's/^/# /'
}

finish() {
	echo "1..$n"
	[ -n "$counts_file" ] && echo "$passed $failed $skipped" >"$counts_file"
	if [ "$skipped" -gt 0 ]; then
		echo "$passed passed, $failed failed, $skipped skipped"
	else
		echo "$passed passed, $failed failed"
	fi
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
	exit $?
}

echo "TAP version 13"

# ---- host-side results ------------------------------------------------------
if [ -n "$host_file" ]; then
	if [ ! -f "$host_file" ]; then
		emit fail "host: results file $host_file missing"
	else
		while IFS= read -r line; do
			case $line in
			"not ok "*) emit fail "${line#not ok }" ;;
			"ok "*"# SKIP"*) emit skip "${line#ok }" ;;
			"ok "*) emit ok "${line#ok }" ;;
			*) echo "$line" ;;
			esac
		done <"$host_file"
	fi
fi

# ---- the test list ----------------------------------------------------------
# TESTS format: one test per line,
# "[timeout=SECONDS] [cost=SECONDS] [only=KERNEL] [nodebug] [nomodule] COMMAND [ARGS...]",
# words split on whitespace (no quoting); blank lines and lines starting
# with '#' are ignored. See the header of selftests/TESTS.
t_cmd=() t_timeout=() t_cost=() t_name=() t_skipped=() t_nomod=() t_only=()
add_test() {	# add_test TIMEOUT COST NOMODULE ONLY WORDS...
	local to=$1 cost=$2 nomod=$3 only=$4
	shift 4
	local name
	name="$(basename "$1")${2:+ ${*:2}}"
	t_timeout+=("$to")
	t_cost+=("${cost:-$to}")
	t_nomod+=("$nomod")
	t_only+=("$only")
	t_cmd+=("$*")
	t_name+=("$name")
}
selected() {	# selected FIRSTWORD WHOLE-COMMAND
	[ -z "$filter" ] && return 0
	local f
	for f in $filter; do
		[ "$f" = "$1" ] || [ "$f" = "$(basename "$1")" ] || [ "$f" = "$2" ] && return 0
	done
	return 1
}
if [ -f "$tests_file" ]; then
	while read -r -a words; do
		[ ${#words[@]} -gt 0 ] || continue
		case ${words[0]} in \#*) continue ;; esac
		to=300
		if [[ ${words[0]} == timeout=* ]]; then
			to=${words[0]#timeout=}
			words=("${words[@]:1}")
			[[ $to =~ ^[0-9]+$ ]] || { emit fail "TESTS: bad timeout in '${words[*]}'"; continue; }
		fi
		nodebug=0 nomodule=0 cost= only=
		while :; do
			case ${words[0]:-} in
			cost=*)
				cost=${words[0]#cost=}
				[[ $cost =~ ^[0-9]+$ ]] || { emit fail "TESTS: bad cost in '${words[*]}'"; cost=; }
				;;
			only=*) only=${words[0]#only=} ;;
			nodebug) nodebug=1 ;;
			nomodule) nomodule=1 ;;
			*) break ;;
			esac
			words=("${words[@]:1}")
		done
		[ ${#words[@]} -gt 0 ] || continue
		selected "${words[0]}" "${words[*]}" || continue
		if [ $nodebug = 1 ] && [ "$kernels" = debug ]; then
			emit skip "[debug] $(basename "${words[0]}") # SKIP not in the debug lane (nodebug in TESTS)"
			t_skipped+=("${words[*]}")
			continue
		fi
		add_test "$to" "$cost" "$nomodule" "$only" "${words[@]}"
	done <"$tests_file"
elif [ -z "$filter" ]; then
	emit fail "test list $tests_file missing"
fi
for f in $filter; do	# ad-hoc tests named on the command line
	found=0
	for c in "${t_cmd[@]}" "${t_skipped[@]}"; do
		set -- $c
		{ [ "$f" = "$1" ] || [ "$f" = "$(basename "$1")" ] || [ "$f" = "$c" ]; } && found=1
	done
	if [ $found = 0 ]; then
		if [ -f "$CKA_SRC/$f" ] || [ -f "$f" ]; then
			add_test 300 "" 0 "" "$f"
		else
			emit fail "TESTS: '$f' matches no test and no file"
		fi
	fi
done
[ ${#t_cmd[@]} -gt 0 ] || { echo "# no tests selected"; finish; }

# ---- kernels ----------------------------------------------------------------
knames=()
for k in $kernels; do
	if kn=$(cka_resolve_kernel "$k"); then
		knames+=("$kn")
	else
		emit fail "kernel '$k' unavailable"
	fi
done
[ ${#knames[@]} -gt 0 ] || finish

accel=$(cka_accel)
for kn in "${knames[@]}"; do	# build the initramfs images before going parallel
	"$CKA_SRC/selftests/vm/mkinitramfs.sh" "$kn" >/dev/null ||
		emit fail "[$kn] initramfs could not be built"
done

run_id=$(date +%Y%m%d-%H%M%S)-$$
results=$CKA_BUILD/results/$run_id
mkdir -p "$results"
ln -sfn "$run_id" "$CKA_BUILD/results/latest"
echo "# $(date -u +%FT%TZ) ${#t_cmd[@]} test(s) x ${#knames[@]} kernel(s), accel $accel, $jobs VM(s) at a time"
echo "# results: $results"

# ---- guests: one per (kernel, batch of tests) --------------------------------
# A guest boots, then runs its tests one after the other, each with its own
# insmod, rmmod and kernel-log check (selftests/vm/guest-run.sh). On the
# Debian kernels a batch is up to CKA_BATCH tests (default 4): a guest boots
# in a few seconds, but under TCG on 2 cores a boot and power-off still
# costs 10-12 s of a CPU, a fifth of those kernels' time when every test
# had a VM of its own. Their tests are spread by cost over the batches as
# below. The debug kernel takes about a minute to boot and 40 s per
# kmemleak scan (the first takes the baseline, the last scans for the whole
# batch), so its tests are spread over as many guests as run at a time
# (--jobs), or over batches of CKA_DEBUG_BATCH tests: each test goes, most
# costly first, to the batch with the least cost so far. A test's cost is
# its cost= in TESTS (seconds measured on the debug kernel), else its
# timeout. A test that kills its guest fails; the tests after it in its
# batch are run again in a fresh guest.
b_kname=() b_rel=() b_tests=() b_dir=() b_wall=() b_retry=()
# tmo BATCH TEST: the test's timeout in the guest (scaled on the debug kernel)
tmo() {
	if [ "${b_kname[$1]}" = debug ]; then
		echo $((t_timeout[$2] * ${CKA_DEBUG_TIMEOUT_SCALE:-3}))
	else
		echo "${t_timeout[$2]}"
	fi
}
declare -A t_dir=()	# "BATCH:TEST" -> results directory of the test
nb=0
add_batch() {	# add_batch KNAME REL RETRY TESTIDX...
	local kn=$1 rel=$2 retry=$3
	shift 3
	local margin=${CKA_BOOT_MARGIN:-60} per=30 scale=1 wall t safe bd
	if [ "$kn" = debug ]; then
		margin=${CKA_BOOT_MARGIN:-240} per=150 scale=${CKA_DEBUG_TIMEOUT_SCALE:-3}
	fi
	wall=$margin
	for t in "$@"; do wall=$((wall + t_timeout[t] * scale + per)); done
	if [ $# = 1 ]; then
		safe=$(printf '%s' "${t_name[$1]}" | tr -c 'A-Za-z0-9._-' _)
		bd=$results/$rel/$(printf %02d $(($1 + 1)))-$safe
		[ "$retry" = 1 ] && bd=$bd-again
		t_dir[$nb:$1]=$bd
	else
		bd=$results/$rel/batch-$(printf %02d $nb)
		for t in "$@"; do
			safe=$(printf '%s' "${t_name[$t]}" | tr -c 'A-Za-z0-9._-' _)
			t_dir[$nb:$t]=$bd/$(printf %02d $((t + 1)))-$safe
		done
	fi
	b_kname+=("$kn") b_rel+=("$rel") b_tests+=("$*") b_dir+=("$bd")
	b_wall+=("$wall") b_retry+=("$retry")
	nb=$((nb + 1))
}
# only_on NAME KNAME: is KNAME (resolved) the kernel NAME names?
declare -A only_kn=()
only_on() {
	[ "$1" = "$2" ] && return 0
	[ -n "${only_kn[$1]+set}" ] || only_kn[$1]=$(cka_resolve_kernel "$1" 2>/dev/null)
	[ "${only_kn[$1]}" = "$2" ]
}
for kn in "${knames[@]}"; do
	rel=$(cka_kernel_release "$kn")
	nt=0
	for i in "${!t_cmd[@]}"; do
		[ "${t_nomod[$i]}" = 1 ] && continue
		[ -z "${t_only[$i]}" ] || only_on "${t_only[$i]}" "$kn" || continue
		nt=$((nt + 1))
	done
	size=${CKA_BATCH:-4}
	if [ "$kn" = debug ]; then
		size=${CKA_DEBUG_BATCH:-$(((nt + jobs - 1) / jobs))}
	fi
	[ "$size" -ge 1 ] 2>/dev/null || size=1
	k=$(((nt + size - 1) / size))
	# batches of several tests: a multiple of the guests run at a time,
	# so that no guest slot idles through the last batch
	if [ "$size" -gt 1 ] && [ "$k" -gt 1 ]; then
		k=$(((k + jobs - 1) / jobs * jobs))
		size=$(((nt + k - 1) / k))
		# the costs decide the spread; size only bounds a batch
		[ "$kn" != debug ] || [ -n "${CKA_DEBUG_BATCH:-}" ] || size=$nt
	fi
	# most costly first onto the batch with the least cost so far
	bw=() bl=()
	for ((j = 0; j < k; j++)); do bw[j]=0 bl[j]=""; done
	while read -r _ i; do
		if [ -n "${t_only[$i]}" ] && ! only_on "${t_only[$i]}" "$kn"; then
			emit skip "[$rel] ${t_name[$i]} # SKIP run on kernel ${t_only[$i]} only (only= in TESTS)"
			continue
		fi
		# a test without the module preloaded gets a guest of its own
		if [ "${t_nomod[$i]}" = 1 ]; then
			add_batch "$kn" "$rel" 0 "$i"
			continue
		fi
		best=-1
		for ((j = 0; j < k; j++)); do
			set -- ${bl[j]}
			[ $# -lt "$size" ] || continue
			if [ $best -lt 0 ] || [ "${bw[j]}" -lt "${bw[best]}" ]; then best=$j; fi
		done
		bw[best]=$((bw[best] + t_cost[i]))
		bl[best]="${bl[best]} $i"
	done < <(for i in "${!t_cmd[@]}"; do echo "${t_cost[$i]} $i"; done | sort -k1,1nr -k2,2n)
	for ((j = 0; j < k; j++)); do
		[ -n "${bl[j]}" ] || continue
		# shellcheck disable=SC2046
		add_batch "$kn" "$rel" 0 $(printf '%s\n' ${bl[j]} | sort -n)
	done
done

start_vm() {	# start_vm BATCH  (runs in the background)
	local b=$1 kml=0 t specs=() sub
	[ "${b_kname[$b]}" = debug ] && kml=1
	mkdir -p "${b_dir[$b]}"
	set -- ${b_tests[$b]}
	if [ $# = 1 ]; then
		# shellcheck disable=SC2086
		CKA_NO_MODULE=${t_nomod[$1]} cka_write_job "${b_dir[$b]}" "${b_kname[$b]}" "$(tmo "$b" "$1")" $kml 0 -- ${t_cmd[$1]}
	else
		for t in "$@"; do
			sub=$(basename "${t_dir[$b:$t]}")
			specs+=("$sub"$'\t'"$(tmo "$b" "$t")"$'\t'"${t_cmd[$t]}")
		done
		cka_write_batch_job "${b_dir[$b]}" "${b_kname[$b]}" $kml "${specs[@]}"
	fi
	cka_boot "${b_kname[$b]}" "${b_dir[$b]}" "$accel" "${b_wall[$b]}"
}

# ktap_parse FILE -> lines "STATUS<TAB>TEXT" for each top-level result, then
# "plan<TAB>N" (N empty if none) and "count<TAB>M".
ktap_parse() {
	awk '
	/^1\.\.[0-9]+/ && plan == "" {
		plan = substr($1, 4)
		if (plan == 0 && $0 ~ /#[ \t]*[Ss][Kk][Ii][Pp]/) { skipall = $0 }
		next
	}
	/^(not )?ok [0-9]+/ || /^(not )?ok( |$)/ {
		count++
		line = $0
		bad = (line ~ /^not ok/)
		sub(/^(not )?ok ?[0-9]* ?(- )?/, "", line)
		st = bad ? "fail" : "ok"
		if (line ~ /#[ \t]*[Ss][Kk][Ii][Pp]/) st = "skip"
		else if (bad && line ~ /#[ \t]*TODO/) st = "ok"
		printf "%s\t%s\n", st, line
		next
	}
	/^Bail out!/ { printf "fail\t%s\n", $0 }
	END {
		if (skipall != "") printf "skipall\t%s\n", skipall
		printf "plan\t%s\ncount\t%d\n", plan, count
	}' "$1"
}

# report_test BATCH TEST DIED  (in the parent, after the guest is gone)
# DIED=1: this test was running when its guest died or was killed.
report_test() {
	local b=$1 t=$2 died=$3 d=${t_dir[$1:$2]} bd=${b_dir[$1]}
	local pre="[${b_rel[$1]}] ${t_name[$t]}"
	local f0=$failed rc="" plan="" count=0 nfail=0 st text
	local show_out=0 show_kernel=0

	[ -f "$d/rc" ] && rc=$(cat "$d/rc")
	if [ "$died" = 1 ] && [ -f "$bd/vm-timeout" ]; then
		emit fail "$pre: VM timed out after $(cat "$bd/vm-timeout") s (killed)"
		show_kernel=1
	elif [ ! -f "$d/done" ]; then
		if [ -n "$rc" ]; then
			emit fail "$pre: guest died after the test (exit status $rc)"
		else
			emit fail "$pre: guest died before the test finished"
		fi
		show_kernel=1
	fi
	if [ -f "$d/insmod-rc" ] && [ "$(cat "$d/insmod-rc")" != 0 ]; then
		emit fail "$pre: insmod failed: $(tr '\n' ' ' <"$d/insmod.log" | cut -c1-200)"
		show_kernel=1
	fi

	if [ -f "$d/output" ]; then
		while IFS=$'\t' read -r st text; do
			case $st in
			plan) plan=$text ;;
			count) count=$text ;;
			skipall) emit skip "$pre # ${text#*# }" ;;
			fail) emit fail "$pre: $text"; nfail=$((nfail + 1)); show_out=1 ;;
			ok | skip) emit "$st" "$pre: $text" ;;
			esac
		done < <(ktap_parse "$d/output")
		if [ -z "$plan" ]; then
			emit fail "$pre: no KTAP plan (1..N) in the output"
			show_out=1
		elif [ "$count" -gt "$plan" ]; then
			emit fail "$pre: $count results but the plan says $plan"
			show_out=1
		elif [ "$count" -lt "$plan" ]; then
			local k
			for ((k = count + 1; k <= plan; k++)); do
				emit fail "$pre: result $k of $plan missing"
			done
			show_out=1
		fi
	fi
	case $rc in
	"" | 0 | 4) ;;
	124 | 137)
		emit fail "$pre: timed out after $(tmo "$b" "$t") s in the guest (exit status $rc)"
		show_out=1 ;;
	*)
		if [ $nfail = 0 ]; then
			emit fail "$pre: exit status $rc without a failed result"
			show_out=1
		fi ;;
	esac

	local rr
	rr=$(cat "$d/rmmod-rc" 2>/dev/null || echo -)
	if [ "$rr" != 0 ] && [ "$rr" != - ]; then
		emit fail "$pre: rmmod failed (status $rr): $(tr '\n' ' ' <"$d/rmmod.log" | cut -c1-200)"
		show_kernel=1
	fi

	local hit what where first
	while IFS='|' read -r what where first; do
		[ -n "$what" ] || continue
		emit fail "$pre: $what in $where: $first"
		show_kernel=1
	done < <(if [ -s "$d/dmesg" ] || [ "$died" = 0 ]; then
			"$CKA_SRC/selftests/vm/scan-dmesg.sh" "$d"
		 else	# the guest died in this test: its console tells
			"$CKA_SRC/selftests/vm/scan-dmesg.sh" "$bd"
		 fi)

	if [ "$d" = "$bd" ] && [ -s "$d/kmemleak" ]; then
		hit=$(grep -c '^unreferenced object' "$d/kmemleak")
		emit fail "$pre: kmemleak: $hit unreferenced object(s) after rmmod"
		sed -n '1,80p' "$d/kmemleak" | sed 's/^/# /'
	fi

	if [ "$d" = "$bd" ]; then
		echo "# ${b_rel[$b]} ${t_name[$t]}: VM $(cat "$d/vm-seconds" 2>/dev/null || echo '?') s"
	else
		echo "# ${b_rel[$b]} ${t_name[$t]}: test $(cat "$d/test-seconds" 2>/dev/null || echo '?') s (in $(basename "$bd"))"
	fi
	if [ "$failed" -gt "$f0" ]; then
		[ $show_out = 1 ] && diag "$d/output" 40 "test output"
		if [ $show_kernel = 1 ]; then
			if [ -s "$d/dmesg" ]; then diag "$d/dmesg" 60 "guest dmesg"
			else diag "$bd/console.log" 60 "serial console"; fi
		fi
		echo "# results kept in $d"
		return 1
	elif [ "$keep" != 1 ] && [ "$d" != "$bd" ]; then
		rm -rf "$d"
	fi
	return 0
}

# report BATCH: every test of the batch, then what belongs to the guest
report() {
	local b=$1 bd=${b_dir[$1]} t bad=0 died=0 again=() hit
	for t in ${b_tests[$b]}; do
		if [ "$died" = 1 ]; then
			again+=("$t")
			continue
		fi
		if [ ! -f "${t_dir[$b:$t]}/done" ]; then
			died=1
			if [ ! -f "${t_dir[$b:$t]}/started" ] && [ "${t_dir[$b:$t]}" != "$bd" ]; then
				again+=("$t")	# the guest died before it
				continue
			fi
			report_test "$b" "$t" 1 || bad=1
			continue
		fi
		report_test "$b" "$t" 0 || bad=1
	done
	if [ "$bd" != "${t_dir[$b:${b_tests[$b]%% *}]}" ]; then	# a batch
		if [ -s "$bd/kmemleak" ]; then
			hit=$(grep -c '^unreferenced object' "$bd/kmemleak")
			emit fail "[${b_rel[$b]}] $(basename "$bd") (${#again[@]} not run): kmemleak: $hit unreferenced object(s) after the batch's tests"
			sed -n '1,80p' "$bd/kmemleak" | sed 's/^/# /'
			bad=1
		fi
		echo "# ${b_rel[$b]} $(basename "$bd"): VM $(cat "$bd/vm-seconds" 2>/dev/null || echo '?') s"
		[ "$bad" = 1 ] && echo "# results kept in $bd"
		[ "$bad" = 1 ] || [ "$keep" = 1 ] || rm -rf "$bd"
	elif [ "$bad" = 0 ] && [ "$keep" != 1 ]; then
		rm -rf "$bd"
	fi
	if [ ${#again[@]} -gt 0 ]; then
		if [ "${b_retry[$b]}" = 1 ]; then
			for t in "${again[@]}"; do
				emit fail "[${b_rel[$b]}] ${t_name[$t]}: not run: its guest died twice before it"
			done
		else
			echo "# ${b_rel[$b]}: the guest died; ${#again[@]} test(s) after that again in a fresh guest"
			for t in "${again[@]}"; do add_batch "${b_kname[$b]}" "${b_rel[$b]}" 1 "$t"; done
		fi
	fi
}

declare -A running=()
cleanup() {
	local p
	for p in "${!running[@]}"; do
		pkill -TERM -P "$p" 2>/dev/null
		kill "$p" 2>/dev/null
	done
	echo "# interrupted"
	finish
}
trap cleanup INT TERM

next=0
while [ $next -lt $nb ] || [ ${#running[@]} -gt 0 ]; do
	while [ $next -lt $nb ] && [ ${#running[@]} -lt "$jobs" ]; do
		ko=$(cka_module_ko "${b_kname[$next]}")
		set -- ${b_tests[$next]}
		if [ ! -f "$ko" ] && { [ $# != 1 ] || [ "${t_nomod[$1]}" != 1 ]; }; then
			for t in ${b_tests[$next]}; do
				emit fail "[${b_rel[$next]}] ${t_name[$t]}: module not built ($ko)"
			done
		else
			start_vm $next >/dev/null 2>&1 &
			running[$!]=$next
		fi
		next=$((next + 1))
	done
	[ ${#running[@]} -gt 0 ] || continue
	done_pid=
	wait -n -p done_pid
	[ -n "$done_pid" ] || continue
	report "${running[$done_pid]}"
	unset "running[$done_pid]"
done

if [ "$keep" != 1 ]; then
	rmdir "$results"/*/batch-* "$results"/* "$results" 2>/dev/null
	[ -d "$results" ] || rm -f "$CKA_BUILD/results/latest"
fi
finish
