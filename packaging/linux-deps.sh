#!/usr/bin/env bash
# System libraries Logline uses on Linux, installed with apt-get when we are root on Debian/Ubuntu.
# Everything here is optional for correctness, so this script never fails the build: without root
# or apt it prints the one command that would install what is missing and carries on.
#
#   blas : OpenBLAS (libopenblas0-pthread). MLX's CPU wheel ships the slow reference BLAS; Logline
#          loads OpenBLAS instead when present (~35x faster float32 matrix products).
#   gui  : the X11 (xcb) libraries Qt's window system plugin needs beyond a base system.
#   screen: a virtual X display (Xvfb, with xvfb-run) for `make screenshots` on a headless machine.
set -u
[[ "$(uname -s)" == "Linux" ]] || exit 0

want=()
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }

for part in "$@"; do
  case "$part" in
    blas)
      have_lib 'libopenblas\.so\.0' || want+=(libopenblas0-pthread) ;;
    gui)
      have_lib 'libxcb-cursor\.so\.0'   || want+=(libxcb-cursor0)
      have_lib 'libxcb-icccm\.so\.4'    || want+=(libxcb-icccm4)
      have_lib 'libxcb-keysyms\.so\.1'  || want+=(libxcb-keysyms1)
      have_lib 'libxcb-shape\.so\.0'    || want+=(libxcb-shape0)
      have_lib 'libxcb-image\.so\.0'    || want+=(libxcb-image0)
      have_lib 'libxcb-render-util\.so\.0' || want+=(libxcb-render-util0)
      have_lib 'libglib-2\.0\.so\.0'     || want+=(libglib2.0-0)
      have_lib 'libxkbcommon-x11\.so\.0' || want+=(libxkbcommon-x11-0)
      have_lib 'libEGL\.so\.1'          || want+=(libegl1)
      have_lib 'libGL\.so\.1'           || want+=(libgl1)
      have_lib 'libfontconfig\.so\.1'   || want+=(libfontconfig1)
      have_lib 'libdbus-1\.so\.3'       || want+=(libdbus-1-3) ;;
    screen)
      command -v xvfb-run >/dev/null 2>&1 && command -v Xvfb >/dev/null 2>&1 || want+=(xvfb) ;;
    *) echo "linux-deps.sh: unknown part '$part'" >&2 ;;
  esac
done
((${#want[@]})) || exit 0

if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system libraries: ${want[*]}"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
           --no-install-recommends "${want[@]}" >/dev/null; }; then
    echo "warning: could not install ${want[*]}; Logline still works, more slowly or without a window." >&2
  fi
else
  echo "note: for full speed and the app window, install: sudo apt-get install ${want[*]}" >&2
fi
exit 0
