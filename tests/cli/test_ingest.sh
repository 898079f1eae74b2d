#!/bin/sh
# test_ingest.sh - what `docent init` and `docent ingest` promise around
# the edges: init (twice, on a fresh folder), --exclude, --hidden, --force,
# an empty folder, an empty path, a file that cannot be read and a data
# directory that may only be read (as an unprivileged user: root reads and
# writes everything), and two processes creating a new database at once.
. "$(dirname "$0")/lib.sh"

# ---- init ----
t "init creates the database" ok "docent is ready: database $DOCENT_HOME/docent.db" "$DOCENT" init
t "... which is a docent database" json_check 'assert d["documents"] == 0 and d["schema_version"] > 0, d' \
	"$DOCENT" stats --json
t "init again leaves it as it is" ok "docent is ready" "$DOCENT" init
t "init takes no argument" expect_status 2 "$DOCENT" init somewhere
t "init in a data directory that cannot be made" expect_error 1 "$TMP/file-not-dir" \
	sh -c ': >"$1"; DOCENT_HOME="$1/home" "$0" init' "$DOCENT" "$TMP/file-not-dir"

# ---- an empty folder, an empty path ----
mkdir -p "$TMP/empty/nothing"
t "an empty folder ingests nothing and succeeds" json_check \
	'assert d["files"] == 0 and d["added"] == 0 and d["failed"] == 0, d' \
	"$DOCENT" ingest --json "$TMP/empty"
t "an empty path is a usage error" expect_error 2 "an empty path" "$DOCENT" ingest ""
t "... also after a real one" expect_status 2 "$DOCENT" ingest "$TMP/empty" ""
t "... and nothing was ingested" json_check 'assert d["documents"] == 0, d' "$DOCENT" stats --json

# ---- files that are not what they say ----
E="$TMP/odd"
mkdir -p "$E"
: >"$E/empty.txt"
python3 -c 'import sys; open(sys.argv[1], "wb").write("UTF-16 words on an okapi.\n".encode("utf-16-le"))' "$E/u16.txt"
t "an empty file is skipped, not a failure (exit 0)" json_check '
e = d["events"][0]
assert d["skipped"] == 1 and d["failed"] == 0 and e["event"] == "skipped" and "empty" in e["message"], d' \
	"$DOCENT" ingest --json -c odd "$E/empty.txt"
# a file ingested, then emptied: its old text is not searchable any more
printf 'A note about the okapi quagga.\n' >"$E/later.txt"
t "(a file ingested)" expect_status 0 "$DOCENT" ingest -q -c odd "$E/later.txt"
t "(its words found)" ok "later.txt" "$DOCENT" search -c odd quagga
: >"$E/later.txt"
t "the file emptied: its document is removed, not kept" json_check '
e = d["events"][0]
assert d["pruned"] == 1 and d["skipped"] == 0 and e["event"] == "pruned", d
assert e["message"].startswith("the file holds no document now") and "empty" in e["message"], d' \
	"$DOCENT" ingest --json -c odd "$E/later.txt"
t "... and its words are not found" ok_lacks "later.txt" "$DOCENT" search -c odd quagga
t "... an empty file never stored is skipped as before" json_check '
assert d["skipped"] == 1 and d["pruned"] == 0, d' "$DOCENT" ingest --json -c odd "$E/later.txt"
rm "$E/later.txt"
t "UTF-16 without a byte-order mark is named, not called binary" \
	expect_error 1 "u16.txt: UTF-16LE text without a byte-order mark" "$DOCENT" ingest -c odd "$E"
t "(the collection for odd files removed)" expect_status 0 "$DOCENT" collections rm odd

# ---- a short summary without -v ----
mkdir -p "$E/many"
for i in $(seq 1 13); do printf '\177ELF\002\001binary %s' "$i" >"$E/many/bad$i.txt"; done
t "the summary names ten failures and counts the rest" expect_error 1 "... and 3 more (-v lists every file" \
	"$DOCENT" ingest -c many "$E/many"
t "... -v names them all" sh -c '"$0" ingest -v -c many2 "$1" >"$2" 2>&1; [ $? -eq 1 ] &&
[ "$(grep -c "^  .*bad[0-9]*.txt: binary" "$2")" -eq 13 ] && ! grep -q "more (-v" "$2"' "$DOCENT" "$E/many" "$TMP/v.out"
"$DOCENT" collections rm many >/dev/null 2>&1
"$DOCENT" collections rm many2 >/dev/null 2>&1

# ---- --exclude and --hidden ----
C="$TMP/c"
mkdir -p "$C/build" "$C/.notes" "$C/src"
printf 'the aardvark report\n' >"$C/a.txt"
printf 'build output mentions bandicoot\n' >"$C/build/out.txt"
printf 'a log line about a capybara\n' >"$C/run.log"
printf 'source text on a dugong\n' >"$C/src/main.txt"
printf 'hidden notes on an echidna\n' >"$C/.notes/n.txt"
printf 'a hidden file on a fossa\n' >"$C/.fossa.txt"

t "-x skips a file pattern and a folder" json_check '
ev = {e["path"].rsplit("/", 1)[1]: e for e in d["events"]}
assert ev["run.log"]["event"] == "skipped" and "exclude" in ev["run.log"]["message"], ev
assert ev["build"]["event"] == "skipped" and "exclude" in ev["build"]["message"], ev
assert d["added"] == 2, d' "$DOCENT" ingest --json -x "*.log" --exclude "build/" "$C"
t "... excluded text is not searchable" ok "No results" "$DOCENT" search capybara bandicoot
t "... the rest is" ok "main.txt" "$DOCENT" search dugong
t "hidden files and folders are skipped by default" ok "No results" "$DOCENT" search echidna fossa
t "--hidden takes them in" json_check 'assert d["added"] == 2, d' \
	"$DOCENT" ingest --json --hidden -x "*.log" -x "build/" "$C"
t "... the hidden folder's file" ok ".notes/n.txt" "$DOCENT" search echidna
t "... and the hidden file" ok ".fossa.txt" "$DOCENT" search fossa
t "without -x the excluded files come in" json_check 'assert d["added"] == 2, d' \
	"$DOCENT" ingest --json --hidden "$C"
t "... and are found" ok "run.log" "$DOCENT" search capybara

# ---- --force ----
total=$(cat "$C/a.txt" "$C/build/out.txt" "$C/run.log" "$C/src/main.txt" "$C/.notes/n.txt" "$C/.fossa.txt" | wc -c)
t "an unchanged folder reads nothing" json_check \
	'assert d["unchanged"] == 6 and d["bytes"] == 0 and d["added"] == 0, d' \
	"$DOCENT" ingest --json --hidden "$C"
t "--force reads every file again" json_check \
	"assert d['bytes'] == $total and d['files'] == 6 and d['added'] == 0 and d['failed'] == 0, d" \
	"$DOCENT" ingest --json --hidden --force "$C"
t "... and stores each once" json_check 'assert d["documents"] == 6, d' "$DOCENT" stats --json
t "... still searchable" ok "a.txt" "$DOCENT" search aardvark

# ---- a file that cannot be read ----
# Root reads any file, so the check runs docent as an unprivileged user.
P="$TMP/perm"
mkdir -p "$P/docs" "$P/home"
printf 'words anyone may read about a gerenuk\n' >"$P/docs/open.txt"
printf 'words nobody may read about a hoatzin\n' >"$P/docs/locked.txt"
chmod 000 "$P/docs/locked.txt"
as_user=""
if [ "$(id -u)" -eq 0 ]; then
	if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1; then
		chmod 755 "$P" "$P/docs"
		chown nobody "$P/home"
		as_user="setpriv --reuid=nobody --regid=$(id -g nobody) --clear-groups"
	else
		as_user=none
	fi
fi
if [ "$as_user" = none ]; then
	skip "running as root with no user nobody (or no setpriv) to read as"
fi
# as_docent ARGS...: docent as the unprivileged user (or as we are)
as_docent() {
	$as_user env HOME="$P" DOCENT_HOME="$P/home" "$DOCENT" "$@"
}
# as_reader ARGS...: the same on the read-only data directory $R
as_reader() {
	$as_user env HOME="$P" DOCENT_HOME="$R" "$DOCENT" "$@"
}
t "an unreadable file fails the ingest (exit 1)" expect_error 1 "locked.txt: cannot open: Permission denied" \
	as_docent ingest "$P/docs"
t "... the readable one is in" ok "open.txt" as_docent search gerenuk
t "... the unreadable one is listed as failed" ok "locked.txt" as_docent docs --failed
t "... and its text is nowhere" ok "No results" as_docent search hoatzin
t "a second run counts it as still failing, exit 0" ok "1 file still fails as on an earlier run" \
	as_docent ingest "$P/docs"
chmod 644 "$P/docs/locked.txt"
t "once it can be read, the next run takes it in" json_check \
	'assert d["added"] + d["updated"] == 1 and d["failed"] == d["still_failed"] == 0, d' \
	as_docent ingest --json "$P/docs"
t "... and it is found" ok "locked.txt" as_docent search hoatzin

# ---- a data directory that may only be read ----
R="$TMP/readonly"
t "a database made by its owner" expect_status 0 env DOCENT_HOME="$R" "$DOCENT" ingest -q "$P/docs/open.txt"
chmod 755 "$TMP"
chmod 555 "$R"
chmod 444 "$R/docent.db"
t "a read-only data directory still allows search" ok "open.txt" as_reader search gerenuk
t "... and docs and stats" ok "1 (0 failed)" as_reader stats
t "... stats --check says what it could not check" expect_error 1 "keyword index NOT CHECKED" \
	as_reader stats --check
t "... a command that writes says why it cannot" expect_error 1 "readonly database" \
	as_reader rm "$P/docs/open.txt"
chmod 755 "$R"
chmod 644 "$R/docent.db"
chmod 711 "$TMP"

# ---- two processes creating a new database at once ----
# PRAGMA journal_mode = WAL needs the database alone and did not wait for
# the other process: one of them sometimes failed with "database is locked"
race() {
	i=0
	while [ $i -lt 12 ]; do
		h="$TMP/race$i"
		DOCENT_HOME="$h" "$DOCENT" init >"$h.1" 2>&1 &
		p1=$!
		DOCENT_HOME="$h" "$DOCENT" ingest -q "$C/a.txt" >"$h.2" 2>&1 &
		p2=$!
		DOCENT_HOME="$h" "$DOCENT" init >"$h.3" 2>&1 &
		p3=$!
		for p in $p1 $p2 $p3; do
			wait $p || { echo "round $i: a process failed"; cat "$h".[123]; return 1; }
		done
		[ "$(sqlite3 "$h/docent.db" "select count(*) from documents")" = 1 ] ||
			{ echo "round $i: not one document"; return 1; }
		i=$((i + 1))
	done
}
t "a new database made by three processes at once, 12 times" race

finish
