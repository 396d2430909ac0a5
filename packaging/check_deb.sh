#!/usr/bin/env bash
# Install the built .deb into a clean Debian root and use it there, as a user would.
#
#   sudo debootstrap --variant=minbase bookworm BASE http://deb.debian.org/debian   # once
#   sudo bash packaging/check_deb.sh BASE build/briefcase/dist/logline_*.deb OUTDIR
#
# BASE stays untouched: each run copies it to BASE.run. In the copy (chroot, as root):
#   1. dpkg -i the package (it fails on the missing dependencies, as on any fresh system), then
#      apt-get -f install pulls them from Debian: Python 3.11, OpenBLAS, Qt's X11/GL libraries;
#   2. logline --version;
#   3. logline summarize of the bundled sample script with the embedded model, in a network
#      namespace with no interfaces (unshare -n): offline by construction, not by setting;
#   4. the GUI under Xvfb (xvfb-run from Debian, installed after step 1 checked that Qt's X11
#      plugin finds every library it links to through the package's dependencies alone), opening
#      the sample script; the app saves a screenshot of its window (LOGLINE_SCREENSHOT), offline.
# OUTDIR gets check.txt (the whole output), summary.md and window.png. Exit 0 when all passed.
set -euo pipefail
BASE=$(realpath "$1")
DEB=$(realpath "$2")
OUTDIR=$(mkdir -p "$3" && realpath "$3")
ROOT=$BASE.run
exec > >(tee "$OUTDIR/check.txt") 2>&1

step() { echo "=== $* ($(date -u +%H:%M:%S))"; }
in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@"; }
offline() { unshare -n chroot "$ROOT" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/home/user LANG=C.UTF-8 \
    LOGLINE_HOME=/home/user/logline "$@"; }

cleanup() { umount "$ROOT/proc" 2>/dev/null || true; }
trap cleanup EXIT
step "fresh copy of $BASE"
rm -rf "$ROOT" && cp -a "$BASE" "$ROOT"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
mount -t proc proc "$ROOT/proc"
cp "$DEB" "$ROOT/tmp/"
in_root dpkg-query -W -f '${Package}\n' | wc -l | sed 's/^/packages in the clean root: /'

step "1. dpkg -i $(basename "$DEB"), then apt-get -f install"
in_root apt-get update -qq
in_root dpkg -i "/tmp/$(basename "$DEB")" || echo "(dpkg -i: dependencies missing, as expected)"
in_root env DEBIAN_FRONTEND=noninteractive apt-get -f install -y -qq --no-install-recommends
in_root dpkg -s logline | grep -E '^(Status|Version|Depends):'
in_root cat /usr/share/applications/app.logline.logline.desktop
in_root ls /usr/share/mime/packages/ /usr/share/icons/hicolor/512x512/apps/
# Before anything else is installed: the package's dependencies alone give Qt's X11 plugin
# every library it links to.
QT=/usr/lib/logline/app_packages/PySide6/Qt
MISSING=$(in_root env LD_LIBRARY_PATH=$QT/lib ldd $QT/plugins/platforms/libqxcb.so | grep -c "not found" || true)
echo "libraries Qt's xcb plugin cannot find: $MISSING"
[ "$MISSING" -eq 0 ]

step "2. logline --version"
in_root logline --version

step "3. logline summarize, offline, with the embedded model"
mkdir -p "$ROOT/home/user"
SAMPLE=$(in_root find /usr/lib/logline -name sample.fountain | head -1)
echo "network interfaces seen offline (only lo, down):"; offline cat /proc/net/dev
offline logline summarize "$SAMPLE" --max-tokens 120 >"$OUTDIR/summary.md"
echo "summary: $(wc -w <"$OUTDIR/summary.md") words"; head -c 600 "$OUTDIR/summary.md"; echo

step "4. the window under Xvfb, offline"
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    xvfb xauth >/dev/null
offline env LOGLINE_SCREENSHOT=/tmp/window.png LOGLINE_SCREENSHOT_DELAY_MS=4000 \
    xvfb-run -a -s "-screen 0 1280x800x24" logline "$SAMPLE"
cp "$ROOT/tmp/window.png" "$OUTDIR/window.png"
ls -la "$OUTDIR"
step "all checks passed"
