// ASCII case-insensitive comparisons for path classification and service globs (see util/ascii.hpp).
#pragma once

#include "util/ascii.hpp"

namespace gisgate::gis {

using util::ascii_lower;
using util::iends_with;
using util::iequals;

}  // namespace gisgate::gis
