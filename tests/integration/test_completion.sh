# test_completion.sh - `jmake completion bash|zsh|fish` in the real shells: commands, subcommands, options, values, files, and job ids from the running daemons (timed with 10,000 jobs), nothing when they are down.
. "$(dirname "$0")/lib.sh"
write_config
BIN=$(cd "$(dirname "$JMAKE")" && pwd)
# The scripts run `jmake` as the user typed it: from the PATH.
mkdir -p "$WORK/bin"
ln -s "$JMAKE" "$WORK/bin/jmake"
export PATH="$WORK/bin:$PATH" JMAKE_HOME="$TEST_HOME"
# Shells write their history and caches under HOME and XDG folders: keep them in the test.
export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" XDG_DATA_HOME="$WORK/home/.local/share" \
    XDG_CACHE_HOME="$WORK/home/.cache"
mkdir -p "$HOME" "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME"
: "$BIN"
lacks_line() { ! printf '%s\n' "$1" | grep -qxF -- "$2"; }

# A project folder to complete in.
mkdir -p "$WORK/proj/srcdir" "$WORK/proj/subdir"
touch "$WORK/proj/jobs.toml" "$WORK/proj/notes.txt" "$WORK/proj/libfoo.so"

# ---- bash: the completion function driven through COMP_WORDS / COMP_CWORD ----
jmake completion bash > "$WORK/jmake.bash"
check "the bash script parses" bash -n "$WORK/jmake.bash"
bash_complete() { # bash_complete WORD... (the last is the one being completed): COMPREPLY, one a line
    (cd "$WORK/proj" && bash --norc --noprofile -c '
        source "$1"; shift
        COMP_WORDS=(jmake "$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
        _jmake
        printf "%s\n" "${COMPREPLY[@]}"' _ "$WORK/jmake.bash" "$@")
}
check_eq "bash: jo -> job" job "$(bash_complete jo)"
out=$(bash_complete '')
for cmd in start stop restart status submit job build config logs completion help; do
    check "bash: every command offered ($cmd)" has "$out" "^$cmd\$"
done
check_eq "bash: job subcommands" "cancel clean list result status wait" "$(bash_complete job '' | sort | tr '\n' ' ' | sed 's/ $//')"
check "bash: options of a subcommand" has "$(bash_complete job wait --)" '^--timeout$'
check "bash: global options everywhere" has "$(bash_complete job wait --)" '^--home$'
check "bash: build's options" has "$(bash_complete build --)" '^--no-start$'
check_eq "bash: job types" "compilation discovery error_analysis wrapping" \
    "$(bash_complete submit --type '' | sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "bash: --type=VALUE after bash split it at '='" compilation "$(bash_complete submit --type = co)"
check_eq "bash: job states" "cancelled completed failed pending running" \
    "$(bash_complete job list --state '' | sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "bash: daemon names" "error_handler" "$(bash_complete logs err)"
check "bash: configuration keys" has "$(bash_complete config show queue.)" '^queue\.max_concurrent_jobs$'
check_eq "bash: shells" "bash fish zsh" "$(bash_complete completion '' | sort | tr '\n' ' ' | sed 's/ $//')"
out=$(bash_complete submit '')
check "bash: a job file: TOML files" has "$out" '^jobs\.toml$'
check "bash: and folders" has "$out" '^srcdir$'
check "bash: not other files" lacks_line "$out" 'notes.txt'
out=$(bash_complete build '')
check "bash: build takes folders" has "$out" '^subdir$'
check "bash: and no files" lacks_line "$out" 'jobs.toml'
check "bash: --binary takes shared libraries" has "$(bash_complete submit --binary '')" '^libfoo\.so$'
check_eq "bash: job ids with the daemons down: none" "" "$(bash_complete job status '')"
check_eq "bash: __complete is quiet when the daemons are down" "" "$(jmake __complete job status '' 2>&1 >/dev/null)"

# ---- zsh: the installed way (a _jmake file on fpath, compinit), typed in a terminal (tmux) ----
if command -v zsh >/dev/null && command -v tmux >/dev/null; then
    mkdir -p "$WORK/zfunc" "$WORK/zdot"
    jmake completion zsh > "$WORK/zfunc/_jmake"
    check "the zsh script parses" zsh -n "$WORK/zfunc/_jmake"
    cat > "$WORK/zdot/.zshrc" <<ZRC
fpath=($WORK/zfunc \$fpath)
autoload -U compinit && compinit -u -d $WORK/zdot/.zcompdump
PROMPT='%% '
cd $WORK/proj
ZRC
    TMUX_SOCKET="jmk-$$"
    trap 'tmux -L "$TMUX_SOCKET" kill-server 2>/dev/null; cleanup' EXIT
    tm() { tmux -L "$TMUX_SOCKET" "$@"; }
    tm new-session -d -x 160 -y 40 "env ZDOTDIR=$WORK/zdot PATH=$PATH JMAKE_HOME=$JMAKE_HOME HOME=$HOME zsh -i"
    # capture-pane drops trailing blanks: "jmake job " reads "jmake job".
    pane() { tm capture-pane -p -t 0; }
    pane_has() { pane | grep -Eq -- "$1"; }
    zsh_type() { # zsh_type TEXT: a fresh line, TEXT, then Tab
        tm send-keys -t 0 C-u; tm send-keys -t 0 -l "$1"; tm send-keys -t 0 Tab
    }
    wait_for 10 pane_has '^%' || { fail "zsh started in tmux"; pane; tm list-sessions; }
    zsh_type 'jmake jo'
    check "zsh: jo -> job" wait_for 5 pane_has '^% jmake job$'
    zsh_type 'jmake job wait --ti'
    check "zsh: options of a subcommand" wait_for 5 pane_has '^% jmake job wait --timeout$'
    zsh_type 'jmake logs error'
    check "zsh: daemon names" wait_for 5 pane_has '^% jmake logs error_handler$'
    zsh_type 'jmake submit --type=disc'
    check "zsh: --type=VALUE" wait_for 5 pane_has '^% jmake submit --type=discovery$'
    zsh_type 'jmake submit job'
    check "zsh: TOML files for a job file" wait_for 5 pane_has '^% jmake submit jobs\.toml$'
    zsh_type 'jmake build sub'
    check "zsh: folders for build" wait_for 5 pane_has '^% jmake build subdir/$'
    zsh_type 'jmake config show queue.max_c'
    check "zsh: configuration keys" wait_for 5 pane_has '^% jmake config show queue\.max_concurrent_jobs$'
    ZSH_READY=1
else
    if [ "${CI:-}" = true ]; then fail "zsh and tmux are installed (scripts/install-deps.sh)"; else echo "note: zsh or tmux missing: zsh not tested"; fi
fi

# ---- fish: complete -C ----
if command -v fish >/dev/null; then
    jmake completion fish > "$WORK/jmake.fish"
    check "the fish script parses" fish --no-execute "$WORK/jmake.fish"
    fish_complete() { # fish_complete LINE: the candidates, without descriptions
        (cd "$WORK/proj" && fish --no-config -c "source $WORK/jmake.fish; complete -C '$1'" | cut -f1)
    }
    check_eq "fish: jo -> job" job "$(fish_complete 'jmake jo')"
    check "fish: every subcommand of job" [ "$(fish_complete 'jmake job ' | wc -l)" -eq 6 ]
    check "fish: options" has "$(fish_complete 'jmake job wait --')" '^--timeout$'
    check_eq "fish: job types" "compilation" "$(fish_complete 'jmake submit --type comp')"
    check_eq "fish: --type=VALUE" "--type=compilation" "$(fish_complete 'jmake submit --type=comp')"
    check_eq "fish: job states" "failed" "$(fish_complete 'jmake job list --state fa')"
    check_eq "fish: daemon names" "watcher" "$(fish_complete 'jmake logs wat')"
    out=$(fish_complete 'jmake submit ')
    check "fish: TOML files for a job file" has "$out" '^jobs\.toml$'
    check "fish: not other files" lacks_line "$out" 'notes.txt'
    check "fish: folders for build" has "$(fish_complete 'jmake build s')" '^srcdir/$'
    check_eq "fish: job ids with the daemons down: none" "" "$(fish_complete 'jmake job status ')"
else
    if [ "${CI:-}" = true ]; then fail "fish is installed (scripts/install-deps.sh)"; else echo "note: fish missing: not tested"; fi
fi

# ---- job ids from the running daemons ----
start_daemons
jm stop discovery >/dev/null
python3 - "$WORK/many.toml" "$WORK/proj" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(10000):
        f.write('[[jobs]]\nid = "bulk-%05d"\ntype = "discovery"\npriority = 9\nargs = { path = "%s" }\n' % (i, sys.argv[2]))
PY
jm submit --type discovery --path "$WORK/proj" --id only-one --priority 9 >/dev/null
check_eq "bash: one job id offered" only-one "$(bash_complete job status on)"
[ "${ZSH_READY:-}" = 1 ] && { zsh_type 'jmake job cancel on'; check "zsh: job ids" wait_for 5 pane_has '^% jmake job cancel only-one$'; }
command -v fish >/dev/null && check_eq "fish: job ids" only-one "$(fish_complete 'jmake job wait on')"
jm submit "$WORK/many.toml" >/dev/null || fail "10,000 jobs submitted"
check_eq "10,001 jobs queued" 10001 "$(jm job list --limit 0 | tail -n +2 | wc -l)"
# The time it takes, measured (the target is 50 ms; not asserted, machines differ).
ms=$(python3 - <<'PY'
import subprocess, time
best = None
for _ in range(5):
    t = time.perf_counter()
    out = subprocess.run(["jmake", "__complete", "job", "status", "bulk-0999"], capture_output=True, text=True).stdout
    ms = (time.perf_counter() - t) * 1000
    best = ms if best is None or ms < best else best
print("%.1f %d" % (best, len(out.splitlines()) - 1))
PY
)
echo "measure: completing a job id prefix with 10,001 jobs in the database: ${ms% *} ms (best of 5), ${ms#* } candidates"
check_eq "the ids with that prefix are offered" 10 "${ms#* }"
all=$(python3 - <<'PY'
import subprocess, time
best = None
for _ in range(3):
    t = time.perf_counter()
    out = subprocess.run(["jmake", "__complete", "job", "status", ""], capture_output=True, text=True).stdout
    ms = (time.perf_counter() - t) * 1000
    best = ms if best is None or ms < best else best
print("%.1f %d" % (best, len(out.splitlines()) - 1))
PY
)
echo "measure: completing a job id from nothing typed (every id) with 10,001 jobs: ${all% *} ms (best of 3), ${all#* } candidates"
check_eq "nothing typed: every id is offered" 10001 "${all#* }"
check_eq "bash: with 10,001 jobs, one prefix" "bulk-09990 bulk-09991" "$(bash_complete job status bulk-0999 | head -n 2 | tr '\n' ' ' | sed 's/ $//')"

[ -n "${TMUX_SOCKET:-}" ] && tmux -L "$TMUX_SOCKET" kill-server 2>/dev/null
finish
