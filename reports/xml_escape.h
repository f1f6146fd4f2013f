// Escaping report text for XML and HTML: junit.xml and report.html share it, so a key or a
// RocksDB error message that holds any byte at all renders the same, and safely, in both.
#pragma once

#include <string>
#include <string_view>

namespace powercut::reports {

// Escapes & < > " ' and turns bytes that are not XML characters (invalid UTF-8, control
// characters) into U+FFFD. With `attribute`, line breaks and tabs become character references
// so that attribute normalisation keeps them.
std::string XmlEscape(std::string_view s, bool attribute = true);

}  // namespace powercut::reports
