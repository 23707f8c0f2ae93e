// Tests only: a small, valid PDF written byte by byte (no PoDoFo needed by
// the caller): `pages` A4 pages, each with one line of Helvetica text, the
// line of page n being lines[n-1] (or "Page n"). The xref offsets are
// computed, so qpdf --check accepts it. For the order tests of core and
// server, which do not link PoDoFo's headers.
#pragma once

#include <string>
#include <vector>

#include "base/bytes.h"

namespace duet::pdf::testing {

inline Bytes minimal_test_pdf(int pages, const std::vector<std::string>& lines = {}) {
  std::vector<std::string> objects;  // object n+1 is objects[n]
  objects.push_back("<< /Type /Catalog /Pages 2 0 R >>");
  std::string kids;
  for (int i = 0; i < pages; ++i) kids += std::to_string(4 + 2 * i) + " 0 R ";
  objects.push_back("<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(pages) + " >>");
  objects.push_back("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>");
  for (int i = 0; i < pages; ++i) {
    std::string line = i < static_cast<int>(lines.size()) ? lines[i] : "Page " + std::to_string(i + 1);
    std::string content = "BT /F1 14 Tf 72 720 Td (" + line + ") Tj ET\n";
    objects.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
                      "/Contents " + std::to_string(5 + 2 * i) + " 0 R >>");
    objects.push_back("<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "endstream");
  }
  std::string out = "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n";
  std::vector<size_t> offsets;
  for (size_t i = 0; i < objects.size(); ++i) {
    offsets.push_back(out.size());
    out += std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n";
  }
  const size_t xref = out.size();
  out += "xref\n0 " + std::to_string(objects.size() + 1) + "\n0000000000 65535 f \n";
  for (size_t off : offsets) {
    std::string n = std::to_string(off);
    out += std::string(10 - n.size(), '0') + n + " 00000 n \n";
  }
  out += "trailer\n<< /Size " + std::to_string(objects.size() + 1) + " /Root 1 0 R >>\nstartxref\n" +
         std::to_string(xref) + "\n%%EOF\n";
  return Bytes(out.begin(), out.end());
}

}  // namespace duet::pdf::testing
