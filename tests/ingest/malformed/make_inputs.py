#!/usr/bin/env python3
"""make_inputs.py DIR - writes the malformed-input catalogue into DIR.

Every hostile input docent must survive is made here at test time, so that
no megabytes are committed: truncated and broken files of each format,
deep nesting, entity expansion, zip bombs, mislabelled and enormous files.
tests/cli/test_malformed.sh ingests each one alone and checks the outcome,
the message and the peak memory. The file names say what each input is;
the big ones are written in pieces, so this script stays small in memory.
"""
import os
import sys
import zipfile

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CT = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxml'
      'formats.org/package/2006/content-types"><Default Extension="xml" '
      'ContentType="application/xml"/></Types>')
ODT_MIME = "application/vnd.oasis.opendocument.text"
MB = 1 << 20


def docx_xml(body):
    return ('<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="%s"><w:body>%s'
            '</w:body></w:document>' % (W_NS, body))


def para(text):
    return "<w:p><w:r><w:t>%s</w:t></w:r></w:p>" % text


def write_docx(path, document, extra=()):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CT)
        z.writestr("word/document.xml", document)
        for name, data in extra:
            z.writestr(name, data)


def odt_bytes(path, content):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("mimetype"), ODT_MIME)
        z.writestr("content.xml", content)


def odt_content(text):
    return ('<?xml version="1.0" encoding="UTF-8"?><office:document-content '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
            '<office:body><office:text><text:p>%s</text:p></office:text></office:body>'
            '</office:document-content>' % text)


def pdf_bytes(text, break_xref=False):
    """A one-page PDF with `text` in Helvetica, with a correct xref table
    (or offsets that all point at the wrong place)."""
    stream = b"BT /F1 12 Tf 72 720 Td (%s) Tj ET" % text.encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, o in enumerate(objs):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i + 1, o)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % ((off + 7) if break_xref else off)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objs) + 1, xref + 3 if break_xref else xref)
    return out


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def write_repeated(path, head, piece, count, tail):
    """head, then piece count times, then tail, written in pieces."""
    with open(path, "wb") as f:
        f.write(head)
        block = piece * max(1, MB // len(piece))
        per = MB // len(piece) or 1
        while count >= per:
            f.write(block)
            count -= per
        f.write(piece * count)
        f.write(tail)


def zip_stream(z, name, head, piece, count, tail):
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with z.open(info, "w", force_zip64=True) as f:
        f.write(head)
        block = piece * (MB // len(piece))
        per = MB // len(piece)
        while count >= per:
            f.write(block)
            count -= per
        f.write(piece * count)
        f.write(tail)


def main(d):
    os.makedirs(d, exist_ok=True)
    p = lambda name: os.path.join(d, name)
    words = "The harbour ledger records every ship that came in. "

    # truncated: the first half of a good file
    pdf = pdf_bytes("Truncated PDF text")
    write(p("truncated.pdf"), pdf[: len(pdf) // 2])
    write(p("broken-xref.pdf"), pdf_bytes("Broken xref survives", break_xref=True))
    write_docx(p("good.docx"), docx_xml(para("Good DOCX text")))
    with open(p("good.docx"), "rb") as f:
        docx = f.read()
    write(p("truncated.docx"), docx[: len(docx) // 2])
    os.remove(p("good.docx"))
    odt_bytes(p("good.odt"), odt_content("Good ODT text"))
    with open(p("good.odt"), "rb") as f:
        odt = f.read()
    write(p("truncated.odt"), odt[: len(odt) // 2])
    os.remove(p("good.odt"))
    with zipfile.ZipFile(p("good.zip"), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("notes.txt", words * 100)
    with open(p("good.zip"), "rb") as f:
        zb = f.read()
    write(p("truncated.zip"), zb[: len(zb) // 2])
    # a zip named .docx without word/document.xml: a broken DOCX
    os.rename(p("good.zip"), p("not-a-document.docx"))

    # deep nesting: 100,000 unclosed elements, text at the bottom
    write_repeated(p("nested.html"), b"<!DOCTYPE html><html><body>", b"<div>", 100000,
                   b"Deep nested text" + b"</div>" * 100000 + b"</body></html>")
    write_docx(p("nested.docx"),
               docx_xml("<w:p><w:r>" + "<w:ins>" * 100000 + "<w:t>Deep DOCX text</w:t>"
                        + "</w:ins>" * 100000 + "</w:r></w:p>"))

    # billion laughs: ten levels of ten references
    ents = '<!ENTITY l0 "ha">' + "".join(
        '<!ENTITY l%d "%s">' % (i, ("&l%d;" % (i - 1)) * 10) for i in range(1, 10))
    write(p("laughs.html"), ('<!DOCTYPE html [%s]><html><body><p>Laughs &l9; end</p>'
                             '</body></html>' % ents).encode())
    write_docx(p("laughs.docx"),
               '<?xml version="1.0"?><!DOCTYPE w:document [%s]>' % ents
               + docx_xml(para("&l9;"))[len('<?xml version="1.0" encoding="UTF-8"?>'):])

    # zip bombs: one entry of 300 MB (over the 256 MB budget), many
    # entries, and a zip inside a zip
    with zipfile.ZipFile(p("bomb-one.docx"), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CT)
        head = ('<?xml version="1.0"?><w:document xmlns:w="%s"><w:body><w:p><w:r><w:t>'
                % W_NS).encode()
        zip_stream(z, "word/document.xml", head, b"a" * 64, 300 * MB // 64,
                   b"</w:t></w:r></w:p></w:body></w:document>")
    # the same size as many short paragraphs: text, not one run
    with zipfile.ZipFile(p("bomb-paras.docx"), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CT)
        head = ('<?xml version="1.0"?><w:document xmlns:w="%s"><w:body>' % W_NS).encode()
        piece = para("The same words again and again.").encode()
        zip_stream(z, "word/document.xml", head, piece, 300 * MB // len(piece),
                   b"</w:body></w:document>")
    with zipfile.ZipFile(p("bomb-many.docx"), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CT)
        z.writestr("word/document.xml", docx_xml(para("Many entries text")))
        zero = bytes(MB)
        for i in range(400):
            z.writestr("word/media/blank%03d.bin" % i, zero)
    with zipfile.ZipFile(p("inner.zip"), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("zeros.bin", bytes(50 * MB))
    with zipfile.ZipFile(p("nested.zip"), "w", zipfile.ZIP_DEFLATED) as z:
        z.write(p("inner.zip"), "inner.zip")
        z.write(p("inner.zip"), "again.zip")
    os.remove(p("inner.zip"))

    # mislabelled
    write(p("pdf-named.docx"), pdf_bytes("A PDF in disguise"))
    write(p("binary.txt"), bytes(range(256)) * 64)
    write(p("utf16-nobom.txt"), ("Plain words in UTF-16 without a mark. " * 40)
          .encode("utf-16-le"))
    write(p("invalid-utf8.txt"), b"Valid start \xff\xfe\xc3 broken bytes \xe2\x82 end.\n" * 50)

    # enormous
    write_repeated(p("single-line.txt"), b"", words.encode(), 10 * MB // len(words), b"\n")
    write_repeated(p("big.html"), b"<!DOCTYPE html><html><head><title>Big</title></head><body>",
                   b"<p>" + words.encode() + b"<b>bold</b> <a href=\"#x\">link</a></p>\n",
                   44 * MB // 90, b"</body></html>")
    with open(p("sparse.txt"), "wb") as f:
        f.truncate(1 << 30)
    write(p("empty.txt"), b"")


if __name__ == "__main__":
    main(sys.argv[1])
