#include "io/links.h"

namespace flynn::io {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool equals_ignoring_case(std::string_view text, std::string_view lower_word) {
  if (text.size() != lower_word.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (lower(text[i]) != lower_word[i]) return false;
  }
  return true;
}

// Reads the attributes of a tag from `at` (just after its name) to its '>'. Returns the position
// after the tag, or npos when the tag never closes; `href` receives the first href's value.
std::size_t read_attributes(std::string_view html, std::size_t at, std::string_view& href, bool& has_href) {
  for (;;) {
    while (at < html.size() && (is_space(html[at]) || html[at] == '/')) ++at;
    if (at >= html.size()) return std::string_view::npos;
    if (html[at] == '>') return at + 1;
    const std::size_t name_begin = at;
    while (at < html.size() && !is_space(html[at]) && html[at] != '=' && html[at] != '>' && html[at] != '/') ++at;
    const std::string_view name = html.substr(name_begin, at - name_begin);
    while (at < html.size() && is_space(html[at])) ++at;
    std::string_view value;
    bool has_value = false;
    if (at < html.size() && html[at] == '=') {
      ++at;
      while (at < html.size() && is_space(html[at])) ++at;
      if (at >= html.size()) return std::string_view::npos;
      if (html[at] == '"' || html[at] == '\'') {
        const char quote = html[at++];
        const std::size_t close = html.find(quote, at);
        if (close == std::string_view::npos) return std::string_view::npos;
        value = html.substr(at, close - at);
        at = close + 1;
      } else {
        const std::size_t begin = at;
        while (at < html.size() && !is_space(html[at]) && html[at] != '>') ++at;
        value = html.substr(begin, at - begin);
      }
      has_value = true;
    }
    if (!has_href && has_value && equals_ignoring_case(name, "href")) {
      href = value;
      has_href = true;
    }
  }
}

}  // namespace

std::size_t extract_links(std::string_view html, std::string_view* links, std::size_t capacity) {
  std::size_t found = 0;
  std::size_t at = 0;
  while ((at = html.find('<', at)) != std::string_view::npos) {
    if (html.substr(at, 4) == "<!--") {
      const std::size_t end = html.find("-->", at + 4);
      if (end == std::string_view::npos) break;
      at = end + 3;
      continue;
    }
    // "<a" followed by a space, '/' or '>' is an anchor; "<abbr" and "<a" at the very end are not.
    const bool anchor = at + 2 < html.size() && lower(html[at + 1]) == 'a' &&
                        (is_space(html[at + 2]) || html[at + 2] == '>' || html[at + 2] == '/');
    if (!anchor) {
      ++at;
      continue;
    }
    std::string_view href;
    bool has_href = false;
    const std::size_t end = read_attributes(html, at + 2, href, has_href);
    if (end == std::string_view::npos) break;  // an unclosed tag: the rest is not markup
    if (has_href && !href.empty()) {
      if (found < capacity) links[found] = href;
      ++found;
    }
    at = end;
  }
  return found;
}

}  // namespace flynn::io
