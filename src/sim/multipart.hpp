// multipart/form-data bodies (RFC 7578), as an upload sends them: the parts by field name, with the file name
// of a file part. Enough for the sim's uploads/upload; not a general MIME parser (no nested multiparts, no
// transfer encodings other than binary).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gisgate::sim {

struct FormPart {
    std::string name;      // Content-Disposition's name
    std::string filename;  // ... and filename, for a file part (may be empty)
    bool is_file = false;  // a filename parameter was present
    std::string_view data;  // the part's bytes (a view into the body)
};

// The boundary of a "multipart/form-data; boundary=..." Content-Type (quotes removed); nullopt for another type
// or no boundary.
std::optional<std::string> multipart_boundary(std::string_view content_type);
// The parts of `body`; nullopt when it is not a well-formed multipart body with that boundary (no closing
// delimiter, a part without its header block).
std::optional<std::vector<FormPart>> parse_multipart(std::string_view body, std::string_view boundary);

}  // namespace gisgate::sim
