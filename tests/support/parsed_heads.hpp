// Request and response heads parsed from text for unit tests. A parsed head keeps views into its text, so the
// text lives beside it.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "http/request_head.hpp"
#include "http/response_head.hpp"

namespace gisgate::testing {

struct ParsedRequest {
    std::string text;
    http::RequestHead head;
    explicit ParsedRequest(std::string t) : text(std::move(t)) {
        EXPECT_EQ(http::parse_request_head(text, http::Limits{}, head).status, http::ParseStatus::complete) << text;
    }
};

struct ParsedResponse {
    std::string text;
    http::ResponseHead head;
    explicit ParsedResponse(std::string t, http::Method method = http::Method::get) : text(std::move(t)) {
        EXPECT_EQ(http::parse_response_head(text, method, 65536, 100, head).status, http::ParseStatus::complete)
            << text;
    }
};

}  // namespace gisgate::testing
