"""Test documents for the PDF shell tests (pdf_order_test.sh, pdf_sequence_test.sh):
small, valid PDFs written byte by byte with computed cross-reference offsets, so
that `qpdf --check` accepts them and no PDF library of the project is involved.

    import test_pdf  # PYTHONPATH=tests
    test_pdf.pdf(["page one", "page two"])            # one 14 pt Helvetica line per page
    test_pdf.pdf([[(14, 500, "a"), (6, 100, "b")]])   # lines as (size, y, text)
    test_pdf.pdf(["x"], comment=b"MARKER", pad=1000)  # a header comment (pad: filler bytes)
"""


def _content(page):
    lines = [(14, 500, page)] if isinstance(page, str) else page
    return "".join(f"BT /F1 {size} Tf 72 {y} Td ({text}) Tj ET\n" for size, y, text in lines)


def pdf(pages, pad=0, comment=b""):
    objs = ["<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objs.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>")
    objs.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for i, page in enumerate(pages):
        content = _content(page)
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
                    f"/Contents {5 + 2 * i} 0 R >>")
        objs.append(f"<< /Length {len(content)} >>\nstream\n{content}endstream")
    out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    if comment or pad:
        out += b"%" + comment + b"x" * pad + b"\n"
    offs = []
    for i, o in enumerate(objs):
        offs.append(len(out))
        out += f"{i + 1} 0 obj\n{o}\nendobj\n".encode()
    x = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    for o in offs:
        out += f"{o:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{x}\n%%EOF\n".encode()
    return out
