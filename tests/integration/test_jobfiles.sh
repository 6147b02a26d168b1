# test_jobfiles.sh - job files: the seed's format queues; every kind of bad file is refused with FILE:LINE:COL and queues nothing.
. "$(dirname "$0")/lib.sh"
write_config
start_daemons
mkdir -p "$WORK/proj/src" && echo 'int f(void){return 1;}' > "$WORK/proj/src/f.c"
printf '[project]\nname = "proj"\n' > "$WORK/proj/jmake.toml"

cat > "$WORK/jobs.toml" <<'TOML'
[[jobs]]
id = "compile_project"
type = "compilation"
priority = 1
config_file = "proj/jmake.toml"

[[jobs]]
id = "scan_project"
type = "discovery"
priority = 2
args = { path = "proj" }
depends_on = ["compile_project"]
TOML
out=$(jm submit "$WORK/jobs.toml"); rc=$?
check_eq "seed-format job file accepted" 0 "$rc"
check_eq "one id a line" "compile_project scan_project" "$(echo $out)"
jm job wait compile_project scan_project --timeout 60 >/dev/null
check_eq "relative config_file resolved against the job file" completed "$(job_state compile_project)"

rejects() { # rejects NAME EXPECTED_LOCATION_REGEX: the file is refused and nothing is queued
    local name=$1 where=$2 before after err rc
    before=$(jm job list | wc -l)
    err=$(jm submit "$WORK/$name.toml" 2>&1 >/dev/null); rc=$?
    after=$(jm job list | wc -l)
    check_eq "$name: exit 2" 2 "$rc"
    if echo "$err" | grep -Eq "^$WORK/$name.toml:$where: error: "; then pass "$name: error located ($err)"
    else fail "$name: error located: got [$err]"; fi
    check_eq "$name: nothing queued" "$before" "$after"
}

printf '[[jobs]]\nid = "ok1"\ntype = "discovery"\nargs = { path = "proj" }\n\n[[jobs]]\nid = "x"\ntype = = "discovery"\n' > "$WORK/syntax.toml"
rejects syntax '8:[0-9]+'
printf '[[jobs]]\nid = "ok2"\ntype = "discovery"\nargs = { path = "proj" }\n\n[[jobs]]\ntype = "discovery"\npriority = "high"\nargs = { path = "proj" }\n' > "$WORK/wrongtype.toml"
rejects wrongtype '8:12'
printf '[[jobs]]\nid = "ok3"\ntype = "discovery"\nargs = { path = "proj" }\n\n[[jobs]]\nid = "nocfg"\ntype = "compilation"\n' > "$WORK/missing.toml"
rejects missing '[0-9]+:[0-9]+'
printf '[[jobs]]\nid = "ok4"\ntype = "discovery"\nargs = { path = "proj" }\n\n[[jobs]]\nid = "t"\ntype = "linking"\n' > "$WORK/unknowntype.toml"
rejects unknowntype '8:8'
printf '[[jobs]]\nid = "same"\ntype = "discovery"\nargs = { path = "proj" }\n\n[[jobs]]\nid = "same"\ntype = "discovery"\nargs = { path = "proj" }\n' > "$WORK/dupid.toml"
rejects dupid '7:6'
printf '[[jobs]]\nid = "nofile"\ntype = "compilation"\nconfig_file = "nowhere/jmake.toml"\n' > "$WORK/nofile.toml"
rejects nofile '4:15'
mkdir -p "$WORK/nosrc" && printf '[project]\nname = "nosrc"\n' > "$WORK/nosrc/jmake.toml"
printf '[[jobs]]\nid = "nosrc"\ntype = "compilation"\nconfig_file = "nosrc/jmake.toml"\n' > "$WORK/nosrcjob.toml"
rejects nosrcjob '4:15'

# An id already stored is refused too.
printf '[[jobs]]\nid = "compile_project"\ntype = "discovery"\nargs = { path = "proj" }\n' > "$WORK/again.toml"
err=$(jm submit "$WORK/again.toml" 2>&1); rc=$?
check_eq "an id already queued is refused (exit 2)" 2 "$rc"
check "the message names the id" has "$err" compile_project
check_eq "with the id's line and column in the file" \
    "$WORK/again.toml:2:6: error: job id 'compile_project' already exists (queued earlier)" \
    "$(printf '%s\n' "$err" | grep ': error: ' | head -1)"

# A dependency neither queued nor in the file points at where it is named; nothing of the file is queued.
printf '[[jobs]]\nid = "fine"\ntype = "discovery"\nargs = { path = "proj" }\n\n[[jobs]]\nid = "late"\ntype = "discovery"\nargs = { path = "proj" }\ndepends_on = ["fine",\n    "ghost"]\n' > "$WORK/ghost.toml"
err=$(jm submit "$WORK/ghost.toml" 2>&1); rc=$?
check_eq "an unknown dependency is refused (exit 2)" 2 "$rc"
check_eq "at the dependency's line and column" \
    "$WORK/ghost.toml:11:5: error: job 'late' depends on unknown job 'ghost'" \
    "$(printf '%s\n' "$err" | grep ': error: ' | head -1)"
check "and nothing of the file was queued" sh -c "! \"$JMAKE\" --home \"$TEST_HOME\" job status fine >/dev/null 2>&1"

# Fields of the original JMake are accepted with a warning.
printf '[[jobs]]\nid = "legacy"\ntype = "discovery"\ndaemon = "discovery"\nport = 3001\nargs = { path = "proj" }\n' > "$WORK/legacy.toml"
err=$(jm submit "$WORK/legacy.toml" 2>&1 >/dev/null); rc=$?
check_eq "original-JMake fields accepted" 0 "$rc"
check "with a located warning" has "$err" 'legacy.toml:4:[0-9]*: warning'

# Command-line submits are validated the same way.
err=$(jm submit --type compilation --config "$WORK/none/jmake.toml" 2>&1); rc=$?
check_eq "submit of a missing config file exits 2" 2 "$rc"
check "and names the file" has "$err" 'none/jmake.toml'
err=$(jm submit --type bogus 2>&1); rc=$?
check_eq "unknown type exits 2" 2 "$rc"

# Malformed and oversized requests get an error and do not disturb the daemon.
python3 - "$TEST_HOME/run/jmake.sock" <<'PY'
import socket, struct, sys, json
def call(payload):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
    s.sendall(struct.pack(">I", len(payload)) + payload)
    hdr = s.recv(4, socket.MSG_WAITALL); n = struct.unpack(">I", hdr)[0]
    body = b""
    while len(body) < n: body += s.recv(n - len(body))
    s.close(); return json.loads(body)
assert call(b"not json")["code"] == "bad_request"
assert call(b'{"op":"nope"}')["code"] == "bad_request"
assert call(b'{"op":"status","v":99}')["code"] == "bad_request"
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(struct.pack(">I", 50 << 20))
hdr = s.recv(4, socket.MSG_WAITALL); n = struct.unpack(">I", hdr)[0]
assert json.loads(s.recv(n, socket.MSG_WAITALL))["code"] == "bad_request"
print("protocol errors answered")
PY
check_eq "malformed requests answered with errors" 0 $?
check "daemons still answer" jm status

finish
