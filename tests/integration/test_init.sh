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

# A project shaped like many real ones (lua, zlib, cJSON): library sources at the
# root beside a program, a unity file, a fragment, tests, a port to another
# platform and vendored code. init leaves those out, says why, and the library builds.
mkdir -p "$WORK/real/testes" "$WORK/real/win32" "$WORK/real/contrib/minizip"
cat > "$WORK/real/lib.h" <<'EOF2'
int lib_add(int a, int b);
int lib_twice(int a);
EOF2
printf '#include "config.h"\n#include "lib.h"\nint lib_add(int a, int b) { return a + b + ADD_BIAS; }\n' > "$WORK/real/add.c"
printf '#define ADD_BIAS @BIAS@\n' > "$WORK/real/config.h.in"
printf '#include "lib.h"\n#include "table.c"\nint lib_twice(int a) { return a * table[1]; }\n' > "$WORK/real/twice.c"
printf 'static const int table[] = {0, 2};\n' > "$WORK/real/table.c"
printf '#include "add.c"\n#include "twice.c"\n' > "$WORK/real/onelib.c"
printf '#include <stdio.h>\n#include "lib.h"\nint\nmain(void) { printf("%%d\\n", lib_add(1, 2)); return 0; }\n' > "$WORK/real/prog.c"
printf '#ifndef REAL_COMPILED_LIB\n#  error define REAL_COMPILED_LIB to build the library\n#endif\n#ifdef MAKETABLE\nint main(void) { return 0; }\n#endif\nint lib_gen(void) { return 1; }\n' > "$WORK/real/gen.c"
printf '#include "../lib.h"\nint main(void) { return lib_add(1, 1) - 2; }\n' > "$WORK/real/testes/t.c"
printf '#include <windows.h>\nint port(void) { return 0; }\n' > "$WORK/real/win32/port.c"
printf '#include <zip_only_here.h>\nint unz(void) { return 0; }\n' > "$WORK/real/contrib/minizip/unzip.c"
out=$(jm init "$WORK/real" 2>"$WORK/init.err"); rc=$?
check_eq "init on a real-shaped project exits 0" 0 "$rc"
check "it says which header the configure step makes" \
    has "$(cat "$WORK/init.err")" "note: config.h is made by the project's configure step from config.h.in"
printf '#define ADD_BIAS 0\n' > "$WORK/real/config.h"   # what the configure step would write
check "it counts what it left out" has "$out" 'wrote .*jmake.toml \(3 sources; 6 left out, see \[compile\] exclude\)'
for entry in '"prog.c",.*# defines main()' '"onelib.c",.*# includes other sources' \
             '"table.c",.*# included by another source' '"testes/\*\*",.*# tests, examples or docs' \
             '"win32/\*\*",.*# another platform.s port' '"contrib/\*\*",.*# another project.s code'; do
    check "exclude entry $entry" grep -q "$entry" "$WORK/real/jmake.toml"
done
check "the define a source demands with #ifndef + #error is written" \
    grep -Pzq '\[compile\.defines\]\nREAL_COMPILED_LIB = true\n' "$WORK/real/jmake.toml"
check "a main() under #ifdef keeps its file in" lacks "$(cat "$WORK/real/jmake.toml")" '"gen.c"'
check "the written file builds" jm build "$WORK/real"
syms=$(nm -D --defined-only "$WORK/real/build/libreal.so")
check "the library has every library function" has "$syms" ' T lib_add$'
check "... lib_twice" has "$syms" ' T lib_twice$'
check "... lib_gen" has "$syms" ' T lib_gen$'
check "and no program's main" lacks "$syms" ' T main$'
out=$(jm init "$WORK/real")
check "init again adds nothing" has "$out" 'nothing to add'

# A folder without sources.
mkdir -p "$WORK/empty"
jm init "$WORK/empty" >/dev/null 2>&1; rc=$?
check_eq "init of a folder without sources exits 1" 1 "$rc"
check "and writes nothing" [ ! -e "$WORK/empty/jmake.toml" ]

finish
