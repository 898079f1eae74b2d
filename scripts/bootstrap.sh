#!/bin/sh
# bootstrap.sh - makes sure what docent needs to build is on this machine.
#
# Checks the pkg-config modules and tools the build and the tests use. When
# some are missing: as root it installs Debian's packages with apt-get;
# otherwise it prints the exact command to run, and fails.
#
# With --fuzz (what `make fuzz` runs) it also checks for clang, its
# libFuzzer and sanitizer runtimes (libclang-rt-14-dev) and llvm's
# symbolizer; the normal build and `make test` need none of them.
set -eu

# pkg-config module or file  ->  Debian package
need="
pkg:sqlite3:libsqlite3-dev
pkg:libpcre2-8:libpcre2-dev
pkg:poppler-glib:libpoppler-glib-dev
pkg:libzip:libzip-dev
pkg:libxml-2.0:libxml2-dev
pkg:md4c:libmd4c-dev
pkg:libutf8proc:libutf8proc-dev
pkg:inih:libinih-dev
pkg:jansson:libjansson-dev
pkg:libcrypto:libssl-dev
pkg:libcurl:libcurl4-openssl-dev
pkg:libedit:libedit-dev
pkg:libmicrohttpd:libmicrohttpd-dev
file:/usr/include/faiss/c_api/Index_c.h:libfaiss-dev
file:/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3:libopenblas0-openmp
cmd:c++:g++
pkg:cmocka:libcmocka-dev
file:/usr/include/csv.h:libcsv-dev
file:/usr/include/libstemmer.h:libstemmer-dev
cmd:cc:gcc
cmd:make:make
cmd:pkg-config:pkg-config
cmd:python3:python3
cmd:sqlite3:sqlite3
cmd:zip:zip
cmd:node:nodejs
cmd:npm:npm
cmd:chromium:chromium
cmd:wrk:wrk
cmd:pdftotext:poppler-utils
"
if [ "${1:-}" = "--fuzz" ]; then
	need="$need
cmd:clang:clang
file:/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a:libclang-rt-14-dev
cmd:llvm-symbolizer:llvm
"
fi

missing=""
for item in $need; do
	kind=${item%%:*}; rest=${item#*:}; what=${rest%:*}; deb=${rest##*:}
	case $kind in
	pkg) pkg-config --exists "$what" 2>/dev/null && continue ;;
	file) [ -e "$what" ] && continue ;;
	cmd) command -v "$what" >/dev/null 2>&1 && continue ;;
	esac
	case " $missing " in *" $deb "*) ;; *) missing="$missing $deb" ;; esac
done

# The page's libraries and bundler, and the API's test clients, from npm
# (web/package.json, versions pinned by web/package-lock.json): installed
# again only when the lock file changes.
npm_modules() {
	web=$(cd "$(dirname "$0")/../web" && pwd)
	stamp="$web/node_modules/.docent-lock"
	want=$(sha256sum "$web/package-lock.json" | cut -d' ' -f1)
	[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
	echo "bootstrap: installing the web page's npm packages (web/package-lock.json)"
	(cd "$web" && npm ci --no-audit --no-fund --loglevel=error) || {
		echo "bootstrap: npm ci failed in $web: is the npm registry reachable?" >&2
		exit 1
	}
	echo "$want" >"$stamp"
}

if [ -z "$missing" ]; then
	npm_modules
	exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "bootstrap: installing missing Debian packages:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null || true
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
	echo "bootstrap: done"
	npm_modules
else
	echo "bootstrap: these Debian packages are missing:$missing" >&2
	echo "bootstrap: install them with:  sudo apt-get install$missing" >&2
	exit 1
fi
