# test_parallel_bound.sh - max_parallel_builds bounds the compilers of the whole compilation daemon: two projects building at once share it.
. "$(dirname "$0")/lib.sh"
MAX_JOBS=4 write_config "max_parallel_builds = 2"
start_daemons

# A "compiler" that counts the compilers alive at once: each invocation leaves
# a file named after its project in a shared folder while it runs, and notes
# how many files (and how many projects) it saw.
LIVE=$WORK/live
mkdir -p "$LIVE"
cat > "$WORK/countcc.sh" <<SH
#!/bin/sh
case "\$1" in --version|-v|-dumpversion|-dumpmachine) echo "countcc 1.0"; exit 0;; esac
case " \$* " in *" -c "*) ;; *) exec cc "\$@";; esac
tag="\$(basename "\$PWD").\$\$"
: > "$LIVE/\$tag"
n=\$(ls "$LIVE" | wc -l)
projects=\$(ls "$LIVE" | cut -d. -f1 | sort -u | wc -l)
echo "\$n \$projects" >> "$WORK/seen"
sleep 0.4
cc "\$@"; rc=\$?
rm -f "$LIVE/\$tag"
exit \$rc
SH
chmod +x "$WORK/countcc.sh"

for p in pa pb; do
    mkdir -p "$WORK/$p/src"
    for i in 1 2 3 4 5 6; do echo "int ${p}_f$i(void) { return $i; }" > "$WORK/$p/src/f$i.c"; done
    cat > "$WORK/$p/jmake.toml" <<TOML
[project]
name = "$p"
[compile]
cc = "$WORK/countcc.sh"
[cache]
enabled = false
TOML
done

ids=$(for p in pa pb; do jm submit --type compilation --config "$WORK/$p/jmake.toml"; done)
jm job wait $ids --timeout 120 >/dev/null 2>&1; rc=$?
check_eq "both builds completed" 0 "$rc"
check "both libraries exist" test -f "$WORK/pa/build/libpa.so" -a -f "$WORK/pb/build/libpb.so"
check_eq "every compile ran once" 12 "$(wc -l < "$WORK/seen" | tr -d ' ')"
max=$(cut -d' ' -f1 "$WORK/seen" | sort -n | tail -1)
both=$(cut -d' ' -f2 "$WORK/seen" | sort -n | tail -1)
check "at most max_parallel_builds = 2 compilers at once over both projects (saw $max)" test "$max" -le 2
check "2 compilers did run at once (saw $max)" test "$max" -eq 2
check_eq "compilers of both projects ran at the same time" 2 "$both"

finish
