#!/bin/sh
# Regenerates the binary documents of the demo corpus (PDF, DOCX, ODT) from
# the Markdown-ish sources in this folder, with scripts/mkdoc.py (Python 3,
# standard library only). The outputs are deterministic and committed, so the
# demo itself never needs Python; run this only after editing a source.
#
#   sh scripts/examples-src/build.sh
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mkdoc="python3 $root/scripts/mkdoc.py"
out="$root/examples"

$mkdoc docx "$here/travel-and-expense-policy.md" "$out/policies/travel-and-expense-policy.docx"
$mkdoc odt "$here/information-security-policy.md" "$out/policies/information-security-policy.odt"
$mkdoc docx "$here/remote-work-policy.md" "$out/policies/remote-work-policy.docx"
$mkdoc pdf "$here/q3-2026-quarterly-report.md" "$out/reports/q3-2026-quarterly-report.pdf" \
	--header "Northwind Robotics — Q3 2026 Quarterly Report" \
	--footer "Page {page}"

# The report is meant to show dehyphenation: "commis-" must end a line of
# the PDF and "sioning" start the next. If an edit moves the line break,
# adjust the words before it in section 2 of the source.
if command -v pdftotext >/dev/null 2>&1; then
	if ! pdftotext -layout "$out/reports/q3-2026-quarterly-report.pdf" - |
		grep -q 'commis-[[:space:]]*$'; then
		echo "build.sh: warning: 'commis-' no longer ends a line in the Q3 report" >&2
	fi
fi
echo "built the PDF, DOCX and ODT documents under $out"
