#!/usr/bin/env bash
# What the tests need beyond Python packages: Debian's chromium, for the test that renders the
# HTML report headless. Best effort: without root or apt, that one test skips and says why.
set -uo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium for the report rendering test (apt-get)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/tmp/corpusmill-apt.log 2>&1 \
        || (apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/tmp/corpusmill-apt.log 2>&1) \
        || echo "chromium could not be installed (see /tmp/corpusmill-apt.log); the rendering test will skip" >&2
else
    echo "chromium not found and cannot be installed here; the rendering test will skip" >&2
fi
exit 0
