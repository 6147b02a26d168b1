# test_init.sh - `jmake init`: a discovery through the daemons writes a jmake.toml that builds, or completes an incomplete one keeping every user line.
. "$(dirname "$0")/lib.sh"
write_config
start_daemons

# The bundled test project without its jmake.toml.
cp -r "$SRC/daemons/test_project" "$WORK/tp"
rm "$WORK/tp/jmake.toml"
out=$(jm init "$WORK/tp"); rc=$?
check_eq "init exits 0" 0 "$rc"
check "init says it wrote the file" has "$out" "wrote $WORK/tp/jmake.toml"
check "the file is a valid project configuration" jm config check "$WORK/tp/jmake.toml"
check "it names the source folder" grep -qx 'source = "src"' "$WORK/tp/jmake.toml"
check "and the include folder" grep -qx 'include = \["include"\]' "$WORK/tp/jmake.toml"
check "and the library" grep -qx 'library_name = "libtp.so"' "$WORK/tp/jmake.toml"
check "the written file builds" jm build "$WORK/tp"
cc "$WORK/tp/check_library.c" -ldl -o "$WORK/check" || fail "check_library builds"
out=$("$WORK/check" "$WORK/tp/build/libtp.so" 2>&1)
# Every check but the version, which only a -D in the configuration can give.
check "the library loads and its checks pass (all but the MATHLIB_VERSION define)" \
    has "$out" '^1 of [0-9]+ checks failed'
check "the one failing check is the version define" has "$out" 'FAILED: version is 1.0.0'

# An incomplete jmake.toml: only [project] name and [compile] flags (and defines),
# with comments and an odd layout. init adds the missing keys in their tables.
cat > "$WORK/tp/jmake.toml" <<'TOML'
# My project: keep this comment.
[project]
name = "mathlib"   # the name

[paths]
build = "build"    # only this one

[compile]
# flags first
flags = [
    "-O2",
    "-std=c++17",
]
[compile.defines]
MATHLIB_VERSION = "1.0.0"
TOML
cp "$WORK/tp/jmake.toml" "$WORK/orig.toml"
out=$(jm init "$WORK/tp"); rc=$?
check_eq "init on an incomplete file exits 0" 0 "$rc"
check "and says how many keys it added" has "$out" 'completed .*: 4 keys added'
cat > "$WORK/expected.toml" <<'TOML'
# My project: keep this comment.
[project]
name = "mathlib"   # the name

[paths]
build = "build"    # only this one
source = "src"
include = ["include"]

[compile]
# flags first
flags = [
    "-O2",
    "-std=c++17",
]
[compile.defines]
MATHLIB_VERSION = "1.0.0"

[binary]
library_type = "shared"
library_name = "libmathlib.so"
TOML
check "the completed file, line by line: every user line kept in order, the missing keys in their tables" \
    diff -u "$WORK/expected.toml" "$WORK/tp/jmake.toml"
check "the completed file builds" jm build "$WORK/tp"
check "and its library passes every check" "$WORK/check" "$WORK/tp/build/libmathlib.so"
out=$(jm init "$WORK/tp")
check "init on a complete file adds nothing" has "$out" 'nothing to add'
check "and leaves it as it was" diff -q "$WORK/expected.toml" "$WORK/tp/jmake.toml"

# A folder without sources.
mkdir -p "$WORK/empty"
jm init "$WORK/empty" >/dev/null 2>&1; rc=$?
check_eq "init of a folder without sources exits 1" 1 "$rc"
check "and writes nothing" [ ! -e "$WORK/empty/jmake.toml" ]

finish
