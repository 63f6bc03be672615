// One periodic catalog-reading loop (discovery or drift): its timer and the token that cancels catalog reads
// in flight. watch() replaces a loop, stop() ends it wherever it is waiting. Control thread only.
#pragma once

#include <memory>

#include "gis/catalog.hpp"
#include "net/asio.hpp"

namespace gisgate::gis {

struct CatalogLoop {
    explicit CatalogLoop(const asio::any_io_executor& executor) : timer(executor) {}
    void stop() {
        stopped = true;
        timer.cancel();
        cancel->cancel();
    }
    asio::steady_timer timer;
    std::shared_ptr<CatalogCancel> cancel = std::make_shared<CatalogCancel>();
    bool stopped = false;
};

}  // namespace gisgate::gis
