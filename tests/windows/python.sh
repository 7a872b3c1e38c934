#!/usr/bin/env bash
# Runs a Windows CPython provisioned by tests/windows/provision.sh, under Wine:
#
#   tests/windows/python.sh VERSION [ARGS...]     e.g. tests/windows/python.sh 3.13 -m pytest
#
# Under Wine, python.exe needs pipes, not files, for stdout and stderr (given a file it
# aborts with "can't initialize sys standard streams"): both go through `cat`. Its exit
# status is this script's. PIP_FIND_LINKS and PIP_CONSTRAINT of the host (Linux paths)
# are not passed on. The cache is $CFFI_FORGE_TEST_CACHE (default
# ~/.cache/cffi-forge-tests), as for provision.sh.
set -uo pipefail

if [ $# -lt 1 ]; then
    echo "usage: $0 VERSION [ARGS...]  (VERSION: 3.8 or 3.13)" >&2
    exit 2
fi
version=$1
shift
cache="${CFFI_FORGE_TEST_CACHE:-$HOME/.cache/cffi-forge-tests}"
root="$cache/windows"
exe="$root/cp${version/./}/python.exe"
if [ ! -f "$exe" ]; then
    echo "python.sh: no Windows Python $version at $exe: run tests/windows/provision.sh first" >&2
    exit 2
fi
export WINEPREFIX="$root/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
# Start the wineserver (kept 30 s after its last client, so back-to-back runs start fast)
# and Wine's background services with no stdio of ours: started by python.exe they would
# inherit its stdout/stderr pipes and a caller reading them would wait for their end.
wineserver -p 30 </dev/null >/dev/null 2>&1 || true
wine cmd /c exit </dev/null >/dev/null 2>&1 || true
unset PIP_FIND_LINKS PIP_CONSTRAINT PYTHONPATH PYTHONHOME VIRTUAL_ENV
# stderr through its own pipe, stdout through cat; the status is python.exe's.
{ wine "$exe" "$@" 2> >(cat >&2); } | cat
exit "${PIPESTATUS[0]}"
