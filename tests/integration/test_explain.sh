# test_explain.sh - `jmake build --explain` through the real daemons: every reason a unit is compiled or restored, and what a cache miss's nearest entry differs in.
. "$(dirname "$0")/lib.sh"
write_config
start_daemons

P=$WORK/p
mkdir -p "$P/src" "$P/include" "$P/include2" "$WORK/bin"
printf '#!/bin/sh\nexec gcc "$@"\n' > "$WORK/bin/cc"
chmod +x "$WORK/bin/cc"
project() { # project FLAGS: the jmake.toml with these flags
    printf '[project]\nname = "ex"\n[paths]\ninclude = ["include", "include2"]\n[compile]\ncc = "%s"\nflags = [%s]\n' \
        "$WORK/bin/cc" "$1" > "$P/jmake.toml"
}
echo '#define AVAL 1' > "$P/include/a.h"
echo '#define YVAL 1' > "$P/include/y.h"
echo '#define YVAL 2' > "$P/include2/y.h"
printf '#include "a.h"\nint fa(void) { return AVAL; }\n' > "$P/src/a.c"
printf '#include "y.h"\nint fb(void) { return YVAL; }\n' > "$P/src/b.c"
echo 'int fc(void) { return 3; }' > "$P/src/c.c"
project '"-O1"'

explain() { jm build "$P" --explain 2>/dev/null; }
line_of() { printf '%s\n' "$1" | grep -F -- "$2:" | head -1; }

out=$(explain)
check "first build: every file has no previous build" has "$(line_of "$out" src/c.c)" \
    '^src/c\.c: no previous build of this unit; cache miss: no entry for this source$'
check "first build: three lines" [ "$(printf '%s\n' "$out" | grep -c 'no previous build')" -eq 3 ]
check "the result line is still printed" has "$out" '^build completed: '

out=$(explain)
check "nothing changed: nothing to explain" has "$out" '^nothing was compiled: every file was up to date$'

echo 'int fc(void) { return 4; }' > "$P/src/c.c"
out=$(explain)
check "an edited source" has "$(line_of "$out" src/c.c)" \
    '^src/c\.c: source changed; cache miss: the nearest entry for this source differs in source content$'
check "only the edited source is listed" [ -z "$(line_of "$out" src/a.c)" ]

echo '#define AVAL 2' > "$P/include/a.h"
out=$(explain)
check "a header's content" has "$(line_of "$out" src/a.c)" \
    '^src/a\.c: header include/a\.h changed; cache miss: the nearest entry for this source differs in header include/a\.h$'

rm "$P/include/y.h"
out=$(explain)
check "a header removed, another found in its place" has "$(line_of "$out" src/b.c)" \
    '^src/b\.c: header include/y\.h removed; now includes include2/y\.h; no longer includes include/y\.h'

project '"-O1", "-DFOO"'
out=$(explain)
check "a flag added in jmake.toml" has "$(line_of "$out" src/b.c)" \
    '^src/b\.c: flags changed: added -DFOO; cache miss: the nearest entry for this source differs in flags \(added -DFOO\)$'

sleep 0.01   # a new mtime even on coarse timestamps
printf '#!/bin/sh\n# upgraded\nexec gcc "$@"\n' > "$WORK/bin/cc.new"
chmod +x "$WORK/bin/cc.new"
mv "$WORK/bin/cc.new" "$WORK/bin/cc"
out=$(explain)
check "the compiler replaced at the same path" has "$(line_of "$out" src/a.c)" \
    "^src/a\\.c: compiler changed: $WORK/bin/cc was replaced \\([0-9]+ -> [0-9]+ bytes\\); cache miss: the nearest entry for this source differs in compiler\$"

rm "$P/build/obj/src/b.c.o"
out=$(explain)
check "a deleted object is restored from the cache" has "$(line_of "$out" src/b.c)" \
    '^src/b\.c: restored: object build/obj/src/b\.c\.o is missing$'

# Clean, then another flag: the record names the flag, and the cache's nearest
# entry (the objects the clean removed) differs in it.
rm -rf "$P/build"
project '"-O1", "-DBAR"'
out=$(explain)
check "after a clean, a changed flag: a miss with a nearby entry differing in it" has "$(line_of "$out" src/c.c)" \
    '^src/c\.c: flags changed: added -DBAR; removed -DFOO; cache miss: the nearest entry for this source differs in flags \(added -DBAR; removed -DFOO\)$'
rm -rf "$P/build"
project '"-O1", "-DFOO"'
out=$(explain)
check "back to the earlier flag after a clean: restored" has "$(line_of "$out" src/c.c)" \
    '^src/c\.c: restored: flags changed: added -DFOO; removed -DBAR$'

# The same list is in the result JSON: `jmake build --json` and `jmake job result`.
echo 'int fc(void) { return 5; }' > "$P/src/c.c"
id=$(jm submit --type compilation --config "$P/jmake.toml")
jm job wait "$id" >/dev/null
reason=$(jm job result "$id" | python3 -c '
import json, sys
job = json.load(sys.stdin)
print([e["reason"] for e in job["result"]["explain"] if e["file"] == "src/c.c"][0], job["result"]["explain_omitted"])')
check_eq "job result holds the explain list" "source-changed 0" "$reason"
echo 'int fc(void) { return 6; }' > "$P/src/c.c"
reason=$(jm build "$P" --json --explain | python3 -c '
import json, sys
r = json.load(sys.stdin)
print(r["explain"][0]["file"], r["explain"][0]["reason"], r["explain"][0]["cache"]["result"])')
check_eq "--json has it too" "src/c.c source-changed miss" "$reason"
finish
