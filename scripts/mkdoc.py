#!/usr/bin/env python3
"""mkdoc.py - writes real PDF, DOCX and ODT documents from a small Markdown-ish
description, for docent's test fixtures and demo corpus. Standard library only.

Usage:
    scripts/mkdoc.py pdf|docx|odt INPUT OUTPUT [options]

    --title TEXT     document title (PDF /Info Title, DOCX docProps/core.xml,
                     ODT meta.xml); default: front matter "title:", else the
                     first level-1 heading
    --no-title       write no title metadata at all
    --header TEXT    PDF only: running header on every page
    --footer TEXT    PDF only: running footer on every page; "{page}" and
                     "{pages}" are replaced by the page number and count
    --no-compress    PDF only: leave content streams uncompressed
    --no-split-runs  DOCX only: do not split words across runs (see below)

INPUT is a file (or "-" for standard input) in this Markdown subset:

    ---                       optional front matter; only "title:" is read
    title: A Title
    ---
    # Heading 1               "#" to "######": headings, levels 1 to 6
    A paragraph runs until    blank lines separate paragraphs; lines
    the next blank line.      inside one are joined with a space
    - list item               "- " or "* " or "1. ": one list item per line
    | a | b | c |             "|" lines: a table (first row is the header;
    |---|---|---|             "|---|" separator lines are skipped)
    ```                       fenced code: kept line by line (Courier in PDF)
    code
    ```
    <!-- page -->             a page break (also a line holding only "\\f");
                              PDF only, ignored by DOCX and ODT

Inline: **bold**, *italic*, `code`, [text](url) (the URL is dropped) and
backslash escapes. "**R**unning" gives a word whose letters sit in two runs
with different formatting. DOCX output also splits the first long word of
every paragraph into two runs that differ only in invisible properties, as
Word does after spell-checking, unless --no-split-runs.

INPUT may instead be JSON (a name ending in .json):
    {"title": "...", "header": "...", "footer": "Page {page}",
     "pages": [[block, ...], ...]}        or "blocks": [block, ...]
where a block is "paragraph text" (inline markup allowed),
{"heading": "...", "level": 1}, {"list": ["item", ...]},
{"table": [["h1", "h2"], ["a", "b"]]}, {"pre": "code"} or {"page": true}.

As a module:
    import mkdoc
    d = mkdoc.parse_markdown(text)          # or mkdoc.from_json(obj)
    mkdoc.write_pdf(d, "out.pdf", header="Acme", footer="Page {page}")
    mkdoc.write_docx(d, "out.docx")
    mkdoc.write_odt(d, "out.odt")
    mkdoc.build("pdf", text, "out.pdf", title="T")   # all in one

Outputs are deterministic (fixed timestamps), so fixtures can be committed.
"""

import argparse
import json
import re
import sys
import zipfile
import zlib

__all__ = ["Document", "parse_markdown", "from_json", "parse_inline",
           "write_pdf", "write_docx", "write_odt", "build"]


# ---------------------------------------------------------------- the model

class Document:
    """A title and a list of blocks:
    ("heading", level, runs), ("para", runs), ("list", [runs, ...]),
    ("table", [[cell_text, ...], ...]), ("pre", text), ("page",).
    runs are [(text, frozenset of "b"/"i"/"code"), ...]."""

    def __init__(self, title=None, blocks=None, header=None, footer=None):
        self.title = title
        self.blocks = blocks if blocks is not None else []
        self.header = header
        self.footer = footer

    def default_title(self):
        if self.title:
            return self.title
        for b in self.blocks:
            if b[0] == "heading" and b[1] == 1:
                return runs_text(b[2])
        return None


def runs_text(runs):
    return "".join(t for t, _ in runs)


_INLINE = re.compile(r"\\(.)|\*\*(.+?)\*\*|\*(.+?)\*|`([^`]+)`|\[([^\]]*)\]\(([^)]*)\)",
                     re.S)


def parse_inline(text, fmt=frozenset()):
    """Splits inline markup into runs [(text, formats)]."""
    runs = []
    pos = 0
    for m in _INLINE.finditer(text):
        if m.start() > pos:
            runs.append((text[pos:m.start()], fmt))
        if m.group(1) is not None:
            runs.append((m.group(1), fmt))
        elif m.group(2) is not None:
            runs.extend(parse_inline(m.group(2), fmt | {"b"}))
        elif m.group(3) is not None:
            runs.extend(parse_inline(m.group(3), fmt | {"i"}))
        elif m.group(4) is not None:
            runs.append((m.group(4), fmt | {"code"}))
        else:
            label = m.group(5) or m.group(6)
            runs.extend(parse_inline(label, fmt))
        pos = m.end()
    if pos < len(text):
        runs.append((text[pos:], fmt))
    # merge neighbours with the same format
    out = []
    for t, f in runs:
        if out and out[-1][1] == f:
            out[-1] = (out[-1][0] + t, f)
        elif t:
            out.append((t, f))
    return out


def _split_row(line):
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|") and not s.endswith("\\|"):
        s = s[:-1]
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", s)]


_LIST = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")
_HEAD = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def parse_markdown(text):
    """Parses the Markdown subset described in the module help."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    doc = Document()
    i = 0
    if lines and lines[0].strip() == "---":
        for j in range(1, len(lines)):
            if lines[j].strip() in ("---", "..."):
                for fm in lines[1:j]:
                    m = re.match(r"^title:\s*(.*?)\s*$", fm)
                    if m:
                        doc.title = m.group(1).strip("\"'")
                i = j + 1
                break
    para = []

    def flush():
        if para:
            doc.blocks.append(("para", parse_inline(" ".join(p.strip() for p in para))))
            para.clear()

    while i < len(lines):
        line = lines[i]
        s = line.strip()
        if s in ("\f", "<!-- page -->", "\\f") or line == "\f":
            flush()
            doc.blocks.append(("page",))
            i += 1
            continue
        if s.startswith("```") or s.startswith("~~~"):
            flush()
            fence = s[:3]
            code = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(fence):
                code.append(lines[i])
                i += 1
            doc.blocks.append(("pre", "\n".join(code)))
            i += 1
            continue
        if not s:
            flush()
            i += 1
            continue
        m = _HEAD.match(s)
        if m:
            flush()
            doc.blocks.append(("heading", len(m.group(1)), parse_inline(m.group(2))))
            i += 1
            continue
        if s.startswith("|"):
            flush()
            rows = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                if not _SEP.match(lines[i]):
                    rows.append(_split_row(lines[i]))
                i += 1
            doc.blocks.append(("table", rows))
            continue
        m = _LIST.match(line)
        if m and not para:
            items = []
            while i < len(lines):
                m = _LIST.match(lines[i])
                if m:
                    items.append(m.group(1).strip())
                elif lines[i].strip() and items and lines[i].startswith((" ", "\t")):
                    items[-1] += " " + lines[i].strip()
                else:
                    break
                i += 1
            doc.blocks.append(("list", [parse_inline(t) for t in items]))
            continue
        para.append(line)
        i += 1
    flush()
    return doc


def from_json(obj):
    """Builds a Document from the JSON description in the module help."""
    doc = Document(title=obj.get("title"), header=obj.get("header"),
                   footer=obj.get("footer"))

    def add(b):
        if isinstance(b, str):
            doc.blocks.append(("para", parse_inline(b)))
        elif "heading" in b:
            doc.blocks.append(("heading", int(b.get("level", 1)), parse_inline(b["heading"])))
        elif "list" in b:
            doc.blocks.append(("list", [parse_inline(t) for t in b["list"]]))
        elif "table" in b:
            doc.blocks.append(("table", [[str(c) for c in r] for r in b["table"]]))
        elif "pre" in b:
            doc.blocks.append(("pre", b["pre"]))
        elif "page" in b:
            doc.blocks.append(("page",))
        elif "para" in b:
            doc.blocks.append(("para", parse_inline(b["para"])))
        else:
            raise ValueError("unknown block: %r" % (b,))

    if "pages" in obj:
        for n, page in enumerate(obj["pages"]):
            if n:
                doc.blocks.append(("page",))
            for b in page:
                add(b)
    for b in obj.get("blocks", []):
        add(b)
    return doc


# ---------------------------------------------------------------- PDF

# Helvetica advance widths (1/1000 em) for ASCII 32..126, from the AFM.
_HELV = [278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
         556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
         1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
         667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
         333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
         556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584]

_FONTS = {"F1": "Helvetica", "F2": "Helvetica-Bold", "F3": "Helvetica-Oblique",
          "F4": "Helvetica-BoldOblique", "F5": "Courier"}


def _font_for(fmt):
    if "code" in fmt:
        return "F5"
    if "b" in fmt and "i" in fmt:
        return "F4"
    if "b" in fmt:
        return "F2"
    if "i" in fmt:
        return "F3"
    return "F1"


def _width(text, font, size):
    if font == "F5":
        return len(text) * 0.6 * size
    w = 0
    for ch in text:
        o = ord(ch)
        w += _HELV[o - 32] if 32 <= o <= 126 else 556
    if font in ("F2", "F4"):
        w *= 1.06
    return w * size / 1000.0


def _pdf_string(text):
    """A PDF literal string in WinAnsiEncoding."""
    data = text.encode("cp1252", errors="replace")
    out = bytearray(b"(")
    for c in data:
        if c in b"()\\":
            out += b"\\" + bytes([c])
        elif c < 32 or c > 126:
            out += b"\\%03o" % c
        else:
            out.append(c)
    out += b")"
    return bytes(out)


def _wrap(runs, width, size, base_fmt=frozenset()):
    """Wraps runs into lines; each line is [(font, text), ...]. A word whose
    letters sit in several runs ("**R**unning") stays whole."""
    words = []        # each word: [(font, text), ...]
    open_word = False
    for text, fmt in runs:
        font = _font_for(fmt | base_fmt)
        for piece in re.split(r"(\s+)", text):
            if not piece:
                continue
            if piece.isspace():
                open_word = False
            elif open_word:
                words[-1].append((font, piece))
            else:
                words.append([(font, piece)])
                open_word = True
    lines = []
    line = []
    lw = 0.0
    for segs in words:
        ww = sum(_width(t, f, size) for f, t in segs)
        sw = _width(" ", segs[0][0], size) if line else 0
        if line and lw + sw + ww > width:
            lines.append(line)
            line, lw, sw = [], 0.0, 0
        if line:
            segs = [(segs[0][0], " " + segs[0][1])] + segs[1:]
        for f, t in segs:
            if line and line[-1][0] == f:
                line[-1] = (f, line[-1][1] + t)
            else:
                line.append((f, t))
        lw += sw + ww
    if line:
        lines.append(line)
    return lines


class _Pager:
    W, H = 612.0, 792.0
    LEFT, RIGHT, TOP, BOTTOM = 72.0, 72.0, 72.0, 72.0

    def __init__(self):
        self.pages = []   # list of lists of content operations (bytes)
        self.new_page()

    def new_page(self):
        self.ops = []
        self.pages.append(self.ops)
        self.y = self.H - self.TOP

    def ensure(self, height):
        if self.y - height < self.BOTTOM and self.y < self.H - self.TOP:
            self.new_page()

    def text_line(self, segs, size, x=None, leading=None):
        leading = leading or size * 1.3
        self.ensure(leading)
        self.y -= leading
        self.put(segs, size, self.LEFT if x is None else x, self.y)

    def put(self, segs, size, x, y):
        ops = [b"BT", b"%.2f %.2f Td" % (x, y)]
        for font, t in segs:
            ops.append(b"/%s %.1f Tf %s Tj" % (font.encode(), size, _pdf_string(t)))
        ops.append(b"ET")
        self.ops.append(b" ".join(ops))

    def gap(self, h):
        self.y -= h


def _layout_pdf(doc):
    p = _Pager()
    width = p.W - p.LEFT - p.RIGHT
    body = 11.0
    started = False
    for b in doc.blocks:
        kind = b[0]
        if kind == "page":
            if started:
                p.new_page()
                started = False
            continue
        started = True
        if kind == "heading":
            size = {1: 18.0, 2: 15.0, 3: 13.0}.get(b[1], 12.0)
            lines = _wrap(b[2], width, size, frozenset({"b"}))
            p.ensure(size * 1.3 * len(lines) + 3 * body)   # keep with next
            if p.y < p.H - p.TOP:
                p.gap(size * 0.8)
            for ln in lines:
                p.text_line(ln, size)
            p.gap(size * 0.5)
        elif kind == "para":
            for ln in _wrap(b[1], width, body):
                p.text_line(ln, body)
            p.gap(body * 0.9)
        elif kind == "list":
            for item in b[1]:
                lines = _wrap(item, width - 18, body)
                for n, ln in enumerate(lines):
                    if n == 0:
                        p.ensure(body * 1.3)
                        p.put([("F1", "\u2022")], body, p.LEFT + 4, p.y - body * 1.3)
                    p.text_line(ln, body, x=p.LEFT + 18)
                p.gap(body * 0.4)
            p.gap(body * 0.5)
        elif kind == "pre":
            size = 9.5
            for raw in b[1].split("\n"):
                maxc = int(width / (0.6 * size))
                chunks = [raw[k:k + maxc] for k in range(0, len(raw), maxc)] or [""]
                for c in chunks:
                    p.text_line([("F5", c)], size, leading=size * 1.25)
            p.gap(body * 0.9)
        elif kind == "table":
            rows = b[1]
            ncols = max(len(r) for r in rows) if rows else 0
            if not ncols:
                continue
            colw = width / ncols
            for rn, row in enumerate(rows):
                fmt = frozenset({"b"}) if rn == 0 else frozenset()
                cells = [_wrap(parse_inline(c), colw - 8, body, fmt) for c in row]
                h = max((len(c) for c in cells), default=1) or 1
                p.ensure(h * body * 1.3)
                top = p.y
                for cn, cl in enumerate(cells):
                    for ln_no, ln in enumerate(cl):
                        p.put(ln, body, p.LEFT + cn * colw, top - (ln_no + 1) * body * 1.3)
                p.y = top - h * body * 1.3 - 3
            p.gap(body * 0.9)
    return p.pages


def write_pdf(doc, path, title=None, header=None, footer=None, compress=True,
              no_title=False):
    """Writes doc as a PDF 1.4 file with a classic xref table; text in the
    standard 14 fonts (WinAnsiEncoding), so pdftotext and poppler read it.
    A document with no blocks gives one page with a drawn box and no text
    (like a scanned page)."""
    header = header if header is not None else doc.header
    footer = footer if footer is not None else doc.footer
    title = None if no_title else (title if title is not None else doc.default_title())
    pages = _layout_pdf(doc)
    blank = not any(b[0] != "page" for b in doc.blocks)
    npages = len(pages)
    objs = {}
    # 1 catalog, 2 pages, 3 info, 4.. fonts, then per page: page, content
    font_ids = {}
    nid = 4
    for name in _FONTS:
        font_ids[name] = nid
        nid += 1
    for name, base in _FONTS.items():
        objs[font_ids[name]] = (b"<< /Type /Font /Subtype /Type1 /BaseFont /%s "
                                b"/Encoding /WinAnsiEncoding >>" % base.encode())
    fonts = b"<< " + b" ".join(b"/%s %d 0 R" % (n.encode(), i) for n, i in font_ids.items()) + b" >>"
    kids = []
    for pn, ops in enumerate(pages, 1):
        ops = list(ops)
        if header:
            ops.insert(0, b"BT /F3 9 Tf 72 750 Td %s Tj ET"
                       % _pdf_string(header.replace("{page}", str(pn)).replace("{pages}", str(npages))))
        if footer:
            f = footer.replace("{page}", str(pn)).replace("{pages}", str(npages))
            w = _width(f, "F1", 9)
            ops.append(b"BT /F1 9 Tf %.2f 40 Td %s Tj ET" % ((612 - w) / 2, _pdf_string(f)))
        if blank:
            ops.append(b"0.6 g 100 200 412 400 re f 0 g 130 560 m 480 560 l S")
        stream = b"\n".join(ops) + b"\n"
        page_id, content_id = nid, nid + 1
        nid += 2
        if compress:
            data = zlib.compress(stream, 9)
            objs[content_id] = (b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data)
                                + data + b"\nendstream")
        else:
            objs[content_id] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream"
        objs[page_id] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                         b"/Resources << /Font %s >> /Contents %d 0 R >>" % (fonts, content_id))
        kids.append(page_id)
    objs[1] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objs[2] = (b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids)
               + b"] /Count %d >>" % len(kids))
    info = b"<< /Producer (docent mkdoc.py)"
    if title:
        info += b" /Title " + _pdf_text_string(title)
    objs[3] = info + b" >>"
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for i in sorted(objs):
        offsets[i] = len(out)
        out += b"%d 0 obj\n" % i + objs[i] + b"\nendobj\n"
    xref = len(out)
    size = max(objs) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for i in range(1, size):
        out += b"%010d 00000 n \n" % offsets[i]
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 3 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    with open(path, "wb") as f:
        f.write(out)


def _pdf_text_string(s):
    """A PDF text string: ASCII literal when possible, else UTF-16BE hex."""
    if all(32 <= ord(c) < 127 for c in s):
        return _pdf_string(s)
    return b"<FEFF" + s.encode("utf-16-be").hex().upper().encode() + b">"


# ---------------------------------------------------------------- zip helpers

_EPOCH = (1980, 1, 1, 0, 0, 0)


def _zip_write(z, name, data, stored=False):
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    z.writestr(info, data.encode("utf-8") if isinstance(data, str) else data)


def _x(s):
    s = "".join(c for c in s if c in "\t\n" or ord(c) >= 32)
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


# ---------------------------------------------------------------- DOCX

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _docx_runs(runs, split=False):
    """w:r elements for runs. With split, the first word of 6+ letters is
    cut in two runs that differ only in w:lang (as spell-checking does)."""
    out = []
    did = not split
    for text, fmt in runs:
        rpr = ""
        if "b" in fmt:
            rpr += "<w:b/>"
        if "i" in fmt:
            rpr += "<w:i/>"
        if "code" in fmt:
            rpr += '<w:rFonts w:ascii="Courier New" w:hAnsi="Courier New"/>'
        pieces = [(text, rpr)]
        if not did:
            m = re.search(r"[A-Za-z]{6,}", text)
            if m:
                cut = m.start() + 2
                pieces = [(text[:cut], rpr), (text[cut:], rpr + '<w:lang w:val="en-GB"/>')]
                did = True
        for t, rp in pieces:
            if not t:
                continue
            out.append(_docx_run(t, rp))
    return "".join(out)


def _docx_run(text, rpr):
    body = []
    parts = re.split(r"(\t|\n)", text)
    for part in parts:
        if part == "\t":
            body.append("<w:tab/>")
        elif part == "\n":
            body.append("<w:br/>")
        elif part:
            body.append('<w:t xml:space="preserve">%s</w:t>' % _x(part))
    return "<w:r>%s%s</w:r>" % ("<w:rPr>%s</w:rPr>" % rpr if rpr else "", "".join(body))


def _docx_p(runs_xml, style=None):
    ppr = '<w:pPr><w:pStyle w:val="%s"/></w:pPr>' % style if style else ""
    return "<w:p>%s%s</w:p>" % (ppr, runs_xml)


def write_docx(doc, path, title=None, split_runs=True, no_title=False):
    """Writes doc as a DOCX (Office Open XML) file."""
    title = None if no_title else (title if title is not None else doc.default_title())
    body = []
    for b in doc.blocks:
        kind = b[0]
        if kind == "heading":
            body.append(_docx_p(_docx_runs(b[2]), "Heading%d" % b[1]))
        elif kind == "para":
            body.append(_docx_p(_docx_runs(b[1], split_runs)))
        elif kind == "list":
            for item in b[1]:
                body.append(_docx_p(_docx_runs(item), "ListParagraph"))
        elif kind == "pre":
            body.append(_docx_p(_docx_run(b[1], ""), "Code"))
        elif kind == "table":
            rows = b[1]
            ncols = max(len(r) for r in rows) if rows else 0
            if not ncols:
                continue
            t = ['<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/>'
                 '</w:tblPr><w:tblGrid>' + '<w:gridCol w:w="%d"/>' % (9000 // ncols) * ncols
                 + '</w:tblGrid>']
            for rn, row in enumerate(rows):
                t.append("<w:tr>")
                for c in row + [""] * (ncols - len(row)):
                    runs = parse_inline(c, frozenset({"b"}) if rn == 0 else frozenset())
                    t.append('<w:tc><w:tcPr><w:tcW w:w="%d" w:type="dxa"/></w:tcPr>%s</w:tc>'
                             % (9000 // ncols, _docx_p(_docx_runs(runs))))
                t.append("</w:tr>")
            t.append("</w:tbl>")
            body.append("".join(t))
    document = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<w:document xmlns:w="%s" '
                'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                '<w:body>%s<w:sectPr><w:pgSz w:w="12240" w:h="15840"/></w:sectPr>'
                '</w:body></w:document>' % (_W, "".join(body)))
    styles = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:styles xmlns:w="%s">' % _W,
              '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>',
              '<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/>'
              '<w:basedOn w:val="Normal"/><w:rPr><w:sz w:val="56"/></w:rPr></w:style>']
    for lvl in range(1, 7):
        styles.append('<w:style w:type="paragraph" w:styleId="Heading%d"><w:name w:val="heading %d"/>'
                      '<w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:pPr><w:outlineLvl w:val="%d"/>'
                      '</w:pPr><w:rPr><w:b/><w:sz w:val="%d"/></w:rPr></w:style>'
                      % (lvl, lvl, lvl - 1, max(22, 36 - 4 * lvl)))
    styles.append('<w:style w:type="paragraph" w:styleId="ListParagraph"><w:name w:val="List Paragraph"/>'
                  '<w:basedOn w:val="Normal"/><w:pPr><w:ind w:left="720"/></w:pPr></w:style>')
    styles.append('<w:style w:type="paragraph" w:styleId="Code"><w:name w:val="Code"/>'
                  '<w:basedOn w:val="Normal"/><w:rPr><w:rFonts w:ascii="Courier New" '
                  'w:hAnsi="Courier New"/></w:rPr></w:style>')
    styles.append('<w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/></w:style>')
    styles.append("</w:styles>")
    core = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            + ("<dc:title>%s</dc:title>" % _x(title) if title else "")
            + "<dc:creator>docent mkdoc.py</dc:creator></cp:coreProperties>")
    content_types = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                     '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                     '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                     '<Default Extension="xml" ContentType="application/xml"/>'
                     '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
                     '<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>'
                     '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
                     '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
                     '</Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
            '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>'
            '</Relationships>')
    doc_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
                '</Relationships>')
    app = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
           '<Application>docent mkdoc.py</Application></Properties>')
    with zipfile.ZipFile(path, "w") as z:
        _zip_write(z, "[Content_Types].xml", content_types)
        _zip_write(z, "_rels/.rels", rels)
        _zip_write(z, "word/document.xml", document)
        _zip_write(z, "word/styles.xml", "".join(styles))
        _zip_write(z, "word/_rels/document.xml.rels", doc_rels)
        _zip_write(z, "docProps/core.xml", core)
        _zip_write(z, "docProps/app.xml", app)


# ---------------------------------------------------------------- ODT

_ODF_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
           'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
           'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
           'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
           'xmlns:dc="http://purl.org/dc/elements/1.1/" '
           'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
           'office:version="1.2"')


def _odt_text(text):
    """ODF text content: runs of spaces as text:s, tabs, line breaks."""
    out = []
    for part in re.split(r"(\t|\n|  +)", text):
        if part == "\t":
            out.append("<text:tab/>")
        elif part == "\n":
            out.append("<text:line-break/>")
        elif part.startswith("  "):
            out.append(' <text:s text:c="%d"/>' % (len(part) - 1))
        elif part:
            out.append(_x(part))
    return "".join(out)


def _odt_runs(runs):
    out = []
    for text, fmt in runs:
        style = ("T3" if "code" in fmt else "T4" if {"b", "i"} <= fmt else
                 "T1" if "b" in fmt else "T2" if "i" in fmt else None)
        if style:
            out.append('<text:span text:style-name="%s">%s</text:span>' % (style, _odt_text(text)))
        else:
            out.append(_odt_text(text))
    return "".join(out)


def write_odt(doc, path, title=None, no_title=False):
    """Writes doc as an ODT (OpenDocument text) file."""
    title = None if no_title else (title if title is not None else doc.default_title())
    body = []
    tables = 0
    for b in doc.blocks:
        kind = b[0]
        if kind == "heading":
            body.append('<text:h text:style-name="Heading_20_%d" text:outline-level="%d">%s</text:h>'
                        % (b[1], b[1], _odt_runs(b[2])))
        elif kind == "para":
            body.append('<text:p text:style-name="Text_20_body">%s</text:p>' % _odt_runs(b[1]))
        elif kind == "list":
            body.append("<text:list>" + "".join(
                '<text:list-item><text:p>%s</text:p></text:list-item>' % _odt_runs(it)
                for it in b[1]) + "</text:list>")
        elif kind == "pre":
            body.append('<text:p text:style-name="Preformatted_20_Text">%s</text:p>' % _odt_text(b[1]))
        elif kind == "table":
            rows = b[1]
            ncols = max(len(r) for r in rows) if rows else 0
            if not ncols:
                continue
            tables += 1
            t = ['<table:table table:name="Table%d"><table:table-column '
                 'table:number-columns-repeated="%d"/>' % (tables, ncols)]
            for rn, row in enumerate(rows):
                t.append("<table:table-row>")
                for c in row + [""] * (ncols - len(row)):
                    runs = parse_inline(c, frozenset({"b"}) if rn == 0 else frozenset())
                    t.append('<table:table-cell office:value-type="string"><text:p>%s</text:p>'
                             '</table:table-cell>' % _odt_runs(runs))
                t.append("</table:table-row>")
            t.append("</table:table>")
            body.append("".join(t))
    auto = ('<office:automatic-styles>'
            '<style:style style:name="T1" style:family="text"><style:text-properties fo:font-weight="bold"/></style:style>'
            '<style:style style:name="T2" style:family="text"><style:text-properties fo:font-style="italic"/></style:style>'
            '<style:style style:name="T3" style:family="text"><style:text-properties style:font-name="Courier New"/></style:style>'
            '<style:style style:name="T4" style:family="text"><style:text-properties fo:font-weight="bold" fo:font-style="italic"/></style:style>'
            '</office:automatic-styles>')
    content = ('<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content %s>%s'
               '<office:body><office:text>%s</office:text></office:body></office:document-content>'
               % (_ODF_NS, auto, "".join(body)))
    styles = ('<?xml version="1.0" encoding="UTF-8"?>\n<office:document-styles %s><office:styles>'
              % _ODF_NS
              + "".join('<style:style style:name="Heading_20_%d" style:display-name="Heading %d" '
                        'style:family="paragraph" style:default-outline-level="%d"/>' % (n, n, n)
                        for n in range(1, 7))
              + '<style:style style:name="Text_20_body" style:display-name="Text body" style:family="paragraph"/>'
              + '<style:style style:name="Preformatted_20_Text" style:display-name="Preformatted Text" style:family="paragraph"/>'
              + "</office:styles></office:document-styles>")
    meta = ('<?xml version="1.0" encoding="UTF-8"?>\n<office:document-meta %s><office:meta>'
            '<meta:generator>docent mkdoc.py</meta:generator>%s</office:meta></office:document-meta>'
            % (_ODF_NS, "<dc:title>%s</dc:title>" % _x(title) if title else ""))
    manifest = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                '<manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>'
                '<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>'
                '</manifest:manifest>')
    with zipfile.ZipFile(path, "w") as z:
        _zip_write(z, "mimetype", "application/vnd.oasis.opendocument.text", stored=True)
        _zip_write(z, "content.xml", content)
        _zip_write(z, "styles.xml", styles)
        _zip_write(z, "meta.xml", meta)
        _zip_write(z, "META-INF/manifest.xml", manifest)


# ---------------------------------------------------------------- entry points

def build(kind, source, out, title=None, header=None, footer=None, compress=True,
          split_runs=True, no_title=False):
    """Writes `out` as kind ("pdf", "docx", "odt") from source, which is
    Markdown-subset text, a JSON description (dict), or a Document."""
    if isinstance(source, Document):
        doc = source
    elif isinstance(source, dict):
        doc = from_json(source)
    else:
        doc = parse_markdown(source)
    if kind == "pdf":
        write_pdf(doc, out, title=title, header=header, footer=footer, compress=compress,
                  no_title=no_title)
    elif kind == "docx":
        write_docx(doc, out, title=title, split_runs=split_runs, no_title=no_title)
    elif kind == "odt":
        write_odt(doc, out, title=title, no_title=no_title)
    else:
        raise ValueError("unknown kind %r: use pdf, docx or odt" % kind)


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="mkdoc.py", description="Write a PDF, DOCX or ODT from a Markdown-ish description.",
        epilog="See the top of this file for the input format.")
    ap.add_argument("kind", choices=["pdf", "docx", "odt"])
    ap.add_argument("input", help="Markdown-subset or .json description; - for stdin")
    ap.add_argument("output")
    ap.add_argument("--title")
    ap.add_argument("--no-title", action="store_true")
    ap.add_argument("--header")
    ap.add_argument("--footer")
    ap.add_argument("--no-compress", action="store_true")
    ap.add_argument("--no-split-runs", action="store_true")
    a = ap.parse_args(argv)
    if a.input == "-":
        text = sys.stdin.read()
    else:
        with open(a.input, encoding="utf-8") as f:
            text = f.read()
    source = json.loads(text) if a.input.endswith(".json") else text
    try:
        build(a.kind, source, a.output, title=a.title, header=a.header, footer=a.footer,
              compress=not a.no_compress, split_runs=not a.no_split_runs,
              no_title=a.no_title)
    except (ValueError, OSError) as e:
        print("mkdoc.py: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
