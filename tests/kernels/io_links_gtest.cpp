#include <gtest/gtest.h>

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "io/links.h"

namespace flynn::io {
namespace {

std::vector<std::string> links_of(std::string_view html, std::size_t capacity = 16) {
  std::array<std::string_view, 16> found;
  const std::size_t count = extract_links(html, found.data(), capacity);
  std::vector<std::string> result;
  for (std::size_t i = 0; i < std::min(count, capacity); ++i) result.emplace_back(found[i]);
  if (count > capacity) result.push_back(std::string("+").append(std::to_string(count - capacity)));
  return result;
}

using Links = std::vector<std::string>;

TEST(IoLinks, NoLinks) {
  EXPECT_EQ(links_of(""), Links{});
  EXPECT_EQ(links_of("<html><body><p>text</p><img src=\"x.png\"><abbr title=a>b</abbr></body></html>"), Links{});
  EXPECT_EQ(links_of("<a name=\"anchor\">no href</a><a href=\"\">empty</a>"), Links{});
}

TEST(IoLinks, OneLink) {
  EXPECT_EQ(links_of("<p>see <a href=\"/page/1\">one</a></p>"), Links{"/page/1"});
}

TEST(IoLinks, ManyLinksInEverySpelling) {
  const std::string html =
      "<a href=\"/a\">x</a>\n<A HREF='/b' class=\"nav\">y</A>\n<a class=nav\n  href=/c>z</a>"
      "<a\thref = \"/d?x=1&amp;y=2\" >w</a><a data-x=\"href=/no\" href=\"/e\">v</a><a href=\"/f\"/>";
  EXPECT_EQ(links_of(html), (Links{"/a", "/b", "/c", "/d?x=1&amp;y=2", "/e", "/f"}));
}

TEST(IoLinks, CountsBeyondCapacity) {
  std::string html;
  for (int i = 0; i < 20; ++i) html += "<a href=\"/p" + std::to_string(i) + "\">p</a>";
  const Links got = links_of(html, 3);
  EXPECT_EQ(got, (Links{"/p0", "/p1", "/p2", "+17"}));
}

TEST(IoLinks, CommentsAndLookalikesAreNotLinks) {
  EXPECT_EQ(links_of("<!-- <a href=\"/hidden\"> --><abbr href=\"/no\"><area href=\"/no\"><a href=\"/yes\">"),
            Links{"/yes"});
}

TEST(IoLinks, MalformedHtmlStopsSafely) {
  EXPECT_EQ(links_of("<a href=\"/ok\">x</a><a href=\"/unterminated>never closed"), Links{"/ok"});
  EXPECT_EQ(links_of("<a href=\"/ok\"><a href="), Links{"/ok"});
  EXPECT_EQ(links_of("<a href='/x'"), Links{});
  EXPECT_EQ(links_of("<!-- unterminated comment <a href=\"/no\">"), Links{});
  EXPECT_EQ(links_of("<"), Links{});
  EXPECT_EQ(links_of("<a"), Links{});
  EXPECT_EQ(links_of("<<a href=/x>>"), Links{"/x"});
  EXPECT_EQ(links_of("</a><a href=/y></a>"), Links{"/y"});
}

}  // namespace
}  // namespace flynn::io
