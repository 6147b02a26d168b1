# test_incremental.sh - what makes an object stale or reusable: the compiler's identity, the cache after a clean, the -g rule.
. "$(dirname "$0")/lib.sh"
write_config
start_daemons

files() { # files JSON KEY: one counter of the result's "files"
    printf '%s' "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["files"][sys.argv[1]])' "$2"
}
make_project() { # make_project DIR CC [FLAGS]
    mkdir -p "$1/src"
    for n in a b c; do echo "int $n(void) { return 1; }" > "$1/src/$n.c"; done
    printf '[project]\nname = "inc"\n[compile]\ncc = "%s"\nflags = [%s]\n' "$2" "${3:-}" > "$1/jmake.toml"
}

# A compiler replaced at the same path (an upgrade) rebuilds everything.
mkdir -p "$WORK/bin"
printf '#!/bin/sh\nexec gcc "$@"\n' > "$WORK/bin/cc"
chmod +x "$WORK/bin/cc"
make_project "$WORK/p" "$WORK/bin/cc"
json=$(jm build "$WORK/p" --json)
check_eq "first build compiles all three" 3 "$(files "$json" compiled)"
json=$(jm build "$WORK/p" --json)
check_eq "second build: all up to date" 3 "$(files "$json" up_to_date)"
sleep 0.01   # a new mtime even on file systems with coarse timestamps
printf '#!/bin/sh\n# upgraded\nexec gcc "$@"\n' > "$WORK/bin/cc.new"
chmod +x "$WORK/bin/cc.new"
mv "$WORK/bin/cc.new" "$WORK/bin/cc"
json=$(jm build "$WORK/p" --json)
check_eq "after the compiler was replaced: nothing up to date" 0 "$(files "$json" up_to_date)"
check_eq "and nothing from the cache built by the old one" 0 "$(files "$json" from_cache)"
check_eq "all three compiled again" 3 "$(files "$json" compiled)"

# After a clean (build folder deleted), objects come from the cache, no compiler runs.
rm -rf "$WORK/p/build"
json=$(jm build "$WORK/p" --json)
check_eq "after a clean: all three from the cache" 3 "$(files "$json" from_cache)"
check_eq "after a clean: none compiled" 0 "$(files "$json" compiled)"
check "the library is there again" [ -s "$WORK/p/build/libinc.so" ]

# A flag change is a new cache key: objects built with other flags are never served.
make_project "$WORK/f" gcc '"-DLEVEL=1"'
jm build "$WORK/f" --json >/dev/null
make_project "$WORK/f" gcc '"-DLEVEL=2"'
json=$(jm build "$WORK/f" --json)
check_eq "after a flag change: nothing from the cache" 0 "$(files "$json" from_cache)"
check_eq "after a flag change: all compiled" 3 "$(files "$json" compiled)"
make_project "$WORK/f" gcc '"-DLEVEL=1"'
json=$(jm build "$WORK/f" --json)
check_eq "back to the first flags: all from the cache" 3 "$(files "$json" from_cache)"

# The same sources at another root share cache entries, except with -g, where
# the root is in the debug information and so in the cache key.
make_project "$WORK/q1" gcc
make_project "$WORK/q2" gcc
jm build "$WORK/q1" --json >/dev/null
json=$(jm build "$WORK/q2" --json)
check_eq "another root without -g: served from the cache" 3 "$(files "$json" from_cache)"
make_project "$WORK/g1" gcc '"-g"'
make_project "$WORK/g2" gcc '"-g"'
jm build "$WORK/g1" --json >/dev/null
json=$(jm build "$WORK/g2" --json)
check_eq "another root with -g: not from the cache" 0 "$(files "$json" from_cache)"
check_eq "another root with -g: compiled" 3 "$(files "$json" compiled)"
check "its debug information names its own root" sh -c "readelf --debug-dump=info '$WORK/g2/build/obj/src/a.c.o' | grep -q '$WORK/g2'"


# Flags that already ask for -fPIC: the compile line has it once.
make_project "$WORK/pic" gcc '"-fPIC", "-O1"'
jm build "$WORK/pic" --json >/dev/null
check_eq "-fPIC once on the compile line" 1 \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["arguments"].count("-fPIC"))' "$WORK/pic/compile_commands.json")"
finish
