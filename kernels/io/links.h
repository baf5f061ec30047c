// Link extraction, the work the chapter's crawler does with each page: the href of every
// <a ...> tag. A scanner, not an HTML5 parser: tags and attributes as browsers tokenise them
// (any case, quoted or bare values, comments skipped), and malformed markup never read past
// the end or loops.
#pragma once

#include <cstddef>
#include <string_view>

namespace flynn::io {

// Stores the href values (views into `html`, entities not decoded) of the first `capacity`
// links into `links` and returns the number of links in the page (which may exceed capacity).
std::size_t extract_links(std::string_view html, std::string_view* links, std::size_t capacity);

}  // namespace flynn::io
