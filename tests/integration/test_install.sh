# test_install.sh - `cmake --install` into a temporary prefix: jmake.pc is right for it, a program builds against jmake.h with pkg-config, libjmake.so exports exactly the jmake_* API; the completions where each shell looks, the man page and the systemd user unit, all under the prefix.
. "$(dirname "$0")/lib.sh"
BIN=${JMAKE_BINARY_DIR:?JMAKE_BINARY_DIR must point at the build folder}

PREFIX=$WORK/prefix
if ! cmake --install "$BIN" --prefix "$PREFIX" >"$WORK/install.log" 2>&1; then
    cat "$WORK/install.log"
    fail "cmake --install into a temporary prefix"
    finish
    exit 1
fi
pass "cmake --install into a temporary prefix"

pc=$(find "$PREFIX" -name jmake.pc | head -n 1)
check "jmake.pc is installed" test -n "$pc"
pcdir=$(dirname "$pc")
check "jmake.pc names no build-time prefix" bash -c '! grep -q /usr/local "$1"' sh "$pc"
export PKG_CONFIG_PATH=$pcdir
check_eq "pkg-config resolves the prefix to the install folder" "$(realpath "$PREFIX")" \
    "$(realpath -m "$(pkg-config --variable=prefix jmake)")"
libdir=$(pkg-config --variable=libdir jmake)
includedir=$(pkg-config --variable=includedir jmake)
check "libdir holds libjmake.so" test -e "$libdir/libjmake.so"
check "includedir holds jmake.h" test -f "$includedir/jmake.h"

# A client of the installed library, built only with what pkg-config says.
cat >"$WORK/client.c" <<'C'
#include <jmake.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    jmake_client *c = NULL;
    int rc = jmake_connect(argv[1], &c);
    const char *msg = c ? jmake_last_error(c) : "";
    printf("status %d: %s\n", rc, msg);
    int clean = rc == JMAKE_ERR_UNREACHABLE && c && msg[0] && strcmp(jmake_home(c), argv[1]) == 0;
    jmake_disconnect(c);
    return argc == 2 && clean ? 0 : 1;
}
C
# A sanitizer build's library needs its runtime loaded first, by the program.
san_flags=()
ldd "$libdir/libjmake.so" | grep -q libasan && san_flags=(-fsanitize=address,undefined)
# shellcheck disable=SC2046 # pkg-config's output is a list of flags
if cc -Wall -Werror "${san_flags[@]}" "$WORK/client.c" -o "$WORK/client" $(pkg-config --cflags --libs jmake) 2>"$WORK/cc.log"; then
    pass "a program compiles and links against jmake.h with pkg-config's flags"
else
    cat "$WORK/cc.log"
    fail "a program compiles and links against jmake.h with pkg-config's flags"
fi
mkdir -p "$WORK/empty-home"
out=$(LD_LIBRARY_PATH=$libdir "$WORK/client" "$WORK/empty-home" 2>&1)
rc=$?
echo "$out"
check_eq "jmake_connect on a home without daemons fails cleanly" 0 "$rc"
check "its message says the daemons are not running" grep -q "daemons not running" <<<"$out"
check "the program runs on the installed library" \
    bash -c 'LD_LIBRARY_PATH=$1 ldd "$2" | grep -q "$1/libjmake.so"' sh "$libdir" "$WORK/client"

# The exported interface: every defined function is jmake_*, and every
# function jmake.h declares is there.
nm -D --defined-only "$libdir/libjmake.so" | awk '$2 ~ /^[TWi]$/ {print $3}' | sort >"$WORK/exported"
check "libjmake.so exports functions" test -s "$WORK/exported"
stray=$(grep -v '^jmake_' "$WORK/exported" | tr '\n' ' ')
check_eq "libjmake.so exports no function outside the jmake_ API" "" "$stray"
python3 - "$includedir/jmake.h" >"$WORK/declared" <<'PY'
import re, sys
text = re.sub(r'/\*.*?\*/|//[^\n]*', '', open(sys.argv[1]).read(), flags=re.S)
for name in sorted(set(re.findall(r'\b(jmake_\w+)\s*\(', text))):
    print(name)
PY
check "jmake.h declares functions" test -s "$WORK/declared"
missing=$(comm -23 "$WORK/declared" "$WORK/exported" | tr '\n' ' ')
check_eq "every function of jmake.h is exported" "" "$missing"
check_eq "exports and declarations are the same list" "$(cat "$WORK/declared")" "$(cat "$WORK/exported")"

check "the installed jmake runs" "$PREFIX/bin/jmake" --help

# ---- The command line's files, each under the prefix, each where its user looks ----
share=$PREFIX/share
check "bash completion in bash-completion's completionsdir" test -s "$share/bash-completion/completions/jmake"
check "zsh completion in site-functions" test -s "$share/zsh/site-functions/_jmake"
check "fish completion in vendor_completions.d" test -s "$share/fish/vendor_completions.d/jmake.fish"
check "the man page in man1" test -s "$share/man/man1/jmake.1"
unit=$PREFIX/lib/systemd/user/jmake.service
check "the systemd user unit in lib/systemd/user" test -s "$unit"
check "nothing was installed outside the prefix (no absolute /usr paths)" \
    bash -c '! grep -E -- "-- (Installing|Up-to-date): /usr" "$1"' sh "$WORK/install.log"
check "the unit runs the installed jmake" grep -q "^ExecStart=$PREFIX/bin/jmake " "$unit"
if command -v man >/dev/null; then
    page=$(MANWIDTH=80 man -l "$share/man/man1/jmake.1" 2>"$WORK/man.err")
    check "man -l renders the installed page" has "$page" '^NAME'
    check "the page describes every command" has "$page" 'completion SHELL'
    check_eq "man -l without warnings" "" "$(cat "$WORK/man.err")"
else
    fail "man (man-db) is installed (scripts/install-deps.sh)"
fi
# The installed bash completion, found the way bash-completion finds it: by
# XDG_DATA_DIRS, loaded on demand for the command `jmake`.
mkdir -p "$WORK/onpath"
ln -s "$PREFIX/bin/jmake" "$WORK/onpath/jmake"
if [ -f /usr/share/bash-completion/bash_completion ]; then
    out=$(PATH="$WORK/onpath:$PATH" XDG_DATA_DIRS="$share:/usr/share" JMAKE_HOME="$WORK/empty-home" bash --norc -c '
        source /usr/share/bash-completion/bash_completion
        __load_completion jmake || exit 1
        COMP_WORDS=(jmake job w); COMP_CWORD=2
        _jmake; printf "%s\n" "${COMPREPLY[@]}"')
    check_eq "the installed bash completion loads by itself and completes" wait "$out"
else
    fail "bash-completion is installed (scripts/install-deps.sh)"
fi
if command -v zsh >/dev/null; then
    out=$(PATH="$WORK/onpath:$PATH" zsh -f -c "fpath=($share/zsh/site-functions \$fpath); autoload -U compinit; compinit -u -d $WORK/zcompdump; print \$_comps[jmake]")
    check_eq "zsh's compinit finds the installed _jmake" _jmake "$out"
fi
if command -v fish >/dev/null; then
    mkdir -p "$WORK/fishhome"
    out=$(PATH="$WORK/onpath:$PATH" XDG_DATA_DIRS="$share:/usr/share" HOME="$WORK/fishhome" \
        XDG_CONFIG_HOME="$WORK/fishhome/c" XDG_DATA_HOME="$WORK/fishhome/d" fish -c 'complete -C "jmake jo"' | cut -f1)
    check_eq "fish loads the installed completion from vendor_completions.d" job "$out"
fi
if command -v systemd-analyze >/dev/null; then
    mkdir -p "$WORK/xdg-runtime" && chmod 700 "$WORK/xdg-runtime"
    check "systemd-analyze verify --user accepts the installed unit" \
        env XDG_RUNTIME_DIR="$WORK/xdg-runtime" systemd-analyze verify --user --man=no "$unit"
elif [ "${CI:-}" = true ]; then
    fail "systemd-analyze is there to verify the unit"
else
    echo "note: systemd-analyze missing: the installed unit is not verified"
fi
finish
