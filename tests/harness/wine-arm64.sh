#!/bin/bash
# Runs aarch64 Windows PE programs (aarch64-pc-windows-gnullvm) on an x86_64 Linux host:
# Debian 12's arm64 wine 8.0, run under qemu-aarch64 user-mode emulation from a private
# root directory assembled from downloaded arm64 .debs. Nothing is installed on the host
# and the host's apt configuration is not touched (a private apt state lives in ROOT).
#
#   wine-arm64.sh setup ROOT                 download + extract the arm64 packages into ROOT
#   wine-arm64.sh run ROOT PREFIX EXE [ARGS] run EXE with arm64 wine, private WINEPREFIX PREFIX;
#                                            EXE's stdout/stderr pass through, exit code too
#
# Host needs (all from Debian): apt, dpkg (dpkg-deb), debian-archive-keyring,
# qemu-user-static (or qemu-user), coreutils, util-linux (flock).
#
# Debian's arm64 wine 8.0 is a non-PE build: its code is ELF builtins
# (lib/aarch64-linux-gnu/wine/aarch64-unix/*.dll.so); lib/wine/aarch64-windows/ holds only
# placeholder PE files for the prefix's system32. That is enough to run aarch64 PE programs.
#
# Environment knobs:
#   WINE_ARM64_MIRROR           default http://deb.debian.org/debian
#   WINE_ARM64_SECURITY_MIRROR  default http://deb.debian.org/debian-security
#   WINE_ARM64_DLLS             run: space-separated aarch64 DLLs copied into the prefix's
#                               system32 (e.g. the bcryptprimitives.dll shim: wine 8 lacks
#                               ProcessPrng, which Rust std >= 1.78 imports)
#   WINE_ARM64_PERSIST          run: seconds the wineserver (and wine's system processes)
#                               stay up after the last program exits (default 30)
#   WINEDEBUG, WINEDLLOVERRIDES run: defaults -all and "mscoree,mshtml="
#
# Why the root gets two host-side scripts (setup writes them):
#  * usr/lib/wine/wine64-preloader: wine re-executes its own loader (bin_dir/wine64-preloader,
#    then bin_dir/wine64) at start-up and for every new Windows process. Without a binfmt_misc
#    entry for aarch64 the kernel cannot exec an arm64 ELF (ENOEXEC), so the "preloader" is a
#    shell script that execs qemu on the loader.
#  * usr/lib/wine/wineserver: wine starts bin_dir/wineserver (it ignores $WINESERVER here);
#    Debian's script would exec /usr/lib/wine/wineserver64 (the HOST's x86_64 server, which
#    then refuses: "wineserver doesn't support the aa64 architecture"). Replaced by a wrapper
#    that runs the arm64 wineserver64 under qemu (Debian's script is kept as wineserver.debian).
set -euo pipefail

SUITE=bookworm
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
MIRROR=${WINE_ARM64_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${WINE_ARM64_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

# Pinned package names (versions: whatever the mirror's bookworm/-updates/-security has).
# wine64 + libwine and the libraries their console path links: ntdll.so needs libunwind8
# (-> liblzma5). libfreetype6 is left out on purpose: with FreeType but no fonts (fonts-wine
# is only a Recommends) prefix creation breaks: explorer.exe /desktop fails and is respawned
# endlessly (hundreds of qemu processes within a minute). Without it wine prints the
# harmless "Wine cannot find the FreeType font library" on stderr.
PACKAGES="wine64 libwine libc6 libgcc-s1 gcc-12-base libunwind8 liblzma5"
# libwine Depends deliberately left out: each is linked only by a driver or multimedia
# module (winex11, winealsa, winepulse, winegstreamer, wineusb, gphoto2, capi2032, opencl,
# wpcap, ...) that a console program never loads. Setup fails if libwine gains a Depends
# that is in neither list.
LIBWINE_SKIPPED="libfreetype6 libfontconfig1 libasound2 libcapi20-3 libglib2.0-0 libgphoto2-6 libgphoto2-port12 libgstreamer-plugins-base1.0-0 libgstreamer1.0-0 libpcap0.8 libpulse0 libudev1 libusb-1.0-0 libx11-6 libxext6 ocl-icd-libopencl1 libopencl1 libopencl-1.2-1 libz-mingw-w64"

die() { echo "wine-arm64: error: $*" >&2; exit 1; }
say() { echo "wine-arm64: $*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

find_qemu() {
    QEMU=$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)
    [ -n "$QEMU" ] || die "qemu-aarch64-static not found (apt-get install -y qemu-user-static)"
}

apt_opts() {
    local a=$1
    APT=(-o "Dir::State=$a/state" -o "Dir::State::status=$a/state/status"
         -o "Dir::Cache=$a/cache" -o "Dir::Etc::sourcelist=$a/sources.list"
         -o "Dir::Etc::sourceparts=$a/sources.list.d" -o "Dir::Etc::preferencesparts=$a/preferences.d"
         -o "Dir::Etc::Preferences=$a/preferences" -o "Dir::Etc::Trusted=$a/trusted.gpg"
         -o "Dir::Etc::TrustedParts=$a/trusted.gpg.d"
         -o APT::Architecture=arm64 -o APT::Architectures=arm64
         -o APT::Install-Recommends=false -o APT::Sandbox::User=root
         -o Debug::NoLocking=true -o quiet=1)
}

# One apt-cache call: "PACKAGE VERSION DEPENDS" per pinned package (candidate versions;
# DEPENDS: comma-separated groups of "|"-separated alternatives, version constraints dropped).
candidates() {
    apt-cache "${APT[@]}" show --no-all-versions $PACKAGES | awk '
        /^Package:/ { p = $2; v = ""; d = "" }
        /^Version:/ { v = $2 }
        /^(Pre-)?Depends:/ { x = $0; sub(/^[^:]*: /, "", x); d = d (d == "" ? "" : ",") x }
        /^$/ && p != "" { out(); p = "" }
        END { if (p != "") out() }
        function out() { gsub(/\([^)]*\)/, "", d); gsub(/:any/, "", d); gsub(/[ \t]/, "", d); print p, v, (d == "" ? "-" : d) }'
}

check_closure() {
    local pkg ver deps group alt ok missing=""
    while read -r pkg ver deps; do
        [ "$deps" != - ] || continue
        for group in ${deps//,/ }; do
            ok=""
            for alt in ${group//|/ }; do
                case " $PACKAGES " in *" $alt "*) ok=1 ;; esac
                if [ "$pkg" = libwine ]; then
                    case " $LIBWINE_SKIPPED " in *" $alt "*) ok=1 ;; esac
                fi
            done
            [ -n "$ok" ] || missing="$missing $pkg->$group"
        done
    done < "$1"
    [ -z "$missing" ] || die "the pinned package list no longer covers these Depends:$missing (edit PACKAGES or LIBWINE_SKIPPED in $0)"
}

write_wrappers() {
    local root=$1
    cat > "$root/usr/lib/wine/wine64-preloader" <<EOF
#!/bin/sh
# written by wine-arm64.sh: wine execs "\$0 LOADER ARGS..." to (re)start its arm64 loader
exec "$QEMU" -L "$root" "\$@"
EOF
    [ -e "$root/usr/lib/wine/wineserver.debian" ] || mv "$root/usr/lib/wine/wineserver" "$root/usr/lib/wine/wineserver.debian"
    cat > "$root/usr/lib/wine/wineserver" <<EOF
#!/bin/sh
# written by wine-arm64.sh: the arm64 wineserver under qemu (not the host's wineserver64)
exec "$QEMU" -L "$root" "$root/usr/lib/wine/wineserver64" "\$@"
EOF
    chmod 755 "$root/usr/lib/wine/wine64-preloader" "$root/usr/lib/wine/wineserver"
}

cmd_setup() {
    [ $# -eq 1 ] || die "usage: $0 setup ROOT"
    find_qemu
    command -v apt-get >/dev/null || die "apt-get not found"
    command -v dpkg-deb >/dev/null || die "dpkg-deb not found (apt-get install -y dpkg)"
    [ -r "$KEYRING" ] || die "$KEYRING missing (apt-get install -y debian-archive-keyring)"
    local root work t0 t total_t0 stamp_new
    root=$(realpath -m "$1")
    work=$root.apt      # private apt state and downloaded .debs, next to ROOT
    total_t0=$(now)
    mkdir -p "$work"/{state/lists/partial,cache/archives/partial,sources.list.d,preferences.d,trusted.gpg.d,debs}
    : > "$work/state/status"
    exec 9> "$work/lock"
    flock 9
    cat > "$work/sources.list" <<EOF
deb [arch=arm64 signed-by=$KEYRING] $MIRROR $SUITE main
deb [arch=arm64 signed-by=$KEYRING] $MIRROR $SUITE-updates main
deb [arch=arm64 signed-by=$KEYRING] $SECURITY_MIRROR $SUITE-security main
EOF
    apt_opts "$work"

    t0=$(now)
    apt-get "${APT[@]}" update >"$work/update.log" 2>&1 ||
        { cat "$work/update.log" >&2; die "apt-get update of the arm64 indexes failed (mirror $MIRROR)"; }
    say "arm64 package indexes: $(since "$t0")s"

    candidates > "$work/candidates" 2>"$work/candidates.err" ||
        { cat "$work/candidates.err" >&2; die "looking up the pinned arm64 packages failed"; }
    local pkg versions=""
    for pkg in $PACKAGES; do
        grep -q "^$pkg " "$work/candidates" || die "package $pkg:arm64 not found on $MIRROR $SUITE"
    done
    check_closure "$work/candidates"
    versions=$(awk '{ print $1 "=" $2 }' "$work/candidates")$'\n'
    stamp_new="root=$root"$'\n'"qemu=$QEMU"$'\n'"$versions"

    if [ -f "$root/.wine-arm64-stamp" ] && printf '%s' "$stamp_new" | cmp -s - "$root/.wine-arm64-stamp"; then
        say "$root is up to date:"; printf '%s' "$versions" | sed 's/^/  /' >&2
        return 0
    fi

    t0=$(now)
    rm -f "$work"/debs/*.deb
    (cd "$work/debs" && apt-get "${APT[@]}" download $(printf '%s' "$versions" | tr '\n' ' ')) >"$work/download.log" 2>&1 ||
        { cat "$work/download.log" >&2; die "downloading the arm64 packages failed"; }
    say "download: $(since "$t0")s, $(du -cb "$work"/debs/*.deb | awk 'END { printf "%.1f MB", $1/1e6 }') in $(ls "$work"/debs/*.deb | wc -l) packages"

    if [ -e "$root" ]; then
        [ -f "$root/.wine-arm64-stamp" ] || [ -z "$(ls -A "$root")" ] ||
            die "$root exists, is not empty and was not made by this script; refusing to replace it"
    fi
    t0=$(now)
    rm -rf "$root.new"
    mkdir -p "$root.new"
    local deb
    for deb in "$work"/debs/*.deb; do
        dpkg-deb -x "$deb" "$root.new" || die "extracting $deb failed"
    done
    [ -x "$root.new/usr/lib/wine/wine64" ] || die "wine64 loader missing after extraction"
    rm -rf "$root"
    mv "$root.new" "$root"
    write_wrappers "$root"
    say "extract: $(since "$t0")s, $(du -sh "$root" | cut -f1) on disk"

    local v
    v=$("$QEMU" -L "$root" "$root/usr/lib/wine/wine64" --version 2>&1) ||
        die "the arm64 wine loader does not start under $QEMU: $v"
    "$QEMU" -L "$root" "$root/lib/ld-linux-aarch64.so.1" --list \
        "$root/usr/lib/aarch64-linux-gnu/wine/aarch64-unix/ntdll.so" >"$work/ldd.log" 2>&1 &&
        ! grep -q "not found" "$work/ldd.log" ||
        { cat "$work/ldd.log" >&2; die "ntdll.so has unresolved libraries in $root"; }
    printf '%s' "$stamp_new" > "$root/.wine-arm64-stamp"
    say "ready: $v under $QEMU (total $(since "$total_t0")s)"
    printf '%s' "$versions" | sed 's/^/  /' >&2
}

# With qemu -L, a guest stat("/") sees ROOT, so wine cannot match Z: (-> /) to any host
# directory: the working directory would become C:\windows and paths \\?\unix\...
# Map a spare drive letter to the top-level directory of each path that must resolve.
map_drive() {
    local prefix=$1 path=$2 top link letter
    top=/$(printf '%s' "$path" | cut -d/ -f2)
    [ "$top" != / ] || return 0
    [ ! -e "$ROOT$top" ] || return 0   # a directory qemu redirects into ROOT: cannot be fixed this way
    for link in "$prefix"/dosdevices/?:; do
        [ "$(readlink "$link" 2>/dev/null)" = "$top" ] && return 0
    done
    for letter in y x w v u t s r q p; do
        if [ ! -e "$prefix/dosdevices/$letter:" ] && [ ! -L "$prefix/dosdevices/$letter:" ]; then
            ln -s "$top" "$prefix/dosdevices/$letter:"
            return 0
        fi
    done
}

cmd_run() {
    [ $# -ge 3 ] || die "usage: $0 run ROOT PREFIX EXE [ARGS...]"
    find_qemu
    ROOT=$(realpath -m "$1"); local prefix exe t0
    prefix=$(realpath -m "$2"); exe=$(realpath -m "$3"); shift 3
    [ -f "$ROOT/.wine-arm64-stamp" ] || die "$ROOT is not set up (run: $0 setup $ROOT)"
    grep -qx "root=$ROOT" "$ROOT/.wine-arm64-stamp" || die "$ROOT was set up at another path; run setup again"
    [ -f "$exe" ] || die "no such program: $exe"

    export WINEPREFIX=$prefix QEMU_LD_PREFIX=$ROOT
    export WINEDEBUG=${WINEDEBUG:--all}
    export WINEDLLOVERRIDES=${WINEDLLOVERRIDES-mscoree,mshtml=}
    export WINESERVER=$ROOT/usr/lib/wine/wineserver
    unset WINELOADER WINELOADERNOEXEC WINEARCH
    local wine=("$QEMU" -L "$ROOT" "$ROOT/usr/lib/wine/wine64")

    mkdir -p "$prefix"
    exec 9> "$prefix/.wine-arm64.lock"
    flock 9
    if [ ! -f "$prefix/system.reg" ]; then
        t0=$(now)
        "${wine[@]}" wineboot -i </dev/null >"$prefix/.wine-arm64-wineboot.log" 2>&1 9>&- ||
            { cat "$prefix/.wine-arm64-wineboot.log" >&2; die "creating the wine prefix $prefix failed"; }
        "$WINESERVER" -w 9>&- || true
        [ -f "$prefix/system.reg" ] || { cat "$prefix/.wine-arm64-wineboot.log" >&2; die "wineboot did not create $prefix"; }
        say "prefix $prefix created in $(since "$t0")s"
    fi
    map_drive "$prefix" "$PWD"
    map_drive "$prefix" "$exe"
    local dll
    for dll in ${WINE_ARM64_DLLS:-}; do
        [ -f "$dll" ] || die "WINE_ARM64_DLLS: no such file: $dll"
        cmp -s "$dll" "$prefix/drive_c/windows/system32/$(basename "$dll")" ||
            cp "$dll" "$prefix/drive_c/windows/system32/"
    done
    # Start the wineserver and wine's system processes (services.exe, explorer.exe, ...)
    # detached from our stdout/stderr: started by EXE they would inherit its pipes and keep
    # a caller that reads them waiting until they exit.
    "$WINESERVER" -p"${WINE_ARM64_PERSIST:-30}" </dev/null >/dev/null 2>&1 9>&- || true
    "${wine[@]}" wineboot </dev/null >/dev/null 2>&1 9>&- || true
    flock -u 9
    exec 9>&-
    exec "${wine[@]}" "$exe" "$@"
}

case "${1:-}" in
    setup) shift; cmd_setup "$@" ;;
    run) shift; cmd_run "$@" ;;
    *) echo "usage: $0 setup ROOT | $0 run ROOT PREFIX EXE [ARGS...]" >&2; exit 2 ;;
esac
