// Reading the history database in tests (header-only: only the binaries that link gisgate_metrics, and so
// SQLite, include it). BLOB columns come back as "h<count>" — their decoded histogram's count — or "bad".
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <string_view>
#include <vector>

#include "metrics/histogram.hpp"

namespace gisgate::test {

using Rows = std::vector<std::vector<std::string>>;

inline Rows query_history(const std::string& path, const std::string& sql) {
    sqlite3* db = nullptr;
    Rows rows;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        sqlite3_close(db);
        return rows;
    }
    sqlite3_busy_timeout(db, 2000);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
        ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
        sqlite3_close(db);
        return rows;
    }
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        std::vector<std::string> row;
        for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
            if (sqlite3_column_type(stmt, i) == SQLITE_BLOB) {
                const std::string_view blob(static_cast<const char*>(sqlite3_column_blob(stmt, i)),
                                            static_cast<std::size_t>(sqlite3_column_bytes(stmt, i)));
                const auto h = metrics::LatencyHistogram::decode(blob);
                row.push_back(h ? "h" + std::to_string(h->count()) : "bad");
            } else {
                const auto* text = sqlite3_column_text(stmt, i);
                row.push_back(text ? reinterpret_cast<const char*>(text) : "NULL");
            }
        }
        rows.push_back(std::move(row));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return rows;
}

}  // namespace gisgate::test
