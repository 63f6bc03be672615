// The uploaded items a request names outside its path: ArcGIS clients pass an item from a service's Uploads
// capability as a parameter named `itemID` or, for a geoprocessing input, as JSON inside a parameter value
// (`Input_File={"itemID":"i3f0c..."}`), in the query string or in an application/x-www-form-urlencoded body.
// Only the site that stored the upload knows the id, so these ids decide where the request must go.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace gisgate::gis {

// At most this much of a form body is read for item ids (and held back from the server until read): large form
// bodies (applyEdits, big geometries) do not delay their request further, and an id hidden deeper is not seen.
inline constexpr std::size_t kUploadFormScanBytes = 64 * 1024;
// At most this many ids are taken from one request (each one a table lookup, and a probe on a miss).
inline constexpr std::size_t kMaxUploadIdsPerRequest = 8;

// The item ids named by `text`, a query string (without '?') or a form body, as received (percent-encoded,
// '+' for space). Parameters named itemID (any case) give their value; any other value that mentions itemID is
// decoded and its JSON "itemID" string members taken, at any depth. Only the first kUploadFormScanBytes are
// read; `cut` says `text` itself stops before the end of the body, so its last, possibly partial, parameter
// is skipped (half an id would name no item). Ids that are not 1..128 of [A-Za-z0-9_-] are ignored. Appends
// to `out` (duplicates skipped), at most kMaxUploadIdsPerRequest in all. Allocates only when `text` mentions
// itemID.
void upload_ids_in_form(std::string_view text, bool cut, std::vector<std::string>& out);

// Whether `text` mentions itemID in any case (the cheap test before any decoding).
bool mentions_item_id(std::string_view text);

// The shape ArcGIS gives its upload item ids and job ids, and that is safe to put back into a URL.
bool valid_affinity_id(std::string_view id);

}  // namespace gisgate::gis
