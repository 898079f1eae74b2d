#!/bin/sh
# llama.sh - makes a CPU-only, static build of llama.cpp available to docent.
#
# A system llama.cpp found by pkg-config is used as is. Otherwise llama.cpp is
# built once from pinned source: the git bundle inside the npm package
# node-llama-cpp@3.21.1 (checked against its sha512), checked out at
# LLAMA_COMMIT, built with cmake into a cache keyed by commit,
#     ${XDG_CACHE_HOME:-$HOME/.cache}/docent/llama.cpp-<commit>/
#         src/ (the clone)  include/  lib/ (static libs)  bin/ (tools)
#         llama.env (the flags)  .complete (the stamp)
# so that every clone and CI run on the machine reuses it. The build runs in a
# temporary directory renamed into place when done: an interrupted build is
# never mistaken for a complete one. See docs/llama.md.
#
#   scripts/llama.sh            build if needed, print llama.env (KEY='value')
#   scripts/llama.sh --cflags   build if needed, print the compiler flags
#   scripts/llama.sh --libs     build if needed, print the linker flags
#   scripts/llama.sh --print-make   the same as make assignments
#   scripts/llama.sh --prefix | --bin   build if needed, print that directory
#   scripts/llama.sh --src      print the pinned source tree (fetched if needed,
#                               not built): gguf-py/ and models/ are used there
#   scripts/llama.sh --python   print a python3 that has numpy (installs
#                               python3-numpy as root)
#   scripts/llama.sh --rebuild  discard the cached build and build again
#
# Progress and errors go to stderr; stdout carries only the answer.
# Environment: LLAMA_JOBS (parallel compile jobs, default 2), LLAMA_TARBALL
# (a local copy of the npm tarball), XDG_CACHE_HOME.
set -eu

LLAMA_COMMIT=80fb11ac73e66d89eae2c6a91d8a77428fa733ed
NPM_SPEC=node-llama-cpp@3.21.1
NPM_TGZ=node-llama-cpp-3.21.1.tgz
# sha512 of the npm tarball, used when `npm view` cannot answer (offline).
NPM_SHA512=13737412fd956b4c33c9dbd7605c0cf47bf2a34ecfa168edf13ffd18c738dc2bedf18915fcd53fb5852010c0b582b4cfbf6a3d3d18d08b41b759be4ffdac2232
# Bump when the cmake flags or the installed layout change: a cache built
# with another recipe is rebuilt.
RECIPE=1
# Portable x86-64-v3 (AVX2, FMA, F16C, BMI2) rather than -march=native: the
# cache may be shared between machines; on this AMD EPYC (no AVX-512) native
# would pick the same instructions. OpenMP off: ggml's own thread pool, no
# libgomp to link statically, nothing for the sanitizers to trip over.
CMAKE_FLAGS="-DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF
 -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DGGML_NATIVE=OFF -DGGML_OPENMP=OFF
 -DGGML_BLAS=OFF -DGGML_CCACHE=OFF -DGGML_BACKEND_DL=OFF
 -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=ON -DLLAMA_BUILD_TOOLS=ON
 -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_UI=OFF
 -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF"
TARGETS="llama ggml llama-server llama-embedding llama-bench llama-quantize
 llama-simple llama-cli llama-tokenize"

short=$(printf %.7s "$LLAMA_COMMIT")
cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/docent
dest=$cache_root/llama.cpp-$LLAMA_COMMIT
stamp_want="commit=$LLAMA_COMMIT recipe=$RECIPE"

say() { printf 'llama.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# Prints one field of a complete cached build's llama.env, or fails.
env_get() {
	[ -f "$dest/.complete" ] || return 1
	IFS= read -r got <"$dest/.complete" || return 1
	[ "$got" = "$stamp_want" ] || return 1
	sed -n "s/^$1='\\(.*\\)'\$/\\1/p" "$dest/llama.env"
}

# Debian packages for the commands the build needs: installed as root,
# otherwise the command to run is printed (as scripts/bootstrap.sh does).
need_debs() {
	missing=""
	for item in "$@"; do
		cmd=${item%%:*}; deb=${item#*:}
		command -v "$cmd" >/dev/null 2>&1 && continue
		missing="$missing $deb"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
		say "installing missing Debian packages:$missing"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >/dev/null || true
		# shellcheck disable=SC2086
		apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
			die "apt-get install$missing failed"
	else
		die "these Debian packages are missing:$missing
llama.sh: install them with:  sudo apt-get install$missing"
	fi
}

# Hex sha512 from an npm integrity string "sha512-<base64>".
integrity_hex() {
	printf '%s' "${1#sha512-}" | base64 -d 2>/dev/null | od -An -v -tx1 | tr -d ' \n'
}

# Fetches and verifies the npm tarball, clones the bundle into $1 at the
# pinned commit. $2 is a scratch directory.
fetch_source() {
	src=$1 work=$2
	tgz=${LLAMA_TARBALL:-}
	[ -z "$tgz" ] && [ -f "/tmp/nlc/$NPM_TGZ" ] && tgz=/tmp/nlc/$NPM_TGZ
	if [ -z "$tgz" ]; then
		say "downloading $NPM_SPEC with npm pack (35 MB)..."
		(cd "$work" && npm pack --silent "$NPM_SPEC" >/dev/null) ||
			die "npm pack $NPM_SPEC failed: check the npm registry is reachable, or set LLAMA_TARBALL to a copy of $NPM_TGZ"
		tgz=$work/$NPM_TGZ
	fi
	[ -f "$tgz" ] || die "no tarball at $tgz"
	got=$(sha512sum "$tgz" | cut -d' ' -f1)
	npm_int=$(timeout 60 npm view "$NPM_SPEC" dist.integrity 2>/dev/null || true)
	if [ -n "$npm_int" ]; then
		want=$(integrity_hex "$npm_int")
		[ "$want" = "$NPM_SHA512" ] ||
			die "the registry's sha512 for $NPM_SPEC differs from the one recorded in scripts/llama.sh; refusing to build"
	else
		say "npm view cannot answer; checking against the sha512 recorded here"
		want=$NPM_SHA512
	fi
	[ "$got" = "$want" ] ||
		die "$tgz: sha512 mismatch (got $got); delete it and run again"
	say "tarball sha512 ok"
	tar -xzf "$tgz" -C "$work" package/llama/gitRelease.bundle ||
		die "$tgz has no package/llama/gitRelease.bundle"
	git -c advice.detachedHead=false clone --quiet --no-checkout \
		"$work/package/llama/gitRelease.bundle" "$src" >&2 ||
		die "git clone of the bundle failed"
	git -C "$src" -c advice.detachedHead=false checkout --quiet --detach "$LLAMA_COMMIT" >&2 ||
		die "commit $LLAMA_COMMIT is not in the bundle"
	head=$(git -C "$src" rev-parse HEAD)
	[ "$head" = "$LLAMA_COMMIT" ] || die "HEAD is $head, not $LLAMA_COMMIT"
	rm -f "$work/package/llama/gitRelease.bundle"
}

build() {
	need_debs cmake:cmake g++:g++ git:git make:make npm:npm tar:tar flock:util-linux
	mkdir -p "$cache_root"
	exec 9>"$cache_root/.llama.lock"
	if ! flock -n 9; then
		say "another llama.cpp build is running; waiting for it..."
		flock 9
	fi
	# The other build may have finished what we came to do.
	[ "$rebuild" = 0 ] && env_get LLAMA_PREFIX >/dev/null 2>&1 && return 0
	rm -rf "$cache_root"/.llama.cpp-*.tmp.* "$cache_root"/.llama.cpp-*.old.*

	tmp=$cache_root/.llama.cpp-$LLAMA_COMMIT.tmp.$$
	trap 'rm -rf "$tmp"' EXIT INT TERM HUP
	mkdir -p "$tmp/work"
	say "building llama.cpp $short (about 11 minutes on 2 cores, once)..."
	t0=$(date +%s)
	fetch_source "$tmp/src" "$tmp/work"

	jobs=${LLAMA_JOBS:-2}
	say "cmake configure..."
	# shellcheck disable=SC2086
	cmake -S "$tmp/src" -B "$tmp/build" $CMAKE_FLAGS >"$tmp/build.log" 2>&1 || {
		tail -n 20 "$tmp/build.log" >&2
		cp "$tmp/build.log" "$cache_root/llama-failed-build.log"
		die "cmake configure failed; the full log is $cache_root/llama-failed-build.log"
	}
	say "compiling with -j$jobs (log: $tmp/build.log)..."
	# shellcheck disable=SC2086
	cmake --build "$tmp/build" -j "$jobs" --target $TARGETS >>"$tmp/build.log" 2>&1 || {
		tail -n 20 "$tmp/build.log" >&2
		cp "$tmp/build.log" "$cache_root/llama-failed-build.log"
		die "build failed; the full log is $cache_root/llama-failed-build.log"
	}

	mkdir -p "$tmp/include" "$tmp/lib" "$tmp/bin"
	cp "$tmp/src/include/"*.h "$tmp/src/ggml/include/"*.h "$tmp/include/"
	for a in libllama.a libggml.a libggml-cpu.a libggml-base.a; do
		f=$(find "$tmp/build" -name "$a" -type f | head -n 1)
		[ -n "$f" ] || die "build produced no $a"
		cp "$f" "$tmp/lib/"
	done
	for t in $TARGETS; do
		if [ -x "$tmp/build/bin/$t" ]; then cp "$tmp/build/bin/$t" "$tmp/bin/"; fi
	done
	rm -rf "$tmp/build" "$tmp/work"

	# Link order: llama, then the ggml libs it uses, then the C++ runtime.
	cat >"$tmp/llama.env" <<EOF
LLAMA_COMMIT='$LLAMA_COMMIT'
LLAMA_PREFIX='$dest'
LLAMA_SRC='$dest/src'
LLAMA_BIN='$dest/bin'
LLAMA_CFLAGS='-I$dest/include'
LLAMA_LIBS='$dest/lib/libllama.a $dest/lib/libggml.a $dest/lib/libggml-cpu.a $dest/lib/libggml-base.a -lstdc++ -lm -lpthread -ldl'
EOF
	printf '%s\n' "$stamp_want" >"$tmp/.complete"
	if [ -e "$dest" ]; then
		mv "$dest" "$cache_root/.llama.cpp-$LLAMA_COMMIT.old.$$"
	fi
	mv "$tmp" "$dest"
	rm -rf "$cache_root/.llama.cpp-$LLAMA_COMMIT.old.$$"
	trap - EXIT INT TERM HUP
	t1=$(date +%s)
	say "llama.cpp $short built in $((t1 - t0)) s: $dest"
}

# A system llama.cpp (pkg-config) wins over the pinned build.
system_llama() {
	[ "${LLAMA_NO_SYSTEM:-0}" = 0 ] && command -v pkg-config >/dev/null 2>&1 &&
		pkg-config --exists llama 2>/dev/null
}

ensure() {
	env_get LLAMA_PREFIX >/dev/null 2>&1 || build
}

# The pinned source alone, for gguf-py and the vocabulary files: the full
# build's clone when there is one, otherwise a source-only fetch.
ensure_src() {
	if env_get LLAMA_SRC >/dev/null 2>&1; then env_get LLAMA_SRC; return; fi
	if system_llama; then
		s=$cache_root/llama.cpp-$LLAMA_COMMIT-src
		if [ ! -f "$s/.complete" ]; then
			need_debs git:git npm:npm tar:tar
			mkdir -p "$cache_root"
			t=$cache_root/.llama.cpp-src.tmp.$$
			trap 'rm -rf "$t"' EXIT INT TERM HUP
			rm -rf "$t"; mkdir -p "$t/work"
			fetch_source "$t/src" "$t/work"
			rm -rf "$t/work"; : >"$t/.complete"
			rm -rf "$s"; mv "$t" "$s"
			trap - EXIT INT TERM HUP
		fi
		printf '%s\n' "$s/src"
		return
	fi
	build
	env_get LLAMA_SRC
}

find_python() {
	for py in python3 /usr/bin/python3; do
		command -v "$py" >/dev/null 2>&1 || continue
		if "$py" -c 'import numpy' 2>/dev/null; then command -v "$py"; return 0; fi
	done
	if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
		say "installing python3-numpy (for the model generator)"
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y -qq --no-install-recommends python3-numpy >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null || true
			  apt-get install -y -qq --no-install-recommends python3-numpy >/dev/null; } ||
			die "apt-get install python3-numpy failed"
		/usr/bin/python3 -c 'import numpy' 2>/dev/null && { echo /usr/bin/python3; return 0; }
	fi
	die "no python3 with numpy; install it with:  sudo apt-get install python3-numpy"
}

what=${1:---env}
rebuild=0
case $what in
--env|--cflags|--libs|--print-make|--prefix|--bin) ;;
--rebuild) rebuild=1; build; exit 0 ;;
--python) find_python; exit 0 ;;
--src) ensure_src; exit 0 ;;
-h|--help) sed -n '2,/^set -eu/p' "$0" | sed -e 's/^# \{0,1\}//' -e '/^set -eu/d'; exit 0 ;;
*) die "unknown option $what (see scripts/llama.sh --help)" ;;
esac

if system_llama; then
	case $what in
	--cflags) pkg-config --cflags llama ;;
	--libs) pkg-config --static --libs llama ;;
	--print-make)
		printf 'LLAMA_CFLAGS := %s\nLLAMA_LIBS := %s\n' \
			"$(pkg-config --cflags llama)" "$(pkg-config --static --libs llama)" ;;
	--env)
		printf "LLAMA_CFLAGS='%s'\nLLAMA_LIBS='%s'\n" \
			"$(pkg-config --cflags llama)" "$(pkg-config --static --libs llama)" ;;
	--prefix) pkg-config --variable=prefix llama ;;
	--bin) printf '%s/bin\n' "$(pkg-config --variable=prefix llama)" ;;
	esac
	exit 0
fi

ensure
case $what in
--cflags) env_get LLAMA_CFLAGS ;;
--libs) env_get LLAMA_LIBS ;;
--prefix) env_get LLAMA_PREFIX ;;
--bin) env_get LLAMA_BIN ;;
--env) cat "$dest/llama.env" ;;
--print-make) sed -e "s/^\\([A-Z_]*\\)='\\(.*\\)'\$/\\1 := \\2/" "$dest/llama.env" ;;
esac
